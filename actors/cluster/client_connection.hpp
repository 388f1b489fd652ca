#pragma once
// A client's link to a scheduler, with no CAF in its interface: collections/client.cpp builds
// on it. Calls that wait (results, gather, scatter, info) take a timeout and throw an error
// naming the scheduler or worker address when it passes or the peer is gone.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/cluster/future_state.hpp"
#include "actors/cluster/spec.hpp"

namespace caf {
class actor_system;
class actor;
}  // namespace caf

namespace troupe::cluster {

class cluster_node;

struct cluster_summary {
  std::string scheduler;
  std::vector<worker_info> workers;
  std::uint64_t tasks = 0;  ///< keys the scheduler holds (wanted, or needed by wanted ones)
};

class client_connection {
 public:
  using duration = std::chrono::steady_clock::duration;

  ~client_connection();
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  const std::string& scheduler_address() const noexcept;
  client_id id() const noexcept;

  /// One want of `key` by a new Future handle; the state is shared by every handle of the key.
  std::shared_ptr<future_state> want(const std::string& key);
  /// want() for many keys at once (one lock).
  std::vector<std::shared_ptr<future_state>> want(const std::vector<std::string>& keys);
  /// A handle is dropped: its want is released on the scheduler (batched).
  void unwant(std::shared_ptr<future_state> state);

  /// Sends tasks and the keys wanted by the handles just made with want().
  void submit(std::vector<task_spec> tasks, std::vector<std::string> wanted);
  void cancel(const std::vector<std::string>& keys);
  void retry(const std::vector<std::string>& keys);

  /// Waits until the future is done (not pending); false when the timeout passed first.
  bool wait(const future_state& state, duration timeout);
  /// The values of finished futures, fetched from the workers that hold them where they did
  /// not come inline. TaskError for an erred one, CancelledError for a cancelled one.
  std::vector<Value> gather(const std::vector<std::shared_ptr<future_state>>& states,
                            duration timeout);
  /// Puts values on workers (all of them with `broadcast`); returns their futures.
  std::vector<std::shared_ptr<future_state>> scatter(const std::vector<std::string>& keys,
                                                     const std::vector<Value>& values,
                                                     bool broadcast, duration timeout);
  cluster_summary info(duration timeout);
  /// Every current and later worker loads the library; ArgumentError lists those that could
  /// not.
  void upload_library(const std::string& name, const std::string& bytes, duration timeout);

  client_shared& shared() noexcept;

  /// Leaves the scheduler: it releases everything this client wanted.
  void close();

 private:
  friend class cluster_node;
  friend std::shared_ptr<client_connection> connect_client(caf::actor_system&, caf::actor,
                                                           const std::string&, std::string,
                                                           std::chrono::seconds,
                                                           std::shared_ptr<void>);
  struct impl;
  explicit client_connection(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe::cluster
