#pragma once
// client_connection's insides, shared by client_actor.cpp and node.cpp (which makes them).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/cluster/client_connection.hpp"
#include "actors/cluster/protocol.hpp"
#include "actors/cluster/tsan_marks.hpp"

namespace troupe::cluster {

struct client_connection::impl {
  /// The node whose actor system this connection's actors live in: kept alive (and declared
  /// first, so released last) while the connection or any Future of it exists.
  std::shared_ptr<void> node;
  caf::actor_system* system = nullptr;
  caf::actor scheduler;
  caf::actor client;
  client_id id = 0;
  std::string address;
  std::shared_ptr<client_shared> shared;
  bool closed = false;

  void check_connected() const;
  /// Throws for a future that is done without a value to give (call with the mutex held).
  void throw_if_failed(const future_state& state) const;
  /// The values of `keys` from the workers that hold them. A holder that dies meanwhile makes
  /// it ask the scheduler again, after `before_retry()`, which throws when a key's future
  /// failed since (its only copy was lost: waiting on would only end at the deadline).
  std::vector<Value> fetch(const std::vector<std::string>& keys,
                           std::chrono::steady_clock::time_point deadline,
                           const std::function<void()>& before_retry);
  /// A request that throws TimeoutError or ConnectionError naming `who` when it fails.
  template <class Reply, class Request>
  Reply ask(const caf::actor& to, const std::string& who, Request request,
            std::chrono::steady_clock::time_point deadline);
};

/// How long a scheduler may answer nothing before its clients treat it as gone, and how long
/// a new connection waits for its greeting (config `scheduler-timeout`, seconds; 120 by
/// default). A frozen scheduler (stopped, or cut off without its connection closing) otherwise
/// left result() waiting out its whole timeout.
caf::timespan scheduler_timeout();

/// A client of `scheduler` in `system`; `keep_alive` holds what owns the system (or nothing
/// when the system outlives the connection, as a worker's own does).
std::shared_ptr<client_connection> connect_client(caf::actor_system& system, caf::actor scheduler,
                                                  const std::string& address, std::string name,
                                                  std::chrono::seconds timeout,
                                                  std::shared_ptr<void> keep_alive);

template <class Reply, class Request>
Reply client_connection::impl::ask(const caf::actor& to, const std::string& who, Request request,
                                   std::chrono::steady_clock::time_point deadline) {
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero())
    throw TimeoutError("no answer from " + who + " within the timeout");
  caf::scoped_actor self{*system};
  std::optional<Reply> reply;
  std::string failure;
  TROUPE_CLUSTER_SEND();
  self->request(to, std::chrono::duration_cast<caf::timespan>(left), std::move(request))
      .receive(
          [&](Reply& r) {
            TROUPE_CLUSTER_RECEIVED();
            reply = std::move(r);
          },
          [&](caf::error& e) {
            failure =
                e == caf::sec::request_timeout ? std::string("timeout") : system->render(e);
          });
  if (!reply) {
    if (failure == "timeout") throw TimeoutError("no answer from " + who + " within the timeout");
    throw ConnectionError(who + " did not answer: " + failure);
  }
  return std::move(*reply);
}

}  // namespace troupe::cluster
