#include "net/socket_io.hpp"

#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/error.hpp"
#include "net/address.hpp"

namespace troupe::net {

std::string system_error_text() { return std::strerror(errno); }

void set_no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool wait_ready(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

void read_exact(int fd, char* out, std::size_t size,
                std::optional<clock_type::time_point> deadline) {
  while (size > 0) {
    if (deadline && !wait_ready(fd, POLLIN, *deadline))
      throw peer_closed("no answer within the timeout");
    auto n = ::recv(fd, out, size, 0);
    if (n == 0) throw peer_closed("the connection closed");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      throw peer_closed(system_error_text());
    }
    out += n;
    size -= static_cast<std::size_t>(n);
  }
}

void send_all(int fd, std::vector<iovec> parts,
              std::optional<clock_type::time_point> deadline) {
  std::size_t first = 0;
  while (first < parts.size()) {
    if (parts[first].iov_len == 0) {
      ++first;
      continue;
    }
    if (deadline && !wait_ready(fd, POLLOUT, *deadline))
      throw peer_closed("could not send within the timeout");
    msghdr message{};
    message.msg_iov = &parts[first];
    message.msg_iovlen = std::min<std::size_t>(parts.size() - first, IOV_MAX);
    auto n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      throw peer_closed(system_error_text());
    }
    auto sent = static_cast<std::size_t>(n);
    while (first < parts.size() && sent >= parts[first].iov_len) {
      sent -= parts[first].iov_len;
      ++first;
    }
    if (sent > 0) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + sent;
      parts[first].iov_len -= sent;
    }
  }
}

sockaddr_in ipv4_address(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
    throw ConnectionError("the data plane cannot resolve host '" + host + "'");
  sockaddr_in address = *reinterpret_cast<sockaddr_in*>(found->ai_addr);
  ::freeaddrinfo(found);
  address.sin_port = htons(port);
  return address;
}

bool port_in_use(const std::string& host, std::uint16_t port) {
  socket_fd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.get() < 0) return false;
  int one = 1;
  setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  try {
    auto where = ipv4_address(host, port);
    return ::bind(probe.get(), reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 &&
           errno == EADDRINUSE;
  } catch (const ConnectionError&) {
    return false;
  }
}

socket_fd connect_to(const address& where, clock_type::time_point deadline, const char* what) {
  auto target = ipv4_address(where.host, where.port);
  socket_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) throw ConnectionError("cannot make a socket: " + system_error_text());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    if (errno != EINPROGRESS)
      throw ConnectionError("cannot reach " + std::string(what) + " at " + where.to_string() + ": " +
                            system_error_text());
    if (!wait_ready(fd.get(), POLLOUT, deadline))
      throw ConnectionError(std::string(what) + " at " + where.to_string() +
                            " did not accept a connection within the timeout");
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0)
      throw ConnectionError("cannot reach " + std::string(what) + " at " + where.to_string() + ": " +
                            std::strerror(error));
  }
  set_no_delay(fd.get());
  return fd;
}

void read_pieces(int fd, const std::vector<iovec>& pieces,
                 std::optional<clock_type::time_point> deadline) {
  for (const auto& p : pieces) read_exact(fd, static_cast<char*>(p.iov_base), p.iov_len, deadline);
}

}  // namespace troupe::net
