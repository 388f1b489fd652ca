#pragma once
// What both troupe futures benchmarks share: the cluster shape (the same as the Dask side's,
// bench/futures_cluster.py) and the task they run.

#include <cstddef>
#include <cstdint>

#include "collections/client.hpp"

namespace troupe::bench {

inline constexpr std::size_t futures_n_workers = 2;
inline constexpr std::size_t futures_threads_per_worker = 1;

/// The benchmarks' task, registered as "bench_inc" (workers run the same program).
std::int64_t bench_inc(std::int64_t x);

inline LocalCluster futures_cluster() {
  return LocalCluster{.n_workers = futures_n_workers,
                      .threads_per_worker = futures_threads_per_worker};
}

}  // namespace troupe::bench
