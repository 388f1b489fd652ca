#include "net/data_plane.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iostream>
#include <list>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/error.hpp"
#include "core/wire_form.hpp"
#include "net/address.hpp"
#include "net/connection_pool.hpp"
#include "net/direct_copy.hpp"
#include "net/segmented_upload.hpp"
#include "net/socket_io.hpp"

namespace troupe::net {

namespace {

constexpr char get_magic[4] = {'T', 'R', 'Q', '1'};
constexpr char get_direct_magic[4] = {'T', 'R', 'Q', '2'};  ///< a get that names the reader's host and streams
constexpr char range_magic[4] = {'T', 'R', 'R', '1'};       ///< a part of a value's body
constexpr std::uint32_t max_streams = 16;
constexpr std::size_t max_identity_size = 1024;
constexpr char put_magic[4] = {'T', 'R', 'P', '1'};
constexpr char put_direct_magic[4] = {'T', 'R', 'P', '2'};  ///< a put from a writer that names its host
constexpr char upload_magic[4] = {'T', 'R', 'U', '1'};  ///< a segment of a segmented put

// How a TRP2 put sends each value after its header.
constexpr std::uint8_t put_body = 1;       ///< the body follows
constexpr std::uint8_t put_addresses = 2;  ///< same host: the server copies from the writer
constexpr std::uint8_t put_segments = 3;   ///< the body comes in segments over several connections

// Reads the addresses of `receiver`'s buffers in process `pid` (u64 each), copies them from
// there, and says whether it could (u8 1 or 0). On 0 the body follows on the socket.
bool copy_announced(int fd, int pid, wire_receiver& receiver,
                    std::optional<clock_type::time_point> deadline) {
  const auto& buffers = receiver.buffers();
  std::vector<std::uint64_t> addresses(buffers.size());
  read_exact(fd, reinterpret_cast<char*>(addresses.data()),
             addresses.size() * sizeof(std::uint64_t), deadline);
  std::vector<remote_span> from;
  std::vector<remote_span> to;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    from.push_back({addresses[i], buffers[i].size});
    to.push_back({reinterpret_cast<std::uintptr_t>(buffers[i].data), buffers[i].size});
  }
  const std::uint8_t copied = copy_from_process(pid, from, to) ? 1 : 0;
  send_all(fd, {piece(&copied, 1)}, deadline);
  return copied == 1;
}

// The addresses of a wire form's buffers, as copy_announced reads them.
std::vector<std::uint64_t> buffer_addresses(const wire_form& form) {
  std::vector<std::uint64_t> addresses;
  for (const auto& b : form.buffers) addresses.push_back(reinterpret_cast<std::uintptr_t>(b.data));
  return addresses;
}

}  // namespace

std::uint64_t physical_memory_bytes() noexcept {
  auto pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(size)
                               : 1ull << 40;
}

// -- server ------------------------------------------------------------------------------------

struct data_server::impl {
  lookup find;
  keep store;
  data_limits limits;
  socket_fd listener;
  std::string address;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> dropped{0};
  std::atomic<std::size_t> direct_copies{0};
  std::atomic<std::size_t> ranges_sent{0};
  std::atomic<std::size_t> segments_received{0};
  upload_table uploads;
  std::thread acceptor;

  struct connection {
    socket_fd fd;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::mutex mutex;
  std::list<connection> connections;

  void accept_loop();
  void serve(connection& c);
  void answer(int fd);
  std::vector<std::string> read_keys(int fd, std::uint32_t count);
  std::string read_identity(int fd);
  bool same_host(const std::string& identity) const;
  void answer_get(int fd, bool same_host, std::uint32_t streams);
  void answer_range(int fd);
  void lend(int fd, const wire_form& form);
  void answer_put(int fd, bool marked, int direct_from);
  /// A value whose body comes in segments (after u8 3 and its header): into `receiver`.
  void receive_segmented(int fd, const std::string& key, wire_receiver& receiver);
  void answer_upload(int fd);
  /// Joins the threads of connections that ended.
  void reap();
};

data_server::data_server(const std::string& host, lookup find, data_limits limits, keep store,
                         std::uint16_t port)
    : impl_(std::make_unique<impl>()) {
  impl_->find = std::move(find);
  impl_->store = std::move(store);
  impl_->limits = limits;
  auto where = ipv4_address(host.empty() ? "0.0.0.0" : host, port);
  impl_->listener = socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int fd = impl_->listener.get();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 ||
      ::listen(fd, 128) != 0)
    throw ConnectionError("the data plane cannot listen on " + host + ": " +
                          system_error_text());
  socklen_t length = sizeof where;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&where), &length);
  impl_->address = net::address{reachable_host(host), ntohs(where.sin_port)}.to_string();
  allow_direct_readers();
  impl_->acceptor = std::thread([this] { impl_->accept_loop(); });
}

