#include "core/tokenize.hpp"

#include <xxhash.h>

#include <atomic>
#include <chrono>
#include <random>

#include "core/value.hpp"
#include "core/wire_form.hpp"

namespace troupe {

namespace {

Key with_hash(std::string_view prefix, std::uint64_t hash) {
  static constexpr char digits[] = "0123456789abcdef";
  char suffix[17];
  suffix[0] = '-';
  for (int i = 0; i < 16; ++i) suffix[16 - i] = digits[(hash >> (4 * i)) & 0xF];
  Key key;
  key.reserve(prefix.size() + sizeof(suffix));
  key.append(prefix).append(suffix, sizeof(suffix));
  return key;
}

// Values that cannot be encoded have no stable identity: they tokenize by address and a
// process-wide salt, so they never collide with anything else (as Dask falls back to a uuid).
std::uint64_t process_salt() {
  static const std::uint64_t salt =
      std::random_device{}() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return salt;
}

}  // namespace

std::uint64_t hash_bytes(std::string_view bytes) noexcept {
  return XXH64(bytes.data(), bytes.size(), 0);
}

token_builder::token_builder(std::string_view function_name) {
  bytes_.write_string(function_name);
}

void token_builder::add_value(const Value& literal) {
  // A large array or string is hashed where it lies, by its wire form's buffers (their sizes
  // and 64-bit hashes join the token): encoding it first copied every byte (128 MiB took
  // longer to tokenize than to send).
  if (literal.nbytes() >= large_value_bytes) {
    auto form = to_wire_form(literal);
    if (!form.encoded) {
      bytes_.write_pod('w');
      bytes_.write_string(form.header);
      for (const auto& buffer : form.buffers)
        bytes_.write_pod(XXH64(buffer.data, buffer.size, 0));
      return;
    }
  }
  bytes_.write_pod('v');
  try {
    literal.encode(bytes_);
  } catch (const TypeError&) {
    add_identity(literal.object_address());
  }
}

void token_builder::add_identity(const void* object) {
  bytes_.write_pod('i');
  bytes_.write_pod(process_salt());
  bytes_.write_pod(reinterpret_cast<std::uintptr_t>(object));
}

void token_builder::add_key(const Key& dependency) {
  bytes_.write_pod('k');
  bytes_.write_string(dependency);
}

void token_builder::begin_list(std::size_t size) {
  bytes_.write_pod('l');
  bytes_.write_size(size);
}

Key token_builder::key(std::string_view prefix) const {
  return with_hash(prefix, hash_bytes(bytes_.bytes()));
}

Key tokenize(std::string_view function_name, const std::vector<Value>& args) {
  token_builder builder(function_name);
  for (const auto& arg : args) builder.add_value(arg);
  return builder.key(function_name);
}

Key unique_key(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t seed[2] = {process_salt(), n};
  return with_hash(prefix, XXH64(seed, sizeof(seed), 0));
}

}  // namespace troupe
