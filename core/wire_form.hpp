#pragma once
// A value's wire form: a small header, then the value's buffers as they are. A numeric vector
// or a string goes as its own bytes (no per-element work, no copy on the sending side: the
// buffers point into the value), every other type as one buffer of its codec's encoding. The
// receiver parses the header, allocates the value's storage and reads each buffer straight into
// it. The data plane (net/data_plane.hpp) sends this form with writev; spill files will too.
//
// Header, in host byte order (every host of a cluster is little-endian x86-64 or arm64):
//   "TRW1"  u8 kind  u16 name length, type name  u32 buffer count  u64 size of each buffer
// A header that lies — an unknown kind or raw type, a size past the receiver's limit, sizes
// that do not fit the type — is a TypeError before anything is allocated.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.hpp"

namespace troupe {

struct const_byte_span {
  const char* data;
  std::size_t size;
};

struct byte_span {
  char* data;
  std::size_t size;
};

/// A value ready to send: `header`, then each of `buffers` in order.
struct wire_form {
  std::string header;
  std::vector<const_byte_span> buffers;
  Value value;  ///< keeps buffers that point into the value alive
  /// The codec's bytes, for types sent that way (on the heap, so that the buffer pointing
  /// into it stays valid when the form moves: a short std::string keeps its bytes inline).
  std::shared_ptr<const std::string> encoded;

  std::uint64_t body_size() const noexcept;
};

/// The wire form of `value` (TypeError when its type has no codec).
wire_form to_wire_form(Value value);

/// Bytes a header may take: readers refuse longer ones before reading them.
inline constexpr std::size_t max_wire_header_size = 64 * 1024;

class wire_receiver {
 public:
  /// Parses a header; TypeError when it is corrupt or its buffers total more than `limit`
  /// bytes. Allocates the value's storage (uninitialised bytes are not read as values: every
  /// buffer must be filled before finish()).
  wire_receiver(std::string_view header, std::uint64_t limit);
  ~wire_receiver();
  wire_receiver(wire_receiver&&) noexcept;
  wire_receiver& operator=(wire_receiver&&) noexcept;

  /// Where each buffer's bytes go, in order.
  const std::vector<byte_span>& buffers() const noexcept;
  std::uint64_t body_size() const noexcept;
  /// The value, once every buffer is filled. TypeError when encoded bytes are corrupt.
  Value finish();

  struct sink;

 private:
  std::unique_ptr<sink> sink_;
  std::vector<byte_span> buffers_;
};

/// Sends the form through `to_wire_form`, then reads it back through `wire_receiver`, in
/// memory: the round trip the data plane makes, for tests and for spill files.
Value wire_round_trip(const Value& value);

}  // namespace troupe