data_server::~data_server() {
  impl_->stopping = true;
  ::shutdown(impl_->listener.get(), SHUT_RDWR);
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  std::lock_guard<std::mutex> guard(impl_->mutex);
  for (auto& c : impl_->connections) ::shutdown(c.fd.get(), SHUT_RDWR);  // unblocks recv/send
  for (auto& c : impl_->connections)
    if (c.thread.joinable()) c.thread.join();
}

const std::string& data_server::address() const noexcept { return impl_->address; }

std::size_t data_server::dropped_connections() const noexcept { return impl_->dropped; }

std::size_t data_server::direct_copies() const noexcept { return impl_->direct_copies; }

std::size_t data_server::ranges_sent() const noexcept { return impl_->ranges_sent; }

std::size_t data_server::segments_received() const noexcept { return impl_->segments_received; }

void data_server::impl::accept_loop() {
  while (!stopping) {
    // Ended connections are joined on every pass (not only when no connection came for a
    // while: under steady traffic their descriptors would run out).
    reap();
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let some end first
      continue;
    }
    set_no_delay(fd);
    std::lock_guard<std::mutex> guard(mutex);
    if (stopping) {
      ::close(fd);
      break;
    }
    auto& c = connections.emplace_back();
    c.fd = socket_fd(fd);
    try {
      c.thread = std::thread([this, &c] { serve(c); });
    } catch (const std::system_error& e) {  // no thread to be had: refuse this connection
      std::cerr << "troupe data plane " << address << ": refused a connection: " << e.what()
                << std::endl;
      connections.pop_back();
    }
  }
}

void data_server::impl::reap() {
  std::lock_guard<std::mutex> guard(mutex);
  for (auto it = connections.begin(); it != connections.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    it = connections.erase(it);
  }
}

void data_server::impl::serve(connection& c) {
  try {
    for (;;) answer(c.fd.get());
  } catch (const protocol_error& e) {
    ++dropped;
    std::cerr << "troupe data plane " << address << ": dropped a connection: " << e.what()
              << std::endl;
  } catch (const peer_closed&) {
    // The peer is done, or gone: nothing to report.
  } catch (const std::exception& e) {
    std::cerr << "troupe data plane " << address << ": dropped a connection: " << e.what()
              << std::endl;
  }
  ::shutdown(c.fd.get(), SHUT_RDWR);
  c.done = true;
}

// Reads one request and answers it.
void data_server::impl::answer(int fd) {
  char magic[4];
  read_exact(fd, magic, sizeof magic);
  if (std::memcmp(magic, get_magic, sizeof magic) == 0) return answer_get(fd, false, 1);
  if (std::memcmp(magic, put_magic, sizeof magic) == 0) return answer_put(fd, false, -1);
  if (std::memcmp(magic, get_direct_magic, sizeof magic) == 0) {
    const bool same = same_host(read_identity(fd));
    const auto streams = read_pod<std::uint8_t>(fd);
    return answer_get(fd, same, std::clamp<std::uint32_t>(streams, 1, max_streams));
  }
  if (std::memcmp(magic, range_magic, sizeof magic) == 0) return answer_range(fd);
  if (std::memcmp(magic, put_direct_magic, sizeof magic) == 0) {
    const bool same = same_host(read_identity(fd));
    const auto pid = read_pod<std::uint32_t>(fd);
    const std::uint8_t welcome = same ? 1 : 0;
    send_all(fd, {piece(&welcome, 1)});
    return answer_put(fd, true, same ? static_cast<int>(pid) : -1);
  }
  if (std::memcmp(magic, upload_magic, sizeof magic) == 0) return answer_upload(fd);
  throw protocol_error("a request that starts with none of TRQ1, TRQ2, TRR1, TRP1, TRP2 and TRU1");
}

