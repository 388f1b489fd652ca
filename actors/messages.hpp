#pragma once
// Messages between the scheduler, worker and executor actors of one process. They carry
// shared pointers to run memory, so they are in-process only (CAF's "unsafe" message types);
// the distributed runtime sends its own, serialisable messages.
//
// Include only from actors/*.cpp: this header pulls in CAF.

#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "actors/run_memory.hpp"
#include "actors/scheduler_state.hpp"
#include "actors/worker_state.hpp"

namespace troupe::message {

/// client -> scheduler (request): run this graph; answered with run_outcome.
struct submit_run {
  std::shared_ptr<run_memory> memory;
};

struct run_outcome {
  bool ok = true;
  bool runtime_failed = false;  ///< the runtime itself failed, not a task
  task_failure failure;
};

/// runtime -> worker (request): did every executor thread start? Answered with "" or the
/// reason they could not (the system's limit on threads, or on memory for their stacks).
using ready_atom = caf::atom_constant<caf::atom("ready")>;

/// worker -> scheduler: a new worker and its threads.
struct register_worker {
  worker_id id;
  std::size_t nthreads;
  caf::actor worker;
};

/// worker -> scheduler: tasks done since the last report.
struct tasks_done {
  worker_id worker;
  std::vector<executed_task> finished;
  std::vector<erred_task> erred;
};

/// worker -> scheduler: the change in its tasks blocked on a nested compute.
struct tasks_seceded {
  worker_id worker;
  int delta;
};

/// scheduler -> worker: run these tasks of a run (in priority order).
struct compute {
  std::shared_ptr<run_memory> memory;
  std::vector<task_index> tasks;
};

/// scheduler -> worker: drop these results of a run.
struct release {
  run_id run;
  std::vector<task_index> tasks;
};

/// scheduler -> worker: drop everything of a run.
struct forget {
  run_id run;
};

/// worker -> executor: run these tasks, in order.
struct execute {
  std::vector<std::shared_ptr<run_memory>> runs;  ///< keeps the memory of every run alive
  std::vector<worker_task> tasks;
};

/// executor -> worker: the running task blocked on a nested compute.
struct secede {
  executor_id executor;
  std::vector<worker_task> returned;
};

}  // namespace troupe::message

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::submit_run)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::run_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::register_worker)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::tasks_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::tasks_seceded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::compute)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::forget)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::execute)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::message::secede)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::executor_report)
