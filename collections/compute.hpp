#pragma once
// Where a graph runs, chosen per call, by troupe::config::set("scheduler", ...), or by the
// TROUPE_SCHEDULER environment variable, in that order; the default is "threads".

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "core/task_graph.hpp"

namespace troupe {

struct sync_run_stats;

struct compute_options {
  /// "sync" or "threads" ("" = configured default).
  std::string scheduler;
  /// Threads of the `threads` scheduler (0 = configured default, else hardware threads).
  std::size_t num_workers = 0;
  /// Filled in by the sync scheduler (for tests and diagnostics).
  sync_run_stats* sync_stats = nullptr;
};

/// The scheduler name compute() would use for these options.
std::string resolve_scheduler(const compute_options& options);

/// Runs a compiled graph; returns the values of its targets in order.
std::vector<Value> run_graph(std::shared_ptr<const task_graph> graph,
                             const compute_options& options = {});

/// Runs a dict-style graph for the given keys, as dask.get does.
std::vector<Value> get(const Graph& graph, const std::vector<Key>& keys,
                       const compute_options& options = {});

}  // namespace troupe
