#pragma once
// The `sync` scheduler: runs a graph on the calling thread, one task at a time in priority
// order, releasing each result as soon as its last dependent has run. For debugging, exact
// reproducibility and small graphs; a nested compute inside a task simply recurses.

#include <memory>
#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

struct sync_run_stats {
  std::size_t tasks_run = 0;
  /// Most task results held at once, counted as results_held_peak (core/order.hpp) counts:
  /// a result from when it is made until its last dependent has run; literals and results no
  /// task needs (handed to the caller) are not counted.
  std::size_t max_results_held = 0;
};

/// The values of graph.targets, in order. Throws TaskError for the first task that raises.
std::vector<Value> run_sync(const task_graph& graph, sync_run_stats* stats = nullptr);

}  // namespace troupe
