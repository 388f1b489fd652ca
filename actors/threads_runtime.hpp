#pragma once
// The threads engine: a scheduler actor and one worker actor with N executors that run a
// compiled graph by counting dependencies, each executor starting the dependents of what it
// ran. Values stay where tasks put them and are shared by pointer; nothing is copied or
// serialised. A cluster worker owns one (in its actor system, started with its first graph
// task) and runs graph tasks on it: that is how the `threads` scheduler runs a whole graph as
// one task of an in-process cluster (actors/graph_task.hpp, collections/local_runtime.hpp).

#include <cstddef>
#include <memory>
#include <vector>

#include "core/task_graph.hpp"

namespace caf {
class actor_system;
}  // namespace caf

namespace troupe {

class threads_runtime {
 public:
  /// Spawns the engine's actors in `system` (which must outlive it). Throws troupe::error when
  /// its threads cannot start, naming the system's limit and the fix.
  threads_runtime(caf::actor_system& system, std::size_t nthreads);
  ~threads_runtime();
  threads_runtime(const threads_runtime&) = delete;
  threads_runtime& operator=(const threads_runtime&) = delete;

  /// Runs the graph; returns the values of graph->targets in order. Throws TaskError for the
  /// first failing task. Safe to call from inside a task (the task secedes while it waits).
  std::vector<Value> run(std::shared_ptr<const task_graph> graph);

  std::size_t nthreads() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
