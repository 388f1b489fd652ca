#pragma once
// Batched sending, as dask.distributed's BatchedSend: what an actor has to send goes at once
// when its mailbox is empty (the link is idle), and otherwise waits at most `batch_interval`
// for the messages behind it, so a burst of events becomes a few large messages.

#include <chrono>

#include <caf/all.hpp>

#include "actors/cluster/protocol.hpp"

namespace troupe::cluster {

inline constexpr auto batch_interval = std::chrono::milliseconds(1);

/// Call at the end of every handler; `flush` sends what is gathered. The actor answers
/// flush_atom by setting `scheduled` to false and calling `flush`.
template <class Self, class Flush>
void flush_when_idle(Self* self, bool& scheduled, Flush&& flush) {
  if (self->mailbox().empty()) {
    flush();
  } else if (!scheduled) {
    scheduled = true;
    self->delayed_send(self, batch_interval, flush_atom::value);
  }
}

}  // namespace troupe::cluster
