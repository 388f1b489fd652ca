// transfer: a float64 array of --mib MiB (128 for transfer_128mib) between the processes of a
// LocalCluster of 2 worker processes x 1 thread, as bench/transfer/dask_bench.py does in Dask:
//
//   scatter_gather   scatter the array to a worker, then gather it back (2 x its bytes move)
//   worker_to_worker the array held by one worker is the input of a task restricted to the
//                    other (length_of: O(1), so the time is the move)
//
// Each repetition sends fresh contents (so a fresh key), after an untimed one; each timed part
// starts after a 0.5 s pause. The results are checked element for element. Prints one JSON
// line for bench/run with the seconds of each repetition.
//
//   bench_transfer [--mib N | --kib N] [--repeat R]
//
// TROUPE_BENCH_ADDRESS=tcp://H:P runs it on a running cluster of two workers instead of a
// LocalCluster (bench/netns_transfer does, across ip netns hosts).

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/flags.hpp"
#include "bench/common/futures_cluster.hpp"
#include "collections/client.hpp"
#include "core/buffer_pool.hpp"
#include "core/ndarray.hpp"

namespace {

using troupe::bench::seconds_since;
using troupe::bench::usage_error;

std::int64_t length_of(const troupe::ndarray& xs) { return static_cast<std::int64_t>(xs.size()); }
TROUPE_FUNCTION(length_of);

struct options {
  std::size_t mib = 128;
  std::size_t kib = 0;  ///< the size in KiB instead, when given (for sizes under 1 MiB)
  std::size_t repeat = 3;
};

/// A float64 array (troupe's chunk type, as numpy's is Dask's) of fresh contents.
troupe::ndarray contents(std::size_t n, std::size_t repetition) {
  troupe::ndarray a(troupe::dtype::float64, {static_cast<std::int64_t>(n)});
  auto* xs = a.mutable_data<double>();
  for (std::size_t i = 0; i < n; ++i) xs[i] = static_cast<double>(i) + 0.5 * repetition;
  return a;
}

nlohmann::json run(const options& o) {
  const std::size_t n = (o.kib > 0 ? o.kib * 1024 : o.mib * (1 << 20)) / sizeof(double);
  nlohmann::json report = {{"workload", "transfer"},
                           {"implementation", "troupe"},
                           {"n_workers", troupe::bench::futures_n_workers},
                           {"threads_per_worker", troupe::bench::futures_threads_per_worker},
                           {"bytes", n * sizeof(double)},
                           {"scatter_gather_seconds", nlohmann::json::array()},
                           {"worker_to_worker_seconds", nlohmann::json::array()}};
  auto start = std::chrono::steady_clock::now();
  // A running cluster when TROUPE_BENCH_ADDRESS names one (see above), else a LocalCluster.
  const char* address = std::getenv("TROUPE_BENCH_ADDRESS");
  auto owned = address != nullptr ? std::make_unique<troupe::Client>(std::string(address))
                                   : std::make_unique<troupe::Client>(troupe::bench::futures_cluster());
  auto& client = *owned;
  report["startup_seconds"] = seconds_since(start);
  for (std::size_t r = 0; r <= o.repeat; ++r) {  // repetition 0 warms up, untimed
    auto data = contents(n, r);
    auto sent = contents(n, r);  // its own copy: scattered by move, as Dask sends an array
    // Each timed part starts after a pause in which the previous repetition's arrays are
    // freed (on both sides), so it times the move and not that.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto t0 = std::chrono::steady_clock::now();
    auto future = client.scatter_one(std::move(sent));
    // The gathered value itself, as Dask's gather hands back its array: result() would add
    // a copy into a new std::vector, which is not part of the move.
    auto back = future.value();
    auto scatter_gather = seconds_since(t0);
    if (!(back.get<troupe::ndarray>() == data))
      throw std::runtime_error("gather returned other numbers than scattered");
    // Scatter fills the workers round-robin from the first: the array is on the first worker.
    auto workers = client.info().workers;
    auto other = workers.at(1).address;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    t0 = std::chrono::steady_clock::now();
    auto length = client.submit(length_of, future, troupe::submit_options{.pure = false,
                                                                           .workers = {other}});
    auto got = length.result();
    auto worker_to_worker = seconds_since(t0);
    if (got != static_cast<std::int64_t>(n))
      throw std::runtime_error("the other worker saw " + std::to_string(got) + " elements");
    if (r == 0) continue;
    report["scatter_gather_seconds"].push_back(scatter_gather);
    report["worker_to_worker_seconds"].push_back(worker_to_worker);
  }
  client.close();
  // Large buffers this process (the client) took from its pool and mapped fresh.
  report["client_pool_hits"] = troupe::buffer_pool::stats().hits;
  report["client_pool_misses"] = troupe::buffer_pool::stats().misses;
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  return troupe::bench::cluster_benchmark_main(argc, argv, "[--mib N | --kib N] [--repeat R]", [&] {
    options o;
    troupe::bench::parse_count_flags(argc, argv,
                                     {{"--mib", &o.mib}, {"--kib", &o.kib}, {"--repeat", &o.repeat}});
    if (o.mib < 1 || o.repeat < 1) throw usage_error("--mib and --repeat must be at least 1");
    return run(o).dump();
  });
}
