#pragma once
// A graph task: a whole compiled graph run as one task of a cluster, on the threads engine of
// the worker it is placed on (threads_runtime), as Dask runs a fused subgraph inside one task
// (SubgraphCallable). The scheduler, worker and client actors handle it as any other task;
// inside it, tasks cost what they cost on the threads engine (a worker starts the dependents
// of what it ran, with no report to the scheduler and no order back), since no other part of
// the cluster sees its intermediate keys. Only its targets come back.
//
// In one process only: its argument is the compiled graph itself, by pointer.

#include <memory>
#include <string>
#include <vector>

#include "core/function.hpp"
#include "core/task_graph.hpp"

namespace troupe {

/// A one-task graph whose task runs `graph` on the threads engine of the worker it is placed
/// on; its key is fresh (graph-...), so each call runs again. Its value, given to
/// graph_task_values, is the targets' values.
std::shared_ptr<task_graph> make_graph_task(std::shared_ptr<const task_graph> graph);

/// Whether `function` is the graph task's (whose tasks are counted inside, not itself).
bool is_graph_task(const function_ref& function) noexcept;

/// The values of the graph's targets, in order, from the graph task's value. Throws TaskError
/// for the graph's first failing task (its key, not the graph task's), and troupe::error when
/// the engine could not run it.
std::vector<Value> graph_task_values(const Value& result);

}  // namespace troupe
