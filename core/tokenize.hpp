#pragma once
// Keys for tasks. A pure task's key is a stable hash of its function name and arguments, so the
// same submission twice is the same key (its result is reused); an impure task gets a fresh key.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/codec.hpp"
#include "core/fwd.hpp"

namespace troupe {

/// 64-bit xxHash of bytes.
std::uint64_t hash_bytes(std::string_view bytes) noexcept;

/// Accumulates what identifies a task, then turns it into a key "<prefix>-<16 hex digits>".
class token_builder {
 public:
  /// Values this large that have raw buffers (numeric vectors, strings) are hashed in place.
  static constexpr std::size_t large_value_bytes = 64 * 1024;

  explicit token_builder(std::string_view function_name);
  void add_value(const Value& literal);
  void add_key(const Key& dependency);
  void begin_list(std::size_t size);
  /// An object with no stable identity (an unregistered function): its address in this
  /// process, salted, so it matches only itself.
  void add_identity(const void* object);
  Key key(std::string_view prefix) const;

 private:
  byte_writer bytes_;
};

/// The key of a pure task: tokenize("inc", {1}) == tokenize("inc", {1}).
Key tokenize(std::string_view function_name, const std::vector<Value>& args);

/// A key no other call returns, for impure tasks: "<prefix>-<16 hex digits>".
Key unique_key(std::string_view prefix);

}  // namespace troupe
