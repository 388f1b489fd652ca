#pragma once
// cluster_node: one actor system set up for the cluster's roles (protocol types, CAF's
// middleman for TCP). A process has one per role it plays: the `troupe scheduler` and
// `troupe worker` commands, a LocalCluster (scheduler, and in-process workers), a Client.

#include <chrono>
#include <memory>
#include <string>

#include "actors/cluster/client_connection.hpp"
#include "actors/cluster/spec.hpp"

namespace troupe::cluster {

class cluster_node {
 public:
  /// `threads`: CAF's scheduler threads for the actors (executors have their own).
  explicit cluster_node(std::size_t threads = 2);
  ~cluster_node();
  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// Starts this node's scheduler, served on host:port (port 0: any free one); returns its
  /// address tcp://HOST:PORT. With `serve` false it is reachable from this process only, as
  /// inproc://scheduler. Throws ArgumentError naming the port when it cannot be bound.
  std::string start_scheduler(const std::string& host, int port, bool serve = true);

  /// Starts a worker for the scheduler at `scheduler` (this node's own when it is this node's
  /// address), served on info.host (any port). Returns once the scheduler accepted it; throws
  /// naming the address when it cannot be reached or refuses.
  void start_worker(const std::string& scheduler, worker_info info,
                    std::chrono::seconds timeout = std::chrono::seconds(30));

  /// A client of the scheduler at `scheduler`.
  std::shared_ptr<client_connection> connect(const std::string& scheduler, std::string name,
                                             std::chrono::seconds timeout = std::chrono::seconds(30));

  /// Tells the scheduler at `scheduler` (what a nanny does when its worker process ends);
  /// false when it could not be reached or did not answer within `timeout`.
  bool report_to_scheduler(const std::string& scheduler, nanny_report report,
                           std::chrono::seconds timeout = std::chrono::seconds(5));

  /// Workers of this node still running (they stop when their scheduler goes).
  std::size_t running_workers() const;
  /// This node's scheduler's account of its state (SchedulerState::describe), "" without one.
  std::string describe_scheduler() const;
  /// Workers registered with this node's scheduler (0 without one).
  std::size_t scheduler_worker_count() const;

  /// Stops the scheduler (telling its workers to stop) and this node's workers.
  void shutdown();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;  ///< shared with its client connections, which outlive it
};

}  // namespace troupe::cluster