std::string data_server::impl::read_identity(int fd) {
  auto size = read_pod<std::uint16_t>(fd);
  if (size > max_identity_size)
    throw protocol_error("a host identity of " + std::to_string(size) + " bytes");
  std::string identity(size, '\0');
  read_exact(fd, identity.data(), size);
  return identity;
}

bool data_server::impl::same_host(const std::string& identity) const {
  return limits.direct && !identity.empty() && identity == host_identity();
}

std::vector<std::string> data_server::impl::read_keys(int fd, std::uint32_t count) {
  if (count > limits.max_keys)
    throw protocol_error("a request for " + std::to_string(count) + " keys (the limit is " +
                         std::to_string(limits.max_keys) + ")");
  std::vector<std::string> keys(count);
  for (auto& key : keys) {
    auto size = read_pod<std::uint32_t>(fd);
    if (size > limits.max_key_size)
      throw protocol_error("a key of " + std::to_string(size) + " bytes (the limit is " +
                           std::to_string(limits.max_key_size) + ")");
    key.resize(size);
    read_exact(fd, key.data(), size);
  }
  return keys;
}

void data_server::impl::answer_get(int fd, bool same_host, std::uint32_t streams) {
  auto keys = read_keys(fd, read_pod<std::uint32_t>(fd));
  for (const auto& key : keys) {
    std::optional<wire_form> form;
    if (auto value = find(key)) {
      try {
        form = to_wire_form(std::move(*value));
      } catch (const std::exception& e) {  // a type without a codec: as if not here
        std::cerr << "troupe data plane " << address << ": cannot send " << key << ": "
                  << e.what() << std::endl;
      }
    }
    const std::uint8_t here = form ? 1 : 0;
    if (!form) {
      send_all(fd, {piece(&here, 1)});
      continue;
    }
    if (same_host && form->body_size() >= direct_copy_threshold) {
      lend(fd, *form);
      continue;
    }
    const auto header_size = static_cast<std::uint32_t>(form->header.size());
    const auto body = form->body_size();
    if (streams > 1 && body >= segmented_threshold) {
      // Only the first segment here; the reader fetches the others over more connections.
      const std::uint8_t segmented = 3;
      std::vector<iovec> parts{piece(&segmented, 1), piece(&header_size, sizeof header_size),
                               piece(form->header.data(), form->header.size()),
                               piece(&streams, sizeof streams)};
      for (const auto& p : body_range(form->buffers, 0, segment_start(body, 1, streams)))
        parts.push_back(p);
      send_all(fd, std::move(parts));
      continue;
    }
    std::vector<iovec> parts{piece(&here, 1), piece(&header_size, sizeof header_size),
                             piece(form->header.data(), form->header.size())};
    for (const auto& b : form->buffers) parts.push_back(piece(b.data, b.size));
    send_all(fd, std::move(parts));
  }
}

// A part of a value's body, for a reader that takes a large value over several connections.
void data_server::impl::answer_range(int fd) {
  const auto key = read_keys(fd, 1).front();
  const auto offset = read_pod<std::uint64_t>(fd);
  const auto size = read_pod<std::uint64_t>(fd);
  std::optional<wire_form> form;
  if (auto value = find(key)) form = to_wire_form(std::move(*value));
  const std::uint8_t here = form ? 1 : 0;
  if (!form) {
    send_all(fd, {piece(&here, 1)});
    return;
  }
  if (offset > form->body_size() || size > form->body_size() - offset)
    throw protocol_error("a range past the end of " + key);
  std::vector<iovec> parts{piece(&here, 1)};
  for (const auto& p : body_range(form->buffers, offset, size)) parts.push_back(p);
  send_all(fd, std::move(parts));
  ++ranges_sent;
}

