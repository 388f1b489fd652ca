#pragma once
// Connections to data servers kept for the next request to the same address (up to 4 idle ones
// each): a new one costs a round trip, and on the server a thread.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "net/socket_io.hpp"

namespace troupe::net {

/// Idle connections to data servers, by address.
class connection_pool {
 public:
  static constexpr std::size_t idle_per_address = 4;

  /// A kept connection to `where` (reused = true), or a new one; with `fresh`, a new one,
  /// and the kept ones are dropped (one was found closed: the others likely are too).
  socket_fd take(const address& where, clock_type::time_point deadline, bool& reused,
                 bool fresh = false);

  /// Keeps a connection whose last request was answered in full.
  void give_back(const address& where, socket_fd fd);

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<socket_fd>> idle_;
};

/// The process's pool. Never destroyed: a thread still fetching while the program exits must
/// not find it gone.
connection_pool& connections();

/// Runs `exchange(fd)` on a kept or new connection to `where`, then keeps the connection.
/// A kept connection found closed before `exchange` got any answer (answered() false) is
/// replaced by a new one, once.
template <class Exchange, class Answered>
auto with_connection(const address& where, clock_type::time_point deadline, Exchange&& exchange,
                     Answered&& answered) {
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto fd = connections().take(where, deadline, reused, attempt > 0);
    try {
      auto result = exchange(fd.get());
      connections().give_back(where, std::move(fd));
      return result;
    } catch (const peer_closed&) {
      if (!reused || attempt > 0 || answered()) throw;
    }
  }
}

}  // namespace troupe::net
