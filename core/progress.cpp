#include "core/progress.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace troupe::progress {

namespace {

/// One thread's count, alone on its cache line; written by that thread only.
struct alignas(64) counter {
  std::atomic<std::uint64_t> tasks{0};
};

struct registry {
  std::mutex mutex;
  std::vector<counter*> live;
  std::vector<counter*> free;  ///< of threads that ended, for the next ones
  std::uint64_t ended = 0;     ///< counts of those threads
};

registry& the_registry() {
  static auto* r = new registry();  // never destroyed: threads may end after static destructors
  return *r;
}

/// This thread's counter, returned to the registry when the thread ends.
struct thread_counter {
  counter* c;
  thread_counter() {
    auto& r = the_registry();
    std::lock_guard<std::mutex> guard(r.mutex);
    if (r.free.empty()) {
      c = new counter();
    } else {
      c = r.free.back();
      r.free.pop_back();
    }
    r.live.push_back(c);
  }
  ~thread_counter() {
    auto& r = the_registry();
    std::lock_guard<std::mutex> guard(r.mutex);
    r.ended += c->tasks.load(std::memory_order_relaxed);
    c->tasks.store(0, std::memory_order_relaxed);
    std::erase(r.live, c);
    r.free.push_back(c);
  }
};

}  // namespace

void count_task() noexcept {
  thread_local thread_counter mine;
  // One writer: a load and a store, no locked instruction.
  mine.c->tasks.store(mine.c->tasks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

std::uint64_t tasks_run() noexcept {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  std::uint64_t total = r.ended;
  for (auto* c : r.live) total += c->tasks.load(std::memory_order_relaxed);
  return total;
}

}  // namespace troupe::progress
