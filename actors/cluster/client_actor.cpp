// The client actor and the client_connection built on it. The actor receives the scheduler's
// key events and completes the futures they name; the connection's calls run on the user's
// threads and wait on the futures' condition, or on a scoped request with a timeout.

#include <algorithm>
#include <map>

#include "actors/cluster/actors.hpp"
#include "actors/cluster/tsan_marks.hpp"
#include "actors/cluster/client_connection.hpp"
#include "actors/cluster/client_impl.hpp"
#include "core/config.hpp"

namespace troupe::cluster {

const char* to_string(future_status status) noexcept {
  switch (status) {
    case future_status::pending: return "pending";
    case future_status::finished: return "finished";
    case future_status::error: return "error";
    case future_status::cancelled: return "cancelled";
    case future_status::lost: return "lost";
  }
  return "?";
}

caf::timespan scheduler_timeout() {
  double seconds = 120;
  if (auto text = config::get("scheduler-timeout")) {
    try {
      seconds = std::stod(*text);
    } catch (const std::exception&) {
      seconds = 0;
    }
    if (!(seconds > 0))
      throw ArgumentError("scheduler-timeout must be a number of seconds above 0, got '" + *text +
                          "' (troupe::config or TROUPE_SCHEDULER_TIMEOUT)");
  }
  return std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(seconds));
}

namespace {

struct client_actor_state {
  caf::actor scheduler;
  client_id id = 0;
  std::shared_ptr<client_shared> shared;
  bool heartbeat_in_flight = false;
  static inline const char* name = "troupe.client";
};

using client_self = caf::stateful_actor<client_actor_state>;

using release_atom = caf::atom_constant<caf::atom("release")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

constexpr auto heartbeat_interval = std::chrono::seconds(1);

// Sends the keys the user's threads gathered in shared.pending_releases, in one message.
void flush_releases(client_self* self) {
  auto& s = self->state;
  release_keys message;
  message.client = s.id;
  std::vector<std::shared_ptr<future_state>> released;
  {
    std::lock_guard<std::mutex> guard(s.shared->mutex);
    std::swap(released, s.shared->pending_releases);
    message.keys.reserve(released.size());
    for (const auto& state : released) {
      message.keys.push_back(state->key);
      if (state->wants == 0) s.shared->futures.erase(*state);  // unless wanted again since
    }
  }
  TROUPE_CLUSTER_SEND();
  if (!message.keys.empty()) self->send(s.scheduler, std::move(message));
}

void complete(client_self* self, key_events& events) {
  auto& shared = *self->state.shared;
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> guard(shared.mutex);
    auto& list = events.events;
    shared.futures.find_each(
        list.size(), [&](std::size_t i) -> const std::string& { return list[i].key; },
        [&](std::size_t i, future_state* found) {
          if (found == nullptr) return;
          auto& event = list[i];
          auto& state = *found;
          switch (event.status) {
            case key_event::finished:
              state.status = future_status::finished;
              if (event.has_value && event.value.error.empty()) {
                state.has_value = true;
                state.value = std::move(event.value.value);
              }
              break;
            case key_event::erred:
              state.status = future_status::error;
              state.failure = std::move(event.failure);
              break;
            case key_event::cancelled:
              state.status = future_status::cancelled;
              break;
            case key_event::lost:
              if (!state.has_value) state.status = future_status::pending;  // recomputed
              return;
          }
          ++shared.completions;
          for (auto& callback : state.callbacks) callbacks.push_back(std::move(callback));
          state.callbacks.clear();
        });
  }
  shared.changed.notify_all();
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (...) {
      // A callback's exception must not end the client actor (Dask logs and goes on).
    }
  }
}

void scheduler_lost(client_self* self, const std::string& reason) {
  auto& shared = *self->state.shared;
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> guard(shared.mutex);
    shared.connected = false;
    shared.lost_reason = reason;
    shared.futures.for_each([&](future_state& state) {
      if (state.status != future_status::pending) return;
      state.status = future_status::lost;
      for (auto& callback : state.callbacks) callbacks.push_back(std::move(callback));
      state.callbacks.clear();
    });
    ++shared.completions;
  }
  shared.changed.notify_all();
  for (auto& callback : callbacks) {
    try {
      callback();
    } catch (...) {
    }
  }
}

