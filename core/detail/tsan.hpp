#pragma once
// Happens-before that ThreadSanitizer cannot see by itself. CAF (libcaf_core from Debian) is
// not built with -fsanitize=thread, so the ordering its mailboxes give between a send and the
// receiver's handler is invisible to TSan: everything handed from one actor to another (the
// message itself, run_memory's result slots, an actor's own state when the next message runs
// on another pool thread) looks racy although each access is ordered by a message.
//
// The sender marks the hand-over with TROUPE_TSAN_RELEASE(p) just before it sends; the
// receiver, with TROUPE_TSAN_ACQUIRE(p) when the message arrives; both name the same address
// p (by convention the receiving actor, as a caf::abstract_actor*). TROUPE_TSAN_HANDLER(p) at
// the top of a message handler does both for an actor's own turns: it acquires p, and
// releases p when the handler returns. Outside a ThreadSanitizer build (`make tsan`) all three
// expand to nothing.

#if defined(__SANITIZE_THREAD__)  // GCC
#define TROUPE_TSAN_ENABLED 1
#elif defined(__has_feature)  // Clang
#if __has_feature(thread_sanitizer)
#define TROUPE_TSAN_ENABLED 1
#endif
#endif

#if defined(TROUPE_TSAN_ENABLED)
#include <sanitizer/tsan_interface.h>

namespace troupe::detail {
/// Acquires an address for its lifetime's start and releases it at its end (one actor turn).
class tsan_handler_scope {
 public:
  explicit tsan_handler_scope(const volatile void* address) noexcept
      : address_(const_cast<void*>(address)) {
    __tsan_acquire(address_);
  }
  ~tsan_handler_scope() { __tsan_release(address_); }
  tsan_handler_scope(const tsan_handler_scope&) = delete;
  tsan_handler_scope& operator=(const tsan_handler_scope&) = delete;

 private:
  void* address_;
};
}  // namespace troupe::detail

/// Everything this thread did so far happens before a later TROUPE_TSAN_ACQUIRE of `address`.
#define TROUPE_TSAN_RELEASE(address) \
  __tsan_release(const_cast<void*>(static_cast<const volatile void*>(address)))
/// What other threads did before their TROUPE_TSAN_RELEASE of `address` happens before this.
#define TROUPE_TSAN_ACQUIRE(address) \
  __tsan_acquire(const_cast<void*>(static_cast<const volatile void*>(address)))
/// Acquire `address` now and release it at the end of the enclosing scope.
#define TROUPE_TSAN_HANDLER(address) \
  ::troupe::detail::tsan_handler_scope troupe_tsan_handler_scope{address}
#else
#define TROUPE_TSAN_RELEASE(address) static_cast<void>(0)
#define TROUPE_TSAN_ACQUIRE(address) static_cast<void>(0)
#define TROUPE_TSAN_HANDLER(address) static_cast<void>(0)
#endif
