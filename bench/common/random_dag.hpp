#pragma once
// The random DAG file that bench/random_dag.py writes, so that troupe and Dask run exactly the
// same graph. Text, one line per task after a header:
//
//   troupe-random-dag 1
//   tasks 100000 roots 8 checksum <sum of the sinks>
//   3 5          <- task 8 depends on tasks 3 and 5
//   ...
//
// Task i < roots is the literal i + 1; every other task is (a + b) % random_dag_modulus of its
// two dependencies. The checksum is the sum of the values of the sinks (tasks nothing depends on).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace troupe::bench {

inline constexpr std::int64_t random_dag_modulus = 1000003;

struct random_dag {
  std::size_t roots = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dependencies;  ///< of task roots + k
  std::int64_t checksum = 0;

  std::size_t size() const noexcept { return roots + dependencies.size(); }
  /// The tasks nothing depends on, in increasing order.
  std::vector<std::size_t> sinks() const;
};

/// Reads and validates a random DAG file; std::runtime_error names the file and the fault.
random_dag read_random_dag(const std::string& path);

}  // namespace troupe::bench