// Asks the scheduler a small question once a second (one at a time); no answer within the
// timeout makes it lost, as if its connection had closed.
void heartbeat(client_self* self, caf::timespan timeout) {
  TROUPE_CLUSTER_SEND();
  self->delayed_send(self, heartbeat_interval, heartbeat_atom::value);
  auto& s = self->state;
  if (s.heartbeat_in_flight) return;
  {
    std::lock_guard<std::mutex> guard(s.shared->mutex);
    if (!s.shared->connected) return;
  }
  s.heartbeat_in_flight = true;
  TROUPE_CLUSTER_SEND();
  self->request(s.scheduler, timeout, info_request{})
      .then(
          [self](cluster_members&) {
            TROUPE_CLUSTER_TURN();
            self->state.heartbeat_in_flight = false;
          },
          [self, timeout](caf::error& e) {
            TROUPE_CLUSTER_TURN();
            self->state.heartbeat_in_flight = false;
            if (e != caf::sec::request_timeout) return;  // gone: the down handler says so
            const auto seconds = std::chrono::duration<double>(timeout).count();
            scheduler_lost(self, "the scheduler answered nothing for " +
                                     std::to_string(static_cast<long long>(seconds)) +
                                     " s (stopped, or cut off?)");
          });
}

caf::behavior client_behavior(client_self* self, caf::actor scheduler,
                              std::shared_ptr<client_shared> shared, caf::timespan timeout) {
  self->state.scheduler = scheduler;
  self->state.shared = std::move(shared);
  self->monitor(scheduler);
  // A scheduler in this process cannot be cut off or freeze alone: a heartbeat in flight when
  // the whole process stood still (a debugger's breakpoint, SIGSTOP) could time out and lose
  // a scheduler that is fine, and with it the threads runtime for good. No heartbeat then.
  if (scheduler.node() != self->system().node())
    self->delayed_send(self, heartbeat_interval, heartbeat_atom::value);
  self->set_down_handler([self](const caf::down_msg& down) {
    TROUPE_CLUSTER_TURN();
    if (down.source == self->state.scheduler.address())
      scheduler_lost(self, down.reason ? "the scheduler went away (" +
                                             self->system().render(down.reason) + ")"
                                       : std::string("the scheduler stopped"));
  });
  return {
      [self](key_events& events) {
        TROUPE_CLUSTER_TURN();
        complete(self, events);
      },
      [self](release_atom, std::uint64_t id) {
        TROUPE_CLUSTER_TURN();
        self->state.id = id;
        flush_releases(self);
      },
      [self, timeout](heartbeat_atom) {
        TROUPE_CLUSTER_TURN();
        heartbeat(self, timeout);
      },
      [self](shutdown_atom) { self->quit(caf::exit_reason::user_shutdown); },
  };
}

}  // namespace

caf::actor spawn_client(caf::actor_system& system, caf::actor scheduler,
                        std::shared_ptr<client_shared> shared) {
  return system.spawn(client_behavior, std::move(scheduler), std::move(shared),
                      scheduler_timeout());
}

// -- client_connection ----------------------------------------------------------------------------

client_connection::client_connection(std::unique_ptr<impl> impl) : impl_(std::move(impl)) {}

client_connection::~client_connection() { close(); }

const std::string& client_connection::scheduler_address() const noexcept {
  return impl_->address;
}

client_id client_connection::id() const noexcept { return impl_->id; }

client_shared& client_connection::shared() noexcept { return *impl_->shared; }

namespace {

std::shared_ptr<future_state> want_locked(client_shared& shared, const std::string& key) {
  const auto& state = shared.futures.get_or_add(key);
  ++state->wants;
  return state;
}

}  // namespace

std::shared_ptr<future_state> client_connection::want(const std::string& key) {
  std::lock_guard<std::mutex> guard(impl_->shared->mutex);
  return want_locked(*impl_->shared, key);
}

