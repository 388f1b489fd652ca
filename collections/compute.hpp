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

/// The most threads the `threads` scheduler starts, wherever the number comes from (the call,
/// troupe::config, TROUPE_NUM_WORKERS, `troupe run --num-workers`): past it a typo would start
/// a thread per unit.
inline constexpr std::size_t max_num_workers = 1024;

struct compute_options {
  /// "sync" or "threads" ("" = configured default).
  std::string scheduler;
  /// Threads of the `threads` scheduler, 1 to max_num_workers (0 = inside a task, the runtime
  /// running that task; else the configured default, else one per hardware thread).
  std::size_t num_workers = 0;
  /// Filled in by the sync scheduler (for tests and diagnostics).
  sync_run_stats* sync_stats = nullptr;
  /// A progress line on standard error for computes that run a second or more (sync and
  /// threads; collections/progress_bar.hpp). Also on when the config key "progress"
  /// (TROUPE_PROGRESS) is "1" or "true".
  bool progress = false;
};

/// The scheduler name compute() would use for these options.
std::string resolve_scheduler(const compute_options& options);

/// The thread count the `threads` scheduler would use for these options; ArgumentError names
/// the source of a number out of 1..max_num_workers.
std::size_t resolve_num_workers(const compute_options& options);

/// Runs a compiled graph; returns the values of its targets in order.
std::vector<Value> run_graph(std::shared_ptr<const task_graph> graph,
                             const compute_options& options = {});

/// Stops the threads of the `threads` scheduler between computes (a compute in progress keeps
/// its own); the next compute starts them again. Returns the number of runtimes stopped.
std::size_t shutdown();

/// Runs a dict-style graph for the given keys, as dask.get does.
std::vector<Value> get(const Graph& graph, const std::vector<Key>& keys,
                       const compute_options& options = {});

}  // namespace troupe
