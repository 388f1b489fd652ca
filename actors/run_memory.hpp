#pragma once
// The results of one run (one compute call) inside one process: a slot per task, indexed like
// its task_graph. Executors write a task's slot once, before reporting it finished; readers
// only touch slots of tasks reported finished, and a slot is reset only after every dependent
// has finished. Those reports travel as actor messages, which order the accesses, so the
// slots need no lock: values are shared by pointer, never copied.

#include <atomic>
#include <memory>
#include <vector>

#include "actors/fwd.hpp"
#include "core/task_graph.hpp"

namespace troupe {

struct run_memory {
  run_memory(run_id run, std::shared_ptr<const task_graph> compiled)
      : id(run), graph(std::move(compiled)), results(graph->size()) {
    for (task_index i = 0; i < graph->size(); ++i)
      if (graph->is_literal(i)) results[i] = graph->literal_of(i);
  }
  run_id id;
  std::shared_ptr<const task_graph> graph;
  std::vector<Value> results;
  /// Set when the run failed: executors skip its tasks that have not started. (Only a hint
  /// to save work; the scheduler ignores whatever a closed run's tasks report.)
  std::atomic<bool> cancelled{false};
};

}  // namespace troupe
