#pragma once
// The actors of an in-process cluster (the `threads` scheduler). Include only from
// actors/*.cpp: this header pulls in CAF.

#include <caf/all.hpp>

#include "actors/scheduler_state.hpp"
#include "actors/worker_state.hpp"

namespace troupe {

/// The scheduler: drives a SchedulerState; answers message::submit_run when the run ends.
caf::actor spawn_scheduler(caf::actor_system& system, scheduler_options options);

/// A worker with `options.nthreads` executors, of `runtime`; registers itself with the
/// scheduler.
caf::actor spawn_worker(caf::actor_system& system, worker_id id, worker_options options,
                        caf::actor scheduler, threads_runtime* runtime);

}  // namespace troupe
