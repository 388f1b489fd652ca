#pragma once
// The actors of an in-process cluster (the `threads` scheduler). Include only from
// actors/*.cpp: this header pulls in CAF.

#include <caf/all.hpp>

#include "actors/scheduler_state.hpp"
#include "actors/worker_state.hpp"
#include "core/detail/tsan.hpp"

namespace troupe {

/// The address TSan annotations name for messages to an actor (core/detail/tsan.hpp).
inline const caf::abstract_actor* tsan_sync(const caf::actor& a) {
  return caf::actor_cast<caf::abstract_actor*>(a);
}
inline const caf::abstract_actor* tsan_sync(const caf::abstract_actor* self) { return self; }

/// self->send(dest, xs...), with the hand-over visible to TSan: the message is built first,
/// then released to `dest`, then sent. Exactly self->send(dest, xs...) in other builds.
template <class Self, class... Ts>
void send_to(Self* self, const caf::actor& dest, Ts&&... xs) {
#if defined(TROUPE_TSAN_ENABLED)
  auto msg = caf::make_message(std::forward<Ts>(xs)...);
  TROUPE_TSAN_RELEASE(tsan_sync(dest));
  self->send(dest, std::move(msg));
#else
  self->send(dest, std::forward<Ts>(xs)...);
#endif
}

/// The scheduler: drives a SchedulerState; answers message::submit_run when the run ends.
caf::actor spawn_scheduler(caf::actor_system& system, scheduler_options options);

/// A worker with `options.nthreads` executors, of `runtime`; registers itself with the
/// scheduler.
caf::actor spawn_worker(caf::actor_system& system, worker_id id, worker_options options,
                        caf::actor scheduler, threads_runtime* runtime);

}  // namespace troupe
