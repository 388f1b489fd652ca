#pragma once
// Blocking socket I/O for the data plane: exact reads and full writes with an optional
// deadline, a descriptor that closes itself, and the two ways a connection ends (the peer broke
// the protocol, or it went away). Host byte order throughout: every host of a cluster is
// little-endian.

#include <netinet/in.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace troupe::net {

struct address;

using clock_type = std::chrono::steady_clock;

/// A socket descriptor, closed on destruction.
class socket_fd {
 public:
  socket_fd() = default;
  explicit socket_fd(int fd) : fd_(fd) {}
  ~socket_fd() { reset(); }
  socket_fd(socket_fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  socket_fd& operator=(socket_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

/// Why a connection is dropped: the peer broke the protocol (logged), or it went away.
struct protocol_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct peer_closed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string system_error_text();
void set_no_delay(int fd);
/// Waits until `fd` is ready for `events` or the deadline passes (false then).
bool wait_ready(int fd, short events, clock_type::time_point deadline);
/// Reads exactly `size` bytes. Without a deadline it blocks (the server's side, unblocked by
/// shutdown()). peer_closed at end of stream or on an error.
void read_exact(int fd, char* out, std::size_t size,
                std::optional<clock_type::time_point> deadline = std::nullopt);

template <class T>
T read_pod(int fd, std::optional<clock_type::time_point> deadline = std::nullopt) {
  T x;
  read_exact(fd, reinterpret_cast<char*>(&x), sizeof x, deadline);
  return x;
}

/// Sends every byte of `parts` (writev in batches, partial writes resumed). peer_closed when
/// the peer goes away.
void send_all(int fd, std::vector<iovec> parts,
              std::optional<clock_type::time_point> deadline = std::nullopt);

inline iovec piece(const void* data, std::size_t size) {
  return iovec{const_cast<void*>(data), size};
}

/// The IPv4 address of `host` (a name or dotted quad) and `port`; ConnectionError when it
/// does not resolve.
sockaddr_in ipv4_address(const std::string& host, std::uint16_t port);
/// Whether another socket holds `port` on `host` (binding there fails with EADDRINUSE): to name
/// the cause when a listener cannot start.
bool port_in_use(const std::string& host, std::uint16_t port);
/// A connected, non-blocking TCP socket to `where`; ConnectionError naming it (as `what`) when
/// it cannot be reached before the deadline.
socket_fd connect_to(const address& where, clock_type::time_point deadline,
                     const char* what = "the data plane");

// The pieces of `buffers` (spans with .data and .size) that hold bytes [offset, offset + size)
// of their concatenation.
template <class Span>
std::vector<iovec> body_range(const std::vector<Span>& buffers, std::uint64_t offset,
                              std::uint64_t size) {
  std::vector<iovec> pieces;
  for (const auto& b : buffers) {
    if (size == 0) break;
    if (offset >= b.size) {
      offset -= b.size;
      continue;
    }
    const auto take = std::min<std::uint64_t>(b.size - offset, size);
    pieces.push_back(piece(b.data + offset, take));
    offset = 0;
    size -= take;
  }
  return pieces;
}

void read_pieces(int fd, const std::vector<iovec>& pieces,
                 std::optional<clock_type::time_point> deadline);

/// Where segment `i` of `count` starts in a body of `size` bytes (i == count: its end).
inline std::uint64_t segment_start(std::uint64_t size, std::uint32_t i, std::uint32_t count) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(size) * i) / count);
}

}  // namespace troupe::net
