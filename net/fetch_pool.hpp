#pragma once
// fetch_pool: a few threads that run data plane fetches (net/data_plane.hpp) for an actor,
// which must not block on sockets itself. Fetches queue when all threads are busy, so a worker
// that needs a thousand large inputs at once opens a few connections, not a thousand threads.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/value.hpp"

namespace troupe::net {

struct fetch_result {
  std::vector<std::optional<Value>> values;  ///< one per key; nullopt: the server lacks it
  std::string error;                         ///< the fetch failed as a whole ("" when not)
  /// The failure was not the connection's: the holder sent what does not decode (a value
  /// or an answer). Asking it again would get the same.
  bool undecodable = false;
  std::size_t direct = 0;                    ///< values copied from the holder's memory
  std::size_t segmented = 0;                 ///< values that came in segments
};

class fetch_pool {
 public:
  /// Up to `threads` threads, started as fetches come (none for a worker that never fetches).
  explicit fetch_pool(std::size_t threads = 4);
  /// Stops taking jobs; fetches under way finish on their own (bounded by their timeouts)
  /// without their callers waiting, and queued ones are dropped.
  ~fetch_pool();
  fetch_pool(const fetch_pool&) = delete;
  fetch_pool& operator=(const fetch_pool&) = delete;

  /// Fetches `keys` from the data server at `address`; `done` runs on a pool thread.
  /// std::system_error when no thread can be started and none runs yet.
  void fetch(std::string address, std::vector<std::string> keys,
             std::chrono::milliseconds timeout, std::function<void(fetch_result)> done);

  struct shared;

 private:
  std::shared_ptr<shared> shared_;
};

}  // namespace troupe::net
