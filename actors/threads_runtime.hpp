#pragma once
// The `threads` scheduler: a scheduler actor and one worker actor with N executors, in one CAF
// actor system inside this process. Values stay where tasks put them and are shared by
// pointer; nothing is copied or serialised. A runtime is started on first use and kept, as
// Dask keeps its thread pool; asking for another thread count stops the idle runtimes of
// other counts, so a program that varies num_workers does not pile up threads.

#include <cstddef>
#include <memory>
#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

class threads_runtime {
 public:
  explicit threads_runtime(std::size_t nthreads);
  ~threads_runtime();
  threads_runtime(const threads_runtime&) = delete;
  threads_runtime& operator=(const threads_runtime&) = delete;

  /// The process-wide runtime with `nthreads` executors. Runtimes of other thread counts that
  /// no one holds and that run nothing are stopped first.
  static std::shared_ptr<threads_runtime> shared(std::size_t nthreads);

  /// Stops every process-wide runtime that no one holds and that runs nothing (all of them,
  /// between computes); returns how many. The next compute starts one again.
  static std::size_t stop_idle();

  /// Runs the graph; returns the values of graph->targets in order. Throws TaskError for the
  /// first failing task. Safe to call from inside a task (the task secedes while it waits).
  std::vector<Value> run(std::shared_ptr<const task_graph> graph);

  std::size_t nthreads() const noexcept;
  /// No run is in progress.
  bool idle() const noexcept;

  /// At process exit: stop without waiting for actors that may be blocked (a task that
  /// called exit, a compute still in flight on another thread).
  void abandon_actors_at_shutdown();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
