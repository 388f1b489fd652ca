#pragma once
// What both troupe futures benchmarks share: the cluster shape (the same as the Dask side's,
// bench/futures_cluster.py) and the task they run.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "collections/client.hpp"

namespace troupe::bench {

inline constexpr std::size_t futures_n_workers = 2;
inline constexpr std::size_t futures_threads_per_worker = 1;

/// The benchmarks' task, registered as "bench_inc" (workers run the same program).
std::int64_t bench_inc(std::int64_t x);

/// main() of a benchmark on a LocalCluster of worker processes: troupe::init first (a worker
/// process started by the cluster runs there and exits), then `run` (parses the command line,
/// measures, returns the JSON line to print). A usage_error prints `usage` and exits with 2,
/// any other error exits with 1.
int cluster_benchmark_main(int argc, char** argv, const std::string& usage,
                           const std::function<std::string()>& run);

inline LocalCluster futures_cluster() {
  return LocalCluster{.n_workers = futures_n_workers,
                      .threads_per_worker = futures_threads_per_worker};
}

}  // namespace troupe::bench
