#pragma once
// The state of a future on the client side, shared by its Future handles and completed by the
// client actor when the scheduler's event for its key arrives. No CAF inside: the user-facing
// Future (collections/future.hpp) waits on it from any thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/value.hpp"

namespace troupe::cluster {

enum class future_status : std::uint8_t { pending, finished, error, cancelled, lost };

const char* to_string(future_status status) noexcept;

struct future_state {
  std::string key;
  future_status status = future_status::pending;
  bool has_value = false;  ///< the value is here (inline in the event, or fetched)
  Value value;
  task_failure failure;
  std::size_t wants = 0;  ///< Future handles that hold a want of the key
  std::vector<std::function<void()>> callbacks;
};

/// What the client actor and the user's threads share: one mutex for every future of the
/// client, and one condition for "some future changed" (wait and as_completed use it).
struct client_shared {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t completions = 0;
  std::unordered_map<std::string, std::shared_ptr<future_state>> futures;
  bool connected = true;
  std::string lost_reason;  ///< why the scheduler is gone
  /// One entry per dropped want, for the client actor to release in one message (a gather of
  /// 100,000 futures going out of scope is one message, not 100,000) and to drop from
  /// `futures` when no want is left (off the user's thread).
  std::vector<std::shared_ptr<future_state>> pending_releases;
};

}  // namespace troupe::cluster
