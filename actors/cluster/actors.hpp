#pragma once
// Spawning the cluster's actors. Include only from actors/cluster/*.cpp (pulls in CAF).

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/cluster/spec.hpp"

namespace troupe::cluster {

struct client_shared;

/// How long the scheduler waits for each worker's answer when it asks them all.
struct scheduler_timeouts {
  std::chrono::seconds upload{60};   ///< to load an uploaded library
  std::chrono::seconds describe{2};  ///< to describe itself for a state dump
};

/// The scheduler. (It takes its timeouts as a spawn argument; CAF 0.17 also dereferences a
/// null pointer when a function actor is spawned with none, which UBSan reports.)
caf::actor spawn_scheduler(caf::actor_system& system, scheduler_timeouts timeouts = {});

/// A worker of `scheduler`. Sent its worker_info, it starts info.nthreads executor threads of
/// its own and registers; `registered` gets "" or the reason it could not.
caf::actor spawn_worker(caf::actor_system& system, caf::actor scheduler,
                        std::shared_ptr<std::promise<std::string>> registered);

/// The client actor behind a client_connection: completes its futures from scheduler events.
caf::actor spawn_client(caf::actor_system& system, caf::actor scheduler,
                        std::shared_ptr<client_shared> shared);

}  // namespace troupe::cluster
