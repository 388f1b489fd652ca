#pragma once
// The data plane: values move between processes over plain TCP on threads of its own, never
// through CAF's network thread or its per-element serialiser; between processes on one host,
// large values are copied straight out of the holder's memory (net/direct_copy.hpp). Actor messages say what to fetch
// from whom; this moves the bytes, in the wire form (core/wire_form.hpp): a small header, then
// the value's buffers sent with writev from the value's own memory and received straight into
// the new value's storage.
//
// Protocol, per connection (host byte order), any number of requests in turn:
//   get       "TRQ1" u32 key count, then per key: u32 length, key bytes
//     answer  per key in order: u8 1, u32 header length, header, body; or u8 0 (not here)
//   get       "TRQ2" u16 length, the reader's host identity (net/direct_copy.hpp; empty: none),
//             u8 streams, then as TRQ1: from a reader on the same host, a value of
//             direct_copy_threshold bytes or more is answered u8 2, u32 header length, header,
//             u32 holder pid, u64 address of each buffer; the reader copies the buffers out of
//             the holder's memory and says u8 1 (done: the holder may let go) or u8 0 (refused:
//             the body follows as for u8 1). From another host, with streams > 1, a value of
//             segmented_threshold bytes or more is answered u8 3, u32 header length, header,
//             u32 segment count k, then segment 0 of the body (segment i: bytes [i*n/k,
//             (i+1)*n/k) of its n); the reader asks for the others at once, each on a
//             connection of its own:
//   range     "TRR1" u32 length, key, u64 offset, u64 size
//     answer  u8 1 and those bytes of the value's body, or u8 0 (not here)
//   put       "TRP1" u32 value count, then per value: u32 length, key, u32 header length,
//             header, body
//     answer  per value in order: u8 1 (kept) or 0 (refused)
//   put       "TRP2" u16 length, the writer's host identity (empty: none), u32 writer pid;
//             answered u8 1 (same host) or 0; then as TRP1, but each header is followed by a
//             mode: u8 1 and the body; or (same host, direct_copy_threshold bytes or more) u8 2
//             and the u64 address of each buffer, answered at once u8 1 (copied from the
//             writer's memory) or u8 0 (then the body follows); or (another host, with streams
//             > 1, segmented_threshold bytes or more) u8 3, u32 segment count k, answered at
//             once with a u64 token, then segment 0 of the body while the writer sends each
//             other segment on a connection of its own:
//   upload    "TRU1" u64 token, u32 segment index i, then bytes [i*n/k, (i+1)*n/k) of the body
//     answer  u8 1 once they landed; a token or index the server does not expect loses the
//             connection
// A peer that sends something else — a bad magic, a count or length past the limits, a short
// body — loses its connection with one line on stderr; the server keeps serving everyone else.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/value.hpp"

namespace troupe::net {

/// This machine's physical memory in bytes: no value received can be larger.
std::uint64_t physical_memory_bytes() noexcept;

struct data_limits {
  std::size_t max_keys = 1 << 20;                           ///< per request
  std::size_t max_key_size = 64 * 1024;                     ///< bytes
  std::uint64_t max_value_size = physical_memory_bytes();  ///< bytes, per value
  bool direct = true;  ///< same host: copy large values straight out of the holder's memory
  std::size_t streams = 2;  ///< between hosts: connections a large value's body is split over
};

/// Values at least this large go between hosts in segments over several connections at once,
/// fetched and put: one TCP stream between two network namespaces here moves 1.2-2.6 GB/s, two
/// 2.1-4.2 (more did not help on 2 cores).
inline constexpr std::uint64_t segmented_threshold = 16 << 20;

/// Values at least this large go by direct copy between processes on one host (below it the
/// extra round trip of the copy's acknowledgement costs more than the socket's copies).
inline constexpr std::uint64_t direct_copy_threshold = 1 << 20;

/// How the values of a fetch arrived.
struct fetch_counts {
  std::size_t direct = 0;     ///< copied straight out of the holder's memory
  std::size_t segmented = 0;  ///< came in segments over several connections
};

class data_server {
 public:
  /// Finds a value by key from any of the server's threads; nullopt when it is not here.
  using lookup = std::function<std::optional<Value>(const std::string& key)>;
  /// Keeps a value put by a peer; false when it is refused. Null: every put is refused.
  using keep = std::function<bool(const std::string& key, Value value)>;

  /// Listens on host:port (0: any free port) and serves until destroyed. ConnectionError when
  /// it cannot listen there.
  data_server(const std::string& host, lookup find, data_limits limits = {}, keep store = {},
              std::uint16_t port = 0);
  ~data_server();
  data_server(const data_server&) = delete;
  data_server& operator=(const data_server&) = delete;

  /// tcp://HOST:PORT, where peers fetch from.
  const std::string& address() const noexcept;
  /// Connections dropped for breaking the protocol (for tests and diagnostics).
  std::size_t dropped_connections() const noexcept;
  /// Values readers copied straight out of this process's memory.
  std::size_t direct_copies() const noexcept;
  /// Parts of values sent to readers that fetch one value over several connections.
  std::size_t ranges_sent() const noexcept;
  /// Segments of values put here over several connections (segment 0 included).
  std::size_t segments_received() const noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Connections to a data server are kept for the next request to the same address (up to 4
// idle ones each): a new one costs a round trip, and on the server a thread. A kept connection
// that turns out closed (the server went away and came back) is replaced once, before any
// answer was read; then the error stands.

/// Puts values on the data server at `address` (scatter); per value, whether it kept it.
/// ConnectionError as fetch_values.
std::vector<bool> put_values(const std::string& address, const std::vector<std::string>& keys,
                             const std::vector<Value>& values, std::chrono::milliseconds timeout,
                             const data_limits& limits = {});

/// Fetches `keys` from the data server at `address`: one value per key, nullopt for a key the
/// server does not have. ConnectionError naming the address when it cannot be reached, stops
/// answering within `timeout`, or closes the connection mid-value (never a partial value);
/// TypeError when what arrives is not a valid wire form.
std::vector<std::optional<Value>> fetch_values(const std::string& address,
                                               const std::vector<std::string>& keys,
                                               std::chrono::milliseconds timeout,
                                               const data_limits& limits = {},
                                               fetch_counts* counts = nullptr);

}  // namespace troupe::net
