#pragma once
// A compiled graph as the cluster's task specs, for Client::compute/get and for a compute()
// inside a task on a cluster worker.

#include <vector>

#include "actors/cluster/spec.hpp"
#include "core/task_graph.hpp"

namespace troupe::cluster {

/// The graph's tasks in its priority order. Literals travel inside the tasks that use them; a
/// literal that is itself a target becomes a troupe.identity task, so that it has a key.
std::vector<task_spec> to_specs(const task_graph& graph, std::int64_t priority = 0,
                                std::uint32_t retries = 0);

/// The keys of the graph's targets, in order (for wanting them).
std::vector<std::string> target_keys(const task_graph& graph);

}  // namespace troupe::cluster
