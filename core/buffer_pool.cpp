#include "core/buffer_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace troupe::buffer_pool {

namespace {

constexpr std::size_t unit = std::size_t{2} << 20;  ///< a transparent huge page
constexpr std::size_t alignment = 64;

std::size_t default_limit() {
  auto pages = ::sysconf(_SC_PHYS_PAGES);
  auto page_size = ::sysconf(_SC_PAGESIZE);
  std::size_t physical = pages > 0 && page_size > 0
                             ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size)
                             : 0;
  return std::min<std::size_t>(physical / 16, std::size_t{1} << 30);
}

std::size_t configured_limit() {
  auto text = config::get("buffer-pool-limit");
  if (!text) return default_limit();
  std::size_t bytes = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), bytes);
  if (ec != std::errc() || end != text->data() + text->size())
    throw ArgumentError("buffer-pool-limit (TROUPE_BUFFER_POOL_LIMIT) is '" + *text +
                        "': give a number of bytes, such as 268435456 (0 keeps no buffers)");
  return bytes;
}

struct kept_buffer {
  void* address;
  std::size_t size;
  std::uint64_t released;  ///< when it came back (a tick of the pool's clock)
};

class pool {
 public:
  pool() : limit_(configured_limit()) {}

  /// A buffer of at least `size` bytes, and its actual size.
  std::pair<void*, std::size_t> take(std::size_t size) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      // The smallest kept buffer that is large enough and not much larger.
      auto best = kept_.end();
      const std::size_t most = size + std::max(unit, size / 8);
      for (auto i = kept_.begin(); i != kept_.end(); ++i)
        if (i->size >= size && i->size <= most && (best == kept_.end() || i->size < best->size))
          best = i;
      if (best != kept_.end()) {
        std::pair<void*, std::size_t> found{best->address, best->size};
        kept_bytes_ -= best->size;
        *best = kept_.back();
        kept_.pop_back();
        ++hits_;
        return found;
      }
      ++misses_;
    }
    void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                           -1, 0);
    if (address == MAP_FAILED) throw std::bad_alloc();
    ::madvise(address, size, MADV_HUGEPAGE);
    return {address, size};
  }

  void give_back(void* address, std::size_t size) noexcept {
    std::vector<kept_buffer> dropped;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (size <= limit_) {
        kept_.push_back({address, size, ++clock_});
        kept_bytes_ += size;
        address = nullptr;
        evict_beyond_limit(dropped);
      }
    }
    if (address != nullptr) ::munmap(address, size);
    for (const auto& b : dropped) ::munmap(b.address, b.size);  // outside the lock
  }

  void set_limit(std::size_t bytes) {
    std::vector<kept_buffer> dropped;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      limit_ = bytes;
      evict_beyond_limit(dropped);
    }
    for (const auto& b : dropped) ::munmap(b.address, b.size);
  }

  std::size_t limit() {
    std::lock_guard<std::mutex> guard(mutex_);
    return limit_;
  }

  statistics stats() {
    std::lock_guard<std::mutex> guard(mutex_);
    return {hits_, misses_, kept_bytes_, kept_.size()};
  }

 private:
  /// Moves the longest-kept buffers to `dropped` until the rest fit the limit.
  void evict_beyond_limit(std::vector<kept_buffer>& dropped) {
    if (kept_bytes_ <= limit_) return;
    std::sort(kept_.begin(), kept_.end(),
              [](const kept_buffer& a, const kept_buffer& b) { return a.released > b.released; });
    while (kept_bytes_ > limit_) {
      dropped.push_back(kept_.back());
      kept_bytes_ -= kept_.back().size;
      kept_.pop_back();
    }
  }

  std::mutex mutex_;
  std::size_t limit_;
  std::vector<kept_buffer> kept_;  ///< a few dozen at most: searched linearly
  std::size_t kept_bytes_ = 0;
  std::uint64_t clock_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

pool& the_pool() {
  // Never destroyed: buffers may be released by static destructors after it would be.
  static pool* p = new pool();
  return *p;
}

}  // namespace

std::shared_ptr<std::byte> allocate(std::size_t bytes) {
  if (bytes < min_pooled_bytes) {
    auto* block = static_cast<std::byte*>(
        ::operator new(std::max<std::size_t>(bytes, 1), std::align_val_t{alignment}));
    return std::shared_ptr<std::byte>(block, [](std::byte* b) {
      ::operator delete(b, std::align_val_t{alignment});
    });
  }
  if (bytes > SIZE_MAX - unit) throw std::bad_alloc();
  auto [address, size] = the_pool().take((bytes + unit - 1) / unit * unit);
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(address), [size = size](std::byte* b) {
    the_pool().give_back(b, size);
  });
}

std::size_t limit() { return the_pool().limit(); }
void set_limit(std::size_t bytes) { the_pool().set_limit(bytes); }
void release_all() {
  auto& p = the_pool();
  auto kept = p.limit();
  p.set_limit(0);
  p.set_limit(kept);
}
statistics stats() { return the_pool().stats(); }

}  // namespace troupe::buffer_pool
