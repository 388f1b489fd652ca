#pragma once
// Binary encoding of values: the same bytes for the wire, for spill files and for tokenize.
// Numeric vectors take the fast path: a length and the raw bytes, no per-element work.
// A type is codable when codec<T> is specialised; TROUPE_REGISTER_TYPE (core/register_type.hpp)
// does so through Boost.Serialization for user types.
//
// Decoders face the network, so a corrupt or hostile buffer must fail with TypeError, never
// allocate far beyond its own size: every element count is checked against the bytes left,
// at the smallest encoded size one element can have (codec<T>::min_encoded_size), and element
// storage grows as elements are actually decoded. Value nesting is bounded in Value::decode.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace troupe {

/// a + b, or SIZE_MAX when that overflows (sizes for memory accounting saturate).
constexpr std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
  std::size_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::size_t>::max() : sum;
}

/// a * b, or SIZE_MAX when that overflows.
constexpr std::size_t saturating_mul(std::size_t a, std::size_t b) noexcept {
  std::size_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::size_t>::max()
                                                : product;
}

/// Appends bytes to a growing buffer.
class byte_writer {
 public:
  void write_bytes(const void* data, std::size_t size) {
    buffer_.append(static_cast<const char*>(data), size);
  }
  template <class T>
  void write_pod(const T& x) {
    static_assert(std::is_trivially_copyable_v<T>);
    write_bytes(&x, sizeof(T));
  }
  void write_size(std::size_t n) { write_pod(static_cast<std::uint64_t>(n)); }
  void write_string(std::string_view s) {
    write_size(s.size());
    write_bytes(s.data(), s.size());
  }
  const std::string& bytes() const noexcept { return buffer_; }
  std::string take() noexcept { return std::move(buffer_); }

  /// Nesting depth of the values being encoded (kept by Value::encode, which bounds it as
  /// decoding does, so nothing is written that the reader would refuse).
  std::size_t depth() const noexcept { return depth_; }
  std::size_t enter_nested() noexcept { return ++depth_; }
  void leave_nested() noexcept { --depth_; }

 private:
  std::string buffer_;
  std::size_t depth_ = 0;
};

/// Reads bytes written by byte_writer; every read checks the remaining length.
class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) : bytes_(bytes) {}
  void read_bytes(void* out, std::size_t size) {
    require(size);
    if (size == 0) return;  // `out` may be null then (an empty vector's data())
    std::memcpy(out, bytes_.data() + position_, size);
    position_ += size;
  }
  template <class T>
  T read_pod() {
    T x;
    read_bytes(&x, sizeof(T));
    return x;
  }
  /// Reads an element count and checks that `count` elements of at least `min_element_size`
  /// encoded bytes each (1 when given 0) fit in the bytes left; TypeError otherwise.
  std::size_t read_count(std::size_t min_element_size) {
    auto n = read_pod<std::uint64_t>();
    const std::size_t element = std::max<std::size_t>(min_element_size, 1);
    if (n > remaining() / element)
      throw TypeError("corrupt encoded value: a count of " + std::to_string(n) +
                      " elements (at least " + std::to_string(element) +
                      (element == 1 ? " byte" : " bytes") + " each) exceeds the " +
                      std::to_string(remaining()) + " bytes left");
    return static_cast<std::size_t>(n);
  }
  std::string read_string() {
    auto n = read_count(1);
    std::string s(bytes_.substr(position_, n));
    position_ += n;
    return s;
  }
  /// Reads a length-prefixed byte string without copying it (valid while the buffer lives).
  std::string_view read_string_view() {
    auto n = read_count(1);
    auto s = bytes_.substr(position_, n);
    position_ += n;
    return s;
  }
  bool at_end() const noexcept { return position_ == bytes_.size(); }
  std::size_t remaining() const noexcept { return bytes_.size() - position_; }

  /// Nesting depth of the values being decoded (kept by Value::decode, which bounds it).
  std::size_t depth() const noexcept { return depth_; }
  std::size_t enter_nested() noexcept { return ++depth_; }
  void leave_nested() noexcept { --depth_; }

 private:
  void require(std::size_t size) const {
    if (remaining() < size)
      throw TypeError("corrupt encoded value: needs " + std::to_string(size) +
                      " more bytes, has " + std::to_string(remaining()));
  }
  std::string_view bytes_;
  std::size_t position_ = 0;
  std::size_t depth_ = 0;
};

/// codec<T>: available, encode, decode, nbytes (memory held, for accounting) and
/// min_encoded_size (the fewest bytes one encoded T takes, for checking counts).
template <class T, class = void>
struct codec {
  static constexpr bool available = false;
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

/// codec<T>::min_encoded_size, or 1 for a codec that does not say.
template <class T>
constexpr std::size_t min_encoded_size_of() {
  if constexpr (requires { codec<T>::min_encoded_size; })
    return codec<T>::min_encoded_size;
  else
    return 1;
}

template <>
struct codec<bool> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 1;
  static void encode(const bool& x, byte_writer& out) {
    out.write_pod(static_cast<std::uint8_t>(x));
  }
  static bool decode(byte_reader& in) {
    auto byte = in.read_pod<std::uint8_t>();
    if (byte > 1) throw TypeError("corrupt encoded value: a bool byte is " + std::to_string(byte));
    return byte == 1;
  }
  static std::size_t nbytes(const bool&) { return sizeof(bool); }
};

