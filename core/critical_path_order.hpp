#pragma once
// The critical-path order: dask.order's strategy (dask/order.py, read for its ideas), on the
// dense indices of a compiled graph. One of the two candidates of core/order.hpp.
//
//   1. Pick a target: a sink (a node nothing depends on). While results are held, prefer the
//      sink that needs the fewest roots not yet run, among those touching what ran; else the
//      next sink in a fixed order (by the sort key below; largest first for graphs whose shape
//      asks for the longest path, smallest first otherwise).
//   2. From the target walk back, each time to the dependency with the largest sort key (most
//      work behind it), stacking every not-yet-run dependency on the way: the critical path.
//   3. Pop the stack: a node whose inputs are ready runs; one whose inputs are not puts them on
//      the stack (largest key on top) and comes back later.
//   4. Tasks that became runnable along the way are followed forward while they stay a chain;
//      a chain that completes a reducer's inputs, or ends in a sink, runs at once (it frees
//      what it holds); one that stops at a reducer still waiting is remembered and run when
//      the reducer's last input is on the critical path.
//
// Sort key, smallest first: (tasks behind the node, counted with repeats; its number of
// dependencies; roots it reaches; minus the most dependents any of those roots has; its key).
// The roots each node reaches and the sinks each root reaches are listed up to reach_cap: past
// it a node counts as reaching "many", which keeps the cost linear on wide graphs; Dask's test
// graphs stay far below it. A literal that feeds several tasks takes no part: it runs just before its
// first user (one that feeds a single task is a node, as in dask.order).

#include <vector>

#include "core/task_graph.hpp"

namespace troupe {

/// Roots or sinks a node's reach set lists exactly before it counts as "many".
inline constexpr std::size_t reach_cap = 64;

/// The critical-path order of `graph`'s nodes (old indices, every node once, topological).
std::vector<task_index> critical_path_order(const task_graph& graph);

}  // namespace troupe
