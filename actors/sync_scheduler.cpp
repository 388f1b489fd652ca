#include "actors/sync_scheduler.hpp"

#include <algorithm>

#include "actors/execute.hpp"

namespace troupe {

std::vector<Value> run_sync(const task_graph& graph, sync_run_stats* stats) {
  const std::size_t n = graph.size();
  std::vector<Value> results(n);
  std::vector<std::uint32_t> pending_dependents(n);
  for (task_index i = 0; i < n; ++i)
    pending_dependents[i] = static_cast<std::uint32_t>(graph.dependents_of(i).size());
  std::size_t held = 0;
  sync_run_stats local;
  auto& s = stats != nullptr ? *stats : local;
  // Task indices are priorities and a topological order: a plain loop is the priority order.
  for (task_index i = 0; i < n; ++i) {
    if (graph.is_literal(i)) {
      results[i] = graph.literal_of(i);
    } else {
      auto outcome = execute_task(graph, i, results);
      if (outcome.failure) throw TaskError(std::move(*outcome.failure));
      ++s.tasks_run;
      if (pending_dependents[i] > 0) s.max_results_held = std::max(s.max_results_held, ++held);
    }
    for (task_index d : graph.dependencies_of(i)) {
      if (--pending_dependents[d] == 0) {
        if (!graph.is_target[d]) results[d] = Value();
        if (!graph.is_literal(d)) --held;
      }
    }
  }
  std::vector<Value> out;
  out.reserve(graph.targets.size());
  for (task_index t : graph.targets) out.push_back(results[t]);
  return out;
}

}  // namespace troupe
