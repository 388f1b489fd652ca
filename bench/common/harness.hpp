#pragma once
// What every troupe benchmark program shares: the command line, the timing loop, the result
// check and the one-line JSON report that bench/run reads. A workload is only its graph, built
// through either API, and its check. bench/dask_harness.py is the same loop for the Dask
// scripts, so both sides time the same thing: the one compute call, after a warm-up that
// starts the scheduler's threads.
//
//   --api graph|delayed        a dict-style Graph run by troupe::get, or Delayed values
//   --scheduler sync|threads   --num-workers N (0: all hardware threads)
//   --repeat R                 --tasks N (workload size)   --dag FILE (random DAG workloads)

#include <cstddef>
#include <functional>
#include <string>
#include <troupe/troupe.hpp>
#include <vector>

namespace troupe::bench {

struct bench_options {
  std::string api = "graph";
  std::string scheduler = "threads";
  std::size_t num_workers = 0;
  int repeat = 1;
  std::size_t tasks = 100000;
  std::string dag;  ///< a file written by bench/random_dag.py
};

/// One repetition's graph, ready to run: the timed call and how to tell its results are right.
struct bench_graph {
  std::size_t tasks = 0;
  /// Runs the whole graph in one call (troupe::get or troupe::compute).
  std::function<std::vector<Value>(const compute_options&)> compute;
  /// "" when the results are right, else what is wrong.
  std::function<std::string(const std::vector<Value>&)> check;
};

using graph_builder = std::function<bench_graph(const bench_options&)>;

struct bench_workload {
  std::string name;
  graph_builder build_graph;    ///< --api graph
  graph_builder build_delayed;  ///< --api delayed
};

/// Parses the command line, then `repeat` times builds a fresh graph, computes it (the only
/// timed part) and checks it, and prints one JSON line. Returns the exit status: 0, 1 for a
/// wrong result or an error, 2 for a bad command line.
int run_benchmark(int argc, char** argv, const bench_workload& workload);

/// The check of results whose sum must be `expected`.
std::function<std::string(const std::vector<Value>&)> sum_equals(std::int64_t expected);

}  // namespace troupe::bench