// Tells a reader on this host where the value's buffers are, and keeps the value until it
// says it copied them; the body goes over the socket when it could not.
void data_server::impl::lend(int fd, const wire_form& form) {
  const std::uint8_t direct = 2;
  const auto header_size = static_cast<std::uint32_t>(form.header.size());
  const auto pid = static_cast<std::uint32_t>(::getpid());
  const auto addresses = buffer_addresses(form);
  send_all(fd, {piece(&direct, 1), piece(&header_size, sizeof header_size),
                piece(form.header.data(), form.header.size()), piece(&pid, sizeof pid),
                piece(addresses.data(), addresses.size() * sizeof(std::uint64_t))});
  const auto copied = read_pod<std::uint8_t>(fd);
  if (copied == 1) {
    ++direct_copies;
    return;
  }
  if (copied != 0) throw protocol_error("a direct copy answered with neither 0 nor 1");
  std::vector<iovec> body;
  for (const auto& b : form.buffers) body.push_back(piece(b.data, b.size));
  send_all(fd, std::move(body));
}

// A `marked` put (TRP2) marks each value after its header: u8 1 (its body follows), u8 2 (from
// a writer on this host, `direct_from`: the addresses of its buffers follow, to copy from the
// writer's memory; the copy's outcome goes back at once, and on u8 0 the body follows), or u8 3
// (its body comes in segments, see receive_segmented).
void data_server::impl::answer_put(int fd, bool marked, int direct_from) {
  auto count = read_pod<std::uint32_t>(fd);
  if (count > limits.max_keys)
    throw protocol_error("a put of " + std::to_string(count) + " values (the limit is " +
                         std::to_string(limits.max_keys) + ")");
  std::vector<std::uint8_t> kept;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto key = read_keys(fd, 1).front();
    auto header_size = read_pod<std::uint32_t>(fd);
    if (header_size > max_wire_header_size)
      throw protocol_error("a wire header of " + std::to_string(header_size) + " bytes");
    std::string header(header_size, '\0');
    read_exact(fd, header.data(), header.size());
    std::optional<wire_receiver> receiver;
    try {
      receiver.emplace(header, limits.max_value_size);
    } catch (const TypeError& e) {
      throw protocol_error(std::string("a put with a bad header: ") + e.what());
    }
    bool copied = false;
    if (marked) {
      const auto mode = read_pod<std::uint8_t>(fd);
      if (mode == put_addresses && direct_from >= 0) {
        copied = copy_announced(fd, direct_from, *receiver, std::nullopt);
        if (copied) ++direct_copies;
      } else if (mode == put_segments) {
        receive_segmented(fd, key, *receiver);
        copied = true;
      } else if (mode != put_body) {
        throw protocol_error("a put value marked " + std::to_string(mode));
      }
    }
    try {
      if (!copied)
        for (const auto& buffer : receiver->buffers()) read_exact(fd, buffer.data, buffer.size);
    } catch (const peer_closed&) {  // a short body: the header lied, or the peer died
      throw protocol_error("a put of " + key + " that ended before its " +
                           std::to_string(receiver->body_size()) + "-byte body");
    }
    bool ok = false;
    try {
      ok = store && store(key, receiver->finish());
    } catch (const TypeError& e) {
      throw protocol_error(std::string("a put whose value does not decode: ") + e.what());
    }
    kept.push_back(ok ? 1 : 0);
  }
  send_all(fd, {piece(kept.data(), kept.size())});
}

