#pragma once
// The buffer pool: storage for large array values (ndarray), kept mapped and faulted in after
// its value is freed, and handed to the next array of about its size.
//
// Why: on this kind of machine filling fresh memory is bound by page faults — the kernel
// clears every new page (clear_page_erms led the profile of a 128 MiB move between workers)
// and fresh pages fill at 1.1–2.5 GB/s, a reused buffer at 17–29 GB/s. Chunks of one array are
// mostly of one size and come and go all the time (a worker receives an input, runs the task,
// drops the input), so keeping the last few mapped turns most of those faults into hits.
//
// Buffers under `min_pooled_bytes` come from operator new. Larger ones are mmap'd in whole
// 2 MiB units (transparent huge pages where the kernel gives them) and go back to the pool
// when the last owner drops them; the pool keeps at most limit() bytes, dropping the buffers
// released longest ago first, and hands a request a kept buffer no more than an eighth (or
// one unit) larger than it needs. Thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace troupe::buffer_pool {

/// Buffers smaller than this are plain heap blocks, never pooled.
inline constexpr std::size_t min_pooled_bytes = std::size_t{1} << 20;

/// `bytes` of uninitialised storage, aligned to 64 bytes; released into the pool when the
/// last shared_ptr to it goes. std::bad_alloc when the memory cannot be had.
std::shared_ptr<std::byte> allocate(std::size_t bytes);

/// The most bytes the pool keeps for reuse. Default: a sixteenth of physical memory, at most
/// 1 GiB; the config key "buffer-pool-limit" (TROUPE_BUFFER_POOL_LIMIT, bytes) overrides it
/// when the pool is first used.
std::size_t limit();
/// Sets the limit; buffers kept beyond it are unmapped at once.
void set_limit(std::size_t bytes);
/// Unmaps every kept buffer (their memory goes back to the system).
void release_all();

struct statistics {
  std::uint64_t hits = 0;    ///< large allocations served from kept buffers
  std::uint64_t misses = 0;  ///< large allocations that mapped new memory
  std::size_t kept_bytes = 0;
  std::size_t kept_buffers = 0;
};
statistics stats();

}  // namespace troupe::buffer_pool