template <class T>
struct codec<T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = sizeof(T);
  static void encode(const T& x, byte_writer& out) { out.write_pod(x); }
  static T decode(byte_reader& in) { return in.read_pod<T>(); }
  static std::size_t nbytes(const T&) { return sizeof(T); }
};

template <>
struct codec<std::string> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 8;  ///< the length
  static void encode(const std::string& x, byte_writer& out) { out.write_string(x); }
  static std::string decode(byte_reader& in) { return in.read_string(); }
  static std::size_t nbytes(const std::string& x) { return sizeof(x) + x.size(); }
};

template <class T>
struct codec<std::vector<T>, std::enable_if_t<codec<T>::available>> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 8;  ///< the count
  static void encode(const std::vector<T>& xs, byte_writer& out) {
    out.write_size(xs.size());
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      out.write_bytes(xs.data(), xs.size() * sizeof(T));
    } else {
      for (const auto& x : xs) codec<T>::encode(x, out);
    }
  }
  static std::vector<T> decode(byte_reader& in) {
    const std::size_t n = in.read_count(min_encoded_size_of<T>());
    std::vector<T> xs;
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      xs.resize(n);  // n * sizeof(T) bytes are there (read_count checked)
      in.read_bytes(xs.data(), n * sizeof(T));
    } else {
      // No reserve(n): a nested element may claim the same bytes again, so storage grows
      // only with the elements actually decoded.
      for (std::size_t i = 0; i < n; ++i) xs.push_back(codec<T>::decode(in));
    }
    return xs;
  }
  static std::size_t nbytes(const std::vector<T>& xs) {
    if constexpr (std::is_arithmetic_v<T>) {
      return saturating_add(sizeof(xs), saturating_mul(xs.size(), sizeof(T)));
    } else {
      std::size_t n = sizeof(xs);
      for (const auto& x : xs) n = saturating_add(n, codec<T>::nbytes(x));
      return n;
    }
  }
};

template <class A, class B>
struct codec<std::pair<A, B>, std::enable_if_t<codec<A>::available && codec<B>::available>> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size =
      min_encoded_size_of<A>() + min_encoded_size_of<B>();
  static void encode(const std::pair<A, B>& x, byte_writer& out) {
    codec<A>::encode(x.first, out);
    codec<B>::encode(x.second, out);
  }
  static std::pair<A, B> decode(byte_reader& in) {
    A a = codec<A>::decode(in);
    B b = codec<B>::decode(in);
    return {std::move(a), std::move(b)};
  }
  static std::size_t nbytes(const std::pair<A, B>& x) {
    return saturating_add(codec<A>::nbytes(x.first), codec<B>::nbytes(x.second));
  }
};

template <class K, class V>
struct codec<std::map<K, V>, std::enable_if_t<codec<K>::available && codec<V>::available>> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 8;  ///< the count
  static void encode(const std::map<K, V>& xs, byte_writer& out) {
    out.write_size(xs.size());
    for (const auto& [k, v] : xs) {
      codec<K>::encode(k, out);
      codec<V>::encode(v, out);
    }
  }
  static std::map<K, V> decode(byte_reader& in) {
    std::map<K, V> xs;
    const std::size_t entry = min_encoded_size_of<K>() + min_encoded_size_of<V>();
    for (std::size_t n = in.read_count(entry); n > 0; --n) {
      K k = codec<K>::decode(in);
      xs.emplace(std::move(k), codec<V>::decode(in));
    }
    return xs;
  }
  static std::size_t nbytes(const std::map<K, V>& xs) {
    std::size_t n = sizeof(xs);
    for (const auto& [k, v] : xs)
      n = saturating_add(n, saturating_add(codec<K>::nbytes(k), codec<V>::nbytes(v)));
    return n;
  }
};

template <class... Ts>
struct codec<std::tuple<Ts...>, std::enable_if_t<(codec<Ts>::available && ...)>> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size =
      (std::size_t{0} + ... + min_encoded_size_of<Ts>());
  static void encode(const std::tuple<Ts...>& x, byte_writer& out) {
    std::apply(
        [&](const auto&... parts) {
          (codec<std::decay_t<decltype(parts)>>::encode(parts, out), ...);
        },
        x);
  }
  static std::tuple<Ts...> decode(byte_reader& in) {
    // Braced initialisation evaluates left to right, matching the encoding order.
    return std::tuple<Ts...>{codec<Ts>::decode(in)...};
  }
  static std::size_t nbytes(const std::tuple<Ts...>& x) {
    return std::apply(
        [](const auto&... parts) {
          std::size_t n = 0;
          ((n = saturating_add(n, codec<std::decay_t<decltype(parts)>>::nbytes(parts))), ...);
          return n;
        },
        x);
  }
};

}  // namespace troupe