// After u8 3 and the header: u32 segment count k, answered with the upload's u64 token; then
// segment 0 of the body on this connection while the writer sends the others each on a
// connection of its own (TRU1, answer_upload). The value is complete once all k landed.
void data_server::impl::receive_segmented(int fd, const std::string& key,
                                          wire_receiver& receiver) {
  const auto count = read_pod<std::uint32_t>(fd);
  if (count < 2 || count > max_streams)
    throw protocol_error("a put of " + key + " in " + std::to_string(count) + " segments");
  const auto body = receiver.body_size();
  auto upload = std::make_shared<segmented_upload>(std::move(receiver), count);
  const auto token = uploads.begin(upload);
  struct forget {  // the token goes with this put, however it ends
    upload_table& table;
    std::uint64_t token;
    ~forget() { table.end(token); }
  } forget_token{uploads, token};
  send_all(fd, {piece(&token, sizeof token)});
  try {
    read_pieces(fd, body_range(upload->receiver().buffers(), 0, segment_start(body, 1, count)),
                std::nullopt);
  } catch (const peer_closed&) {
    throw protocol_error("a segmented put of " + key + " that ended in its first segment");
  }
  // While the other segments come, the writer may send its next values here, but an end of
  // stream means it is gone and its other segments may never come.
  const bool landed = upload->wait([fd] {
    char next;
    const auto n = ::recv(fd, &next, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  });
  if (!landed)
    throw protocol_error("a segmented put of " + key + " whose other segments did not arrive");
  segments_received += count;
  receiver = std::move(upload->receiver());
}

// A segment of a segmented put: u64 token, u32 segment index, then its bytes; answered u8 1
// once they landed. A token or index this server does not expect loses the connection (the
// bytes that follow could not be told from a next request).
void data_server::impl::answer_upload(int fd) {
  const auto token = read_pod<std::uint64_t>(fd);
  const auto index = read_pod<std::uint32_t>(fd);
  auto upload = uploads.find(token);
  if (!upload || !upload->claim(index)) {
    throw protocol_error("a segment for " + std::string(upload ? "a segment index" : "an upload") +
                         " this server does not expect");
  }
  const auto body = upload->receiver().body_size();
  const auto count = upload->segments();
  const auto offset = segment_start(body, index, count);
  try {
    read_pieces(fd,
                body_range(upload->receiver().buffers(), offset,
                           segment_start(body, index + 1, count) - offset),
                std::nullopt);
  } catch (...) {
    upload->settle(index, false);
    throw;
  }
  upload->settle(index, true);
  const std::uint8_t landed = 1;
  send_all(fd, {piece(&landed, 1)});
}

// -- client ------------------------------------------------------------------------------------

namespace {

void append_bytes(std::string& out, const void* data, std::size_t size) {
  out.append(static_cast<const char*>(data), size);
}

void append_key(std::string& out, const std::string& key) {
  const auto size = static_cast<std::uint32_t>(key.size());
  append_bytes(out, &size, sizeof size);
  out += key;
}

// The answer to a direct offer (u8 2 and the header read): the holder's pid, then as
// copy_announced. False when the copy was refused: the body follows on the socket then.
bool copy_directly(int fd, wire_receiver& receiver, clock_type::time_point deadline) {
  const auto pid = read_pod<std::uint32_t>(fd, deadline);
  return copy_announced(fd, static_cast<int>(pid), receiver, deadline);
}

// Runs move(i) for each segment i of `count`: segment 0 on this thread, the others each on a
// thread of its own at once; rethrows the first error once all are done.
template <class Move>
void in_segments(std::uint32_t count, Move&& move) {
  std::vector<std::exception_ptr> errors(count);
  std::vector<std::thread> others;
  for (std::uint32_t i = 1; i < count; ++i)
    others.emplace_back([&, i] {
      try {
        move(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  try {
    move(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& t : others) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// The answer to a segmented get (u8 3 and the header read): the segment count, the first
// segment from `fd`, the others each over a connection of its own (TRR1).
void read_segments(int fd, const address& where, const std::string& key, wire_receiver& receiver,
                   clock_type::time_point deadline) {
  const auto count = read_pod<std::uint32_t>(fd, deadline);
  if (count < 2 || count > max_streams)
    throw TypeError("the data plane at " + where.to_string() + " split " + key + " into " +
                    std::to_string(count) + " segments");
  const auto body = receiver.body_size();
  in_segments(count, [&](std::uint32_t i) {
    const auto offset = segment_start(body, i, count);
    const auto size = segment_start(body, i + 1, count) - offset;
    const auto into = body_range(receiver.buffers(), offset, size);
    if (i == 0) return read_pieces(fd, into, deadline);
    std::string request(range_magic, sizeof range_magic);
    append_key(request, key);
    append_bytes(request, &offset, sizeof offset);
    append_bytes(request, &size, sizeof size);
    with_connection(
        where, deadline,
        [&](int other) {
          send_all(other, {piece(request.data(), request.size())}, deadline);
          if (read_pod<std::uint8_t>(other, deadline) != 1)
            throw peer_closed("it no longer has " + key);
          read_pieces(other, into, deadline);
          return true;
        },
        [] { return false; });
  });
}

// A segmented put's value, after its header and u8 3 went on `fd`: the segment count, the
// server's token, then segment 0 on `fd` and the others each over a connection of its own
// (TRU1). A kept connection found closed is replaced once: the server claims a segment only
// on a live one.
void send_segments(int fd, const address& where, const wire_form& form, std::uint32_t count,
                   clock_type::time_point deadline) {
  send_all(fd, {piece(&count, sizeof count)}, deadline);
  const auto token = read_pod<std::uint64_t>(fd, deadline);
  const auto body = form.body_size();
  in_segments(count, [&](std::uint32_t i) {
    const auto offset = segment_start(body, i, count);
    auto bytes = body_range(form.buffers, offset, segment_start(body, i + 1, count) - offset);
    if (i == 0) return send_all(fd, std::move(bytes), deadline);
    std::string request(upload_magic, sizeof upload_magic);
    append_bytes(request, &token, sizeof token);
    append_bytes(request, &i, sizeof i);
    bytes.insert(bytes.begin(), piece(request.data(), request.size()));
    with_connection(
        where, deadline,
        [&](int other) {
          send_all(other, bytes, deadline);
          if (read_pod<std::uint8_t>(other, deadline) != 1)
            throw peer_closed("segment " + std::to_string(i) + " was not taken");
          return true;
        },
        [] { return false; });
  });
}

}  // namespace

std::vector<bool> put_values(const std::string& address_text,
                             const std::vector<std::string>& keys,
                             const std::vector<Value>& values, std::chrono::milliseconds timeout,
                             const data_limits& limits) {
  const auto where = parse_address(address_text);
  const auto deadline = clock_type::now() + timeout;
  std::vector<wire_form> forms;
  bool any_large = false;
  for (const auto& value : values) {
    forms.push_back(to_wire_form(value));
    any_large = any_large || forms.back().body_size() >= direct_copy_threshold;
  }
  // Large values go in a marked put (TRP2): the server says whether it is on this host, and
  // copies them from here if so; from another host the largest go in segments.
  const std::string& identity = limits.direct ? host_identity() : std::string();
  const bool offer_direct = !identity.empty() && any_large;
  if (offer_direct) {
    static std::once_flag allowed;  // the server copies from this process's memory
    std::call_once(allowed, allow_direct_readers);
  }
  const auto streams =
      static_cast<std::uint32_t>(std::clamp<std::size_t>(limits.streams, 1, max_streams));
  auto exchange = [&](int fd) {
    bool welcome = false;  // the server is on this host: it copies large values from here
    if (any_large) {
      std::string opening(put_direct_magic, sizeof put_direct_magic);
      const auto size = static_cast<std::uint16_t>(identity.size());
      append_bytes(opening, &size, sizeof size);
      opening += identity;
      const auto pid = static_cast<std::uint32_t>(::getpid());
      append_bytes(opening, &pid, sizeof pid);
      send_all(fd, {piece(opening.data(), opening.size())}, deadline);
      welcome = read_pod<std::uint8_t>(fd, deadline) == 1;
    }
    // Each value's key and header go in a small buffer of their own, its body from its memory,
    // all in one writev; a value the server copies from here, or one sent in segments, ends a
    // batch and waits for the server's word.
    std::string start;
    if (!any_large) append_bytes(start, put_magic, sizeof put_magic);
    const auto count = static_cast<std::uint32_t>(keys.size());
    append_bytes(start, &count, sizeof count);
    std::vector<std::string> prefixes(keys.size());
    std::vector<std::vector<std::uint64_t>> addresses(keys.size());
    std::vector<iovec> parts{piece(start.data(), start.size())};
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto& form = forms[i];
      auto& prefix = prefixes[i];
      append_key(prefix, keys[i]);
      const auto header_size = static_cast<std::uint32_t>(form.header.size());
      append_bytes(prefix, &header_size, sizeof header_size);
      prefix += form.header;
      const bool lend = welcome && form.body_size() >= direct_copy_threshold;
      const bool split = !welcome && streams > 1 && form.body_size() >= segmented_threshold;
      if (any_large) prefix += static_cast<char>(lend ? put_addresses : split ? put_segments : put_body);
      parts.push_back(piece(prefix.data(), prefix.size()));
      if (split) {
        send_all(fd, std::move(parts), deadline);
        parts.clear();
        send_segments(fd, where, form, streams, deadline);
        continue;
      }
      if (lend) {
        addresses[i] = buffer_addresses(form);
        parts.push_back(piece(addresses[i].data(), addresses[i].size() * sizeof(std::uint64_t)));
        send_all(fd, std::move(parts), deadline);
        parts.clear();
        if (read_pod<std::uint8_t>(fd, deadline) == 1) continue;
      }
      for (const auto& b : form.buffers) parts.push_back(piece(b.data, b.size));
    }
    send_all(fd, std::move(parts), deadline);
    std::vector<std::uint8_t> answer(keys.size());
    if (!answer.empty())
      read_exact(fd, reinterpret_cast<char*>(answer.data()), answer.size(), deadline);
    return answer;
  };
  try {
    // A put again after a closed kept connection is harmless: the same values, the same keys.
    auto kept = with_connection(where, deadline, exchange, [] { return false; });
    return std::vector<bool>(kept.begin(), kept.end());
  } catch (const peer_closed& e) {
    throw ConnectionError("the data plane at " + where.to_string() + " failed while taking " +
                          std::to_string(keys.size()) + " values: " + e.what());
  }
}

std::vector<std::optional<Value>> fetch_values(const std::string& address_text,
                                               const std::vector<std::string>& keys,
                                               std::chrono::milliseconds timeout,
                                               const data_limits& limits,
                                               fetch_counts* counts) {
  const auto where = parse_address(address_text);
  const auto deadline = clock_type::now() + timeout;
  std::vector<std::optional<Value>> values(keys.size());
  const std::string& identity = host_identity();
  const bool offer_direct = limits.direct && !identity.empty();
  std::string request(get_direct_magic, sizeof get_direct_magic);
  const std::string& named = offer_direct ? identity : std::string();
  const auto identity_size = static_cast<std::uint16_t>(named.size());
  append_bytes(request, &identity_size, sizeof identity_size);
  request += named;
  const auto streams = static_cast<std::uint8_t>(std::clamp<std::size_t>(limits.streams, 1, max_streams));
  append_bytes(request, &streams, sizeof streams);
  const auto count = static_cast<std::uint32_t>(keys.size());
  append_bytes(request, &count, sizeof count);
  for (const auto& key : keys) append_key(request, key);
  const std::string from = "the data plane at " + where.to_string();
  std::size_t received = 0;
  bool answered = false;  // a byte of the answer arrived
  try {
    with_connection(
        where, deadline,
        [&](int fd) {
          send_all(fd, {piece(request.data(), request.size())}, deadline);
          for (received = 0; received < keys.size(); ++received) {
            auto here = read_pod<std::uint8_t>(fd, deadline);
            answered = true;
            if (here == 0) continue;  // not there
            if (here != 1 && (here != 2 || !offer_direct) && (here != 3 || streams < 2))
              throw TypeError(from + " answered a get with " + std::to_string(here));
            auto header_size = read_pod<std::uint32_t>(fd, deadline);
            if (header_size > max_wire_header_size)
              throw TypeError(from + " sent a header of " + std::to_string(header_size) +
                              " bytes");
            std::string header(header_size, '\0');
            read_exact(fd, header.data(), header.size(), deadline);
            wire_receiver receiver(header, limits.max_value_size);
            if (here == 2 && copy_directly(fd, receiver, deadline)) {
              if (counts != nullptr) ++counts->direct;
            } else if (here == 3) {
              read_segments(fd, where, keys[received], receiver, deadline);
              if (counts != nullptr) ++counts->segmented;
            } else {
              for (const auto& buffer : receiver.buffers())
                read_exact(fd, buffer.data, buffer.size, deadline);
            }
            values[received] = receiver.finish();
          }
          return true;
        },
        [&] { return answered; });
  } catch (const peer_closed& e) {
    throw ConnectionError(from + " failed while sending " +
                          (received < keys.size() ? keys[received] : std::string("a value")) +
                          ": " + e.what());
  }
  return values;
}

}  // namespace troupe::net
