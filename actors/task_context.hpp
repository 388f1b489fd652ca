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
  /// The threads engine a compute inside this task runs on, rather than starting one of its
  /// own: the engine running the task, or on a cluster executor its worker's, started on
  /// first use (troupe::error when its threads cannot start).
  virtual threads_runtime* runtime() = 0;
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
