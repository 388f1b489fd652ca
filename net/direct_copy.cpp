#include "net/direct_copy.hpp"

#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace troupe::net {

namespace {

std::string namespace_of(const char* path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return ec ? std::string() : target.string();
}

std::string read_host_identity() {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  if (!std::getline(boot, boot_id) || boot_id.empty()) return {};
  auto pids = namespace_of("/proc/self/ns/pid");
  auto network = namespace_of("/proc/self/ns/net");
  if (pids.empty() || network.empty()) return {};
  return boot_id + " " + pids + " " + network;
}

}  // namespace

const std::string& host_identity() {
  static const std::string identity = read_host_identity();
  return identity;
}

void allow_direct_readers() {
#ifdef PR_SET_PTRACER
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);  // EINVAL without Yama: nothing to do
#endif
}

bool copy_from_process(int pid, const std::vector<remote_span>& from,
                       const std::vector<remote_span>& to) {
  // Positions in both lists: span index and offset into it; empty spans are stepped over.
  std::size_t from_index = 0, to_index = 0;
  std::uint64_t from_offset = 0, to_offset = 0;
  auto step_over_finished = [&] {
    while (from_index < from.size() && from[from_index].size == from_offset) {
      ++from_index;
      from_offset = 0;
    }
    while (to_index < to.size() && to[to_index].size == to_offset) {
      ++to_index;
      to_offset = 0;
    }
  };
  step_over_finished();
  while (from_index < from.size() && to_index < to.size()) {
    // One piece of each side per call: pieces are whole buffers (MiB), so calls are few, and a
    // short count resumes where it stopped.
    const std::uint64_t size = std::min<std::uint64_t>(
        {from[from_index].size - from_offset, to[to_index].size - to_offset, std::uint64_t{1} << 30});
    iovec source{reinterpret_cast<void*>(from[from_index].address + from_offset),
                 static_cast<std::size_t>(size)};
    iovec target{reinterpret_cast<void*>(to[to_index].address + to_offset),
                 static_cast<std::size_t>(size)};
    const auto n = ::process_vm_readv(pid, &target, 1, &source, 1, 0);
    if (n <= 0) return false;
    from_offset += static_cast<std::uint64_t>(n);
    to_offset += static_cast<std::uint64_t>(n);
    step_over_finished();
  }
  return from_index == from.size() && to_index == to.size();
}

}  // namespace troupe::net
