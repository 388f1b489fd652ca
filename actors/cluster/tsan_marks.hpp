#pragma once
// The cluster's hand-overs between threads, made visible to ThreadSanitizer
// (core/detail/tsan.hpp): a CAF mailbox orders a send before the handler that receives it, but
// libcaf_core is not instrumented, so TSan sees neither. One address stands for every message
// of the cluster: each handler, continuation and blocking wait for an answer acquires it
// (TROUPE_CLUSTER_TURN for a whole handler, TROUPE_CLUSTER_RECEIVED after a wait), and each
// send releases it just before (TROUPE_CLUSTER_SEND). Coarser than the threads engine's marks
// per actor, which name the receiver; all of it compiles to nothing outside a TSan build.

#include "core/detail/tsan.hpp"

namespace troupe::cluster {
/// The address the marks name (its value is never read).
inline const char tsan_cluster_address = 0;
}  // namespace troupe::cluster

#define TROUPE_CLUSTER_TURN() TROUPE_TSAN_HANDLER(&::troupe::cluster::tsan_cluster_address)
#define TROUPE_CLUSTER_SEND() TROUPE_TSAN_RELEASE(&::troupe::cluster::tsan_cluster_address)
#define TROUPE_CLUSTER_RECEIVED() TROUPE_TSAN_ACQUIRE(&::troupe::cluster::tsan_cluster_address)
