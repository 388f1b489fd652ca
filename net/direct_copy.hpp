#pragma once
// Direct copies between processes on one host: the reader copies a value's buffers straight
// out of the holder's memory with process_vm_readv (Linux cross-memory attach, as MPI
// libraries move large messages within a node): one copy, no socket, no shared segment.
// Measured here (docs/architecture.md, The data plane): 11 GB/s for 128 MiB into fresh memory,
// against 3.3 GB/s through a memfd segment mapped by the reader and copied out, and 1.9-2.3
// GB/s over loopback TCP.
//
// Both sides must be on the same kernel, in the same pid namespace and (so that ip netns
// "hosts" stay hosts) the same network namespace: host_identity() says which, and the data
// plane copies directly only between processes whose identities match. The kernel allows it
// between processes of one user; where Yama restricts ptrace, allow_direct_readers() lets
// any process of that user read this one. A copy that is refused anyway falls back to the
// socket.

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::net {

/// This process's host: boot id, pid namespace and network namespace; "" when unknown (then
/// no direct copies are made).
const std::string& host_identity();

/// Lets processes of this user read this process's memory where Yama would restrict it (a
/// no-op elsewhere). Called by every data server, and by a process before its first put that
/// offers a direct copy.
void allow_direct_readers();

struct remote_span {
  std::uint64_t address;
  std::uint64_t size;
};

/// Copies `from` (addresses in process `pid`) into `to`, in order; the two lists cover the same
/// number of bytes. False when the kernel refuses or the process is gone (nothing to rely on
/// in `to` then).
bool copy_from_process(int pid, const std::vector<remote_span>& from,
                       const std::vector<remote_span>& to);

}  // namespace troupe::net