std::vector<std::shared_ptr<future_state>> client_connection::want(
    const std::vector<std::string>& keys) {
  std::vector<std::shared_ptr<future_state>> states;
  states.reserve(keys.size());
  std::lock_guard<std::mutex> guard(impl_->shared->mutex);
  impl_->shared->futures.get_or_add_each(keys, [&](const std::shared_ptr<future_state>& state) {
    ++state->wants;
    states.push_back(state);
  });
  return states;
}

void client_connection::unwant(std::shared_ptr<future_state> state) {
  auto& shared = *impl_->shared;
  bool first = false;
  {
    std::lock_guard<std::mutex> guard(shared.mutex);
    --state->wants;
    if (!shared.connected || impl_->closed) {
      if (state->wants == 0) shared.futures.erase(*state);
      return;
    }
    first = shared.pending_releases.empty();
    shared.pending_releases.push_back(std::move(state));
  }
  // One wake-up of the client actor per batch: it takes every key gathered by then.
  TROUPE_CLUSTER_SEND();
  if (first) caf::anon_send(impl_->client, release_atom::value, impl_->id);
}

void client_connection::submit(std::vector<task_spec> tasks, std::vector<std::string> wanted) {
  impl_->check_connected();
  TROUPE_CLUSTER_SEND();
  caf::anon_send(impl_->scheduler, update_graph{impl_->id, std::move(tasks), std::move(wanted)});
}

void client_connection::cancel(const std::vector<std::string>& keys) {
  impl_->check_connected();
  TROUPE_CLUSTER_SEND();
  caf::anon_send(impl_->scheduler, cancel_keys{impl_->id, keys});
}

void client_connection::retry(const std::vector<std::string>& keys) {
  impl_->check_connected();
  {
    auto& shared = *impl_->shared;
    std::lock_guard<std::mutex> guard(shared.mutex);
    for (const auto& key : keys) {
      auto* found = shared.futures.find(key);
      if (found != nullptr && found->status == future_status::error) {
        found->status = future_status::pending;
        found->failure = {};
      }
    }
  }
  TROUPE_CLUSTER_SEND();
  caf::anon_send(impl_->scheduler, retry_keys{impl_->id, keys});
}

bool client_connection::wait(const future_state& state, duration timeout) {
  auto& shared = *impl_->shared;
  std::unique_lock<std::mutex> lock(shared.mutex);
  return shared.changed.wait_for(lock, timeout,
                                 [&] { return state.status != future_status::pending; });
}

std::vector<Value> client_connection::gather(
    const std::vector<std::shared_ptr<future_state>>& states, duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto& shared = *impl_->shared;
  std::vector<std::string> to_fetch;
  {
    std::unique_lock<std::mutex> lock(shared.mutex);
    for (const auto& state : states) {
      if (!shared.changed.wait_until(lock, deadline,
                                     [&] { return state->status != future_status::pending; }))
        throw TimeoutError("the result of " + state->key + " did not arrive within the timeout");
      impl_->throw_if_failed(*state);
      if (!state->has_value) to_fetch.push_back(state->key);
    }
  }
  if (!to_fetch.empty()) {
    std::sort(to_fetch.begin(), to_fetch.end());
    to_fetch.erase(std::unique(to_fetch.begin(), to_fetch.end()), to_fetch.end());
    auto values = impl_->fetch(to_fetch, deadline, [&] {
      std::lock_guard<std::mutex> guard(shared.mutex);
      for (const auto& state : states) impl_->throw_if_failed(*state);
    });
    std::lock_guard<std::mutex> guard(shared.mutex);
    for (std::size_t i = 0; i < to_fetch.size(); ++i) {
      auto* found = shared.futures.find(to_fetch[i]);
      if (found == nullptr) continue;
      found->has_value = true;
      found->value = values[i];
    }
  }
  std::vector<Value> out;
  out.reserve(states.size());
  std::lock_guard<std::mutex> guard(shared.mutex);
  for (const auto& state : states) out.push_back(state->value);
  return out;
}

void client_connection::close() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> guard(impl_->shared->mutex);
    if (impl_->closed) return;
    impl_->closed = true;
  }
  TROUPE_CLUSTER_SEND();
  caf::anon_send(impl_->client, shutdown_atom::value);
}

}  // namespace troupe::cluster
