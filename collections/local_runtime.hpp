#pragma once
// The `threads` scheduler's runtime: an in-process cluster (its scheduler, client and one
// worker of N threads, the same actors a LocalCluster runs) per thread count, started on first
// use and kept, as Dask keeps its thread pool. A graph goes to it whole, as one graph task
// (actors/graph_task.hpp), which the worker runs on its threads engine. Asking for another
// thread count stops the idle runtimes of other counts, so a program that varies num_workers
// does not pile up threads; at exit every runtime is stopped.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

class local_runtime {
 public:
  explicit local_runtime(std::size_t nthreads);
  ~local_runtime();
  local_runtime(const local_runtime&) = delete;
  local_runtime& operator=(const local_runtime&) = delete;

  /// The process-wide runtime of `nthreads` threads. Runtimes of other thread counts that no
  /// one holds and that run nothing are stopped first.
  static std::shared_ptr<local_runtime> shared(std::size_t nthreads);

  /// Stops every process-wide runtime that no one holds and that runs nothing (all of them,
  /// between computes); returns how many. The next compute starts one again.
  static std::size_t stop_idle();

  /// Runs the graph; the values of graph->targets in order. TaskError for the first failing
  /// task; troupe::error when the threads cannot start.
  std::vector<Value> run(std::shared_ptr<const task_graph> graph);

  /// No run is in progress.
  bool idle() const noexcept;

  /// Its scheduler's account of its tasks (SchedulerState::describe): a compute is one task.
  std::string describe_scheduler() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
