#pragma once
// Ordering: the priority of every node of a compiled graph, i.e. the order the sync scheduler
// runs them in and the tie-break of every other scheduler. The rules, and how they compare with
// dask.order on Dask's own ordering tests (tests/order/), are in docs/architecture.md.
//
// `frugal_order` proposes two orders and keeps the one that holds fewer results at once:
//   - the critical-path order (core/critical_path_order.hpp): dask.order's ideas, starting from
//     the sinks, walking back along the dependency that needs the most work, eagerly finishing
//     runnable branches that free a parent;
//   - the compiler's depth-first post-order from the targets.
// Both are linear or n log n, and measuring a candidate is one pass over the edges, so taking
// the better of the two costs little and never holds more than either.

#include <cstddef>
#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

/// The nodes of `graph` (indices into it) in the order to run them: a topological order, every
/// node once.
std::vector<task_index> frugal_order(const task_graph& graph);

/// Peak number of task results held at once when `graph`'s nodes run in `sequence` order
/// (every node once, topologically): a task's result counts from the moment it is made until
/// its last dependent has run, so while a task runs its inputs and its result all count; a
/// result no task needs is handed to the caller and never counts; literals never count.
std::size_t results_held_peak(const task_graph& graph, const std::vector<task_index>& sequence);

/// The same, for the graph's own index order (its priorities).
std::size_t results_held_peak(const task_graph& graph);

/// Renumbers `graph` so that node sequence[k] becomes node k (keys, functions, arguments,
/// dependencies, dependents and targets follow). `sequence` must be a topological order.
void renumber(task_graph& graph, const std::vector<task_index>& sequence);

}  // namespace troupe
