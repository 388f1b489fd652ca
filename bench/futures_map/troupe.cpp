// futures_map: client.map of N inc calls on a LocalCluster of 2 worker processes x 1 thread,
// then one gather of all N results: the timed part, `--repeat` times on the same cluster.
// It measures the cluster runtime's per-task cost (client -> scheduler -> workers -> client).
// Dask runs the same with dask.distributed in dask_bench.py here.
//
//   bench_futures_map [--tasks N] [--repeat R]
//
// Each repetition maps over fresh values (r * N + i), so no key is left over from the one
// before; a warm-up map first has both workers run a task. Prints one JSON line for bench/run.

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
  std::size_t tasks = 100000;
  std::size_t repeat = 1;
};

options parse_options(int argc, char** argv) {
  options o;
  parse_count_flags(argc, argv, {{"--tasks", &o.tasks}, {"--repeat", &o.repeat}});
  if (o.tasks < 1 || o.repeat < 1)
    throw usage_error("--tasks and --repeat must be at least 1");
  return o;
}

/// The timed part: map bench_inc over xs, then gather every result.
std::vector<std::int64_t> map_and_gather(troupe::Client& client,
                                         const std::vector<std::int64_t>& xs) {
  auto futures = client.map(bench_inc, xs);
  return client.gather(futures);
}

void check(const std::vector<std::int64_t>& xs, const std::vector<std::int64_t>& values) {
  if (values.size() != xs.size())
    throw std::runtime_error("gather returned " + std::to_string(values.size()) + " values for " +
                             std::to_string(xs.size()) + " futures");
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (values[i] != xs[i] + 1)
      throw std::runtime_error("bench_inc(" + std::to_string(xs[i]) + ") came back as " +
                               std::to_string(values[i]));
}

nlohmann::json run(const options& o) {
  nlohmann::json report = {{"workload", "futures_map"},
                           {"implementation", "troupe"},
                           {"api", "futures"},
                           {"scheduler", "distributed"},
                           {"n_workers", n_workers},
                           {"threads_per_worker", threads_per_worker},
                           {"tasks", o.tasks},
                           {"seconds", nlohmann::json::array()}};
  auto start = std::chrono::steady_clock::now();
  troupe::Client client(
      troupe::bench::futures_cluster());
  report["startup_seconds"] = seconds_since(start);
  {  // warm-up: values below 0, which no timed repetition maps over
    std::vector<std::int64_t> xs(100);
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = -1 - static_cast<std::int64_t>(i);
    check(xs, map_and_gather(client, xs));
  }
  std::vector<std::int64_t> xs(o.tasks);
  for (std::size_t r = 0; r < o.repeat; ++r) {
    for (std::size_t i = 0; i < o.tasks; ++i) xs[i] = static_cast<std::int64_t>(r * o.tasks + i);
    auto t0 = std::chrono::steady_clock::now();
    auto values = map_and_gather(client, xs);  // the futures are released on return
    report["seconds"].push_back(seconds_since(t0));
    check(xs, values);
  }
  client.close();
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::cluster_benchmark_main(argc, argv, "[--tasks N] [--repeat R]", [&] {
    return run(parse_options(argc, argv)).dump();
  });
}
