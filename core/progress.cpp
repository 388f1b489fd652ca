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

/// Returns the thread's counter to the registry when the thread ends.
struct thread_counter {
  counter* c = nullptr;
  ~thread_counter() {
    if (c == nullptr) return;
    auto& r = the_registry();
    std::lock_guard<std::mutex> guard(r.mutex);
    r.ended += c->tasks.load(std::memory_order_relaxed);
    c->tasks.store(0, std::memory_order_relaxed);
    std::erase(r.live, c);
    r.free.push_back(c);
  }
};

// The hot path reads a plain pointer (constant-initialised: no guard, no wrapper call); the
// owner with a destructor is touched once per thread, when the thread first counts.
thread_local counter* this_thread_counter = nullptr;
thread_local thread_counter this_thread_owner;

counter* register_this_thread() {
  auto& r = the_registry();
  counter* c = nullptr;
  {
    std::lock_guard<std::mutex> guard(r.mutex);
    if (r.free.empty()) {
      c = new counter();
    } else {
      c = r.free.back();
      r.free.pop_back();
    }
    r.live.push_back(c);
  }
  this_thread_owner.c = c;
  return this_thread_counter = c;
}

}  // namespace

void count_task() noexcept {
  counter* c = this_thread_counter;
  if (c == nullptr) c = register_this_thread();
  // One writer: a load and a store, no locked instruction.
  c->tasks.store(c->tasks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

std::uint64_t tasks_run() noexcept {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard(r.mutex);
  std::uint64_t total = r.ended;
  for (auto* c : r.live) total += c->tasks.load(std::memory_order_relaxed);
  return total;
}

}  // namespace troupe::progress
