// futures_roundtrip: the latency of one task on a LocalCluster of 2 worker processes x 1
// thread: the wall time of client.submit(inc, x, pure=false) -> result(), one call at a time,
// `--tasks` times after `--warm-up` untimed calls. pure=false gives every call a fresh key, so
// each one is really computed on a worker. Dask runs the same in dask_bench.py here.
//
//   bench_futures_roundtrip [--tasks N] [--warm-up W]
//
// Prints one JSON line for bench/run; "seconds" holds every timed round trip.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/flags.hpp"
#include "bench/common/futures_cluster.hpp"
#include "collections/client.hpp"

namespace {

using troupe::bench::parse_count_flags;
using troupe::bench::seconds_since;
using troupe::bench::usage_error;

using troupe::bench::bench_inc;
constexpr std::size_t n_workers = troupe::bench::futures_n_workers;
constexpr std::size_t threads_per_worker = troupe::bench::futures_threads_per_worker;

struct options {
  std::size_t tasks = 200;
  std::size_t warm_up = 20;
};

options parse_options(int argc, char** argv) {
  options o;
  parse_count_flags(argc, argv, {{"--tasks", &o.tasks}, {"--warm-up", &o.warm_up}});
  if (o.tasks < 1) throw usage_error("--tasks must be at least 1");
  return o;
}

/// One round trip: submit, wait for the result, drop the future (as Dask's
/// `client.submit(inc, x, pure=False).result()` drops it in the same statement).
std::int64_t round_trip(troupe::Client& client, std::int64_t x) {
  auto future = client.submit(bench_inc, x, troupe::submit_options{.pure = false});
  return future.result();
}

void check(std::int64_t x, std::int64_t y) {
  if (y != x + 1)
    throw std::runtime_error("bench_inc(" + std::to_string(x) + ") came back as " +
                             std::to_string(y));
}

nlohmann::json run(const options& o) {
  nlohmann::json report = {{"workload", "futures_roundtrip"},
                           {"implementation", "troupe"},
                           {"api", "futures"},
                           {"scheduler", "distributed"},
                           {"n_workers", n_workers},
                           {"threads_per_worker", threads_per_worker},
                           {"tasks", o.tasks},
                           {"warm_up", o.warm_up},
                           {"seconds", nlohmann::json::array()}};
  auto start = std::chrono::steady_clock::now();
  troupe::Client client(
      troupe::bench::futures_cluster());
  report["startup_seconds"] = seconds_since(start);
  std::int64_t x = 0;
  for (std::size_t i = 0; i < o.warm_up; ++i, ++x) check(x, round_trip(client, x));
  std::vector<double> seconds;
  seconds.reserve(o.tasks);
  for (std::size_t i = 0; i < o.tasks; ++i, ++x) {
    auto t0 = std::chrono::steady_clock::now();
    auto y = round_trip(client, x);
    seconds.push_back(seconds_since(t0));
    check(x, y);
  }
  report["seconds"] = seconds;
  client.close();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::cluster_benchmark_main(argc, argv, "[--tasks N] [--warm-up W]", [&] {
    return run(parse_options(argc, argv)).dump();
  });
}
