#include "net/connection_pool.hpp"

namespace troupe::net {

socket_fd connection_pool::take(const address& where, clock_type::time_point deadline,
                                bool& reused, bool fresh) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    auto& idle = idle_[where.to_string()];
    if (fresh) idle.clear();
    if (!fresh && !idle.empty()) {
      auto fd = std::move(idle.back());
      idle.pop_back();
      reused = true;
      return fd;
    }
  }
  reused = false;
  return connect_to(where, deadline);
}

void connection_pool::give_back(const address& where, socket_fd fd) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& idle = idle_[where.to_string()];
  if (idle.size() < idle_per_address) idle.push_back(std::move(fd));
}

connection_pool& connections() {
  static auto* pool = new connection_pool;
  return *pool;
}

}  // namespace troupe::net
