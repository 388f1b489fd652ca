#pragma once
// The task being run on this thread, if any. A task that calls compute() blocks its thread;
// through this context it first tells its worker to secede it, so the worker keeps its
// threads busy and a nested compute cannot deadlock the pool.

#include "actors/fwd.hpp"

namespace troupe {

namespace cluster {
class client_connection;
}  // namespace cluster

class task_context {
 public:
  virtual ~task_context() = default;
  /// Leave the worker's thread pool for the rest of this task (idempotent).
  virtual void secede() = 0;
  /// The runtime whose worker runs this task: a compute inside the task goes there too,
  /// rather than starting a runtime of its own.
  virtual threads_runtime* runtime() const noexcept = 0;
  /// When the task runs on a cluster worker: a client of that cluster, for a compute inside
  /// the task to go there (as dask.distributed's worker_client). nullptr elsewhere.
  virtual cluster::client_connection* cluster() { return nullptr; }
};

/// The context of the task running on this thread, or nullptr outside tasks.
task_context* current_task_context() noexcept;

/// Sets this thread's task context for its lifetime (executors use it around each task).
class task_context_scope {
 public:
  explicit task_context_scope(task_context* context) noexcept;
  ~task_context_scope();
  task_context_scope(const task_context_scope&) = delete;
  task_context_scope& operator=(const task_context_scope&) = delete;

 private:
  task_context* previous_;
};

}  // namespace troupe
