#pragma once
// The `threads` scheduler: a scheduler actor and one worker actor with N executors, in one CAF
// actor system inside this process. Values stay where tasks put them and are shared by
// pointer; nothing is copied or serialised. One runtime per thread count is started on first
// use and kept for the life of the process, as Dask keeps its thread pool.

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

  /// The process-wide runtime with `nthreads` executors.
  static threads_runtime& shared(std::size_t nthreads);

  /// Runs the graph; returns the values of graph->targets in order. Throws TaskError for the
  /// first failing task. Safe to call from inside a task (the task secedes while it waits).
  std::vector<Value> run(std::shared_ptr<const task_graph> graph);

  std::size_t nthreads() const noexcept;

  /// At process exit: stop without waiting for actors that may be blocked (a task that
  /// called exit, a compute still in flight on another thread).
  void abandon_actors_at_shutdown();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
