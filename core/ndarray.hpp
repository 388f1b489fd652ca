#pragma once
// ndarray: an n-dimensional, C-ordered block of float64, float32, int64 or bool elements — the
// chunk of an array, as a numpy array is for Dask. Its storage comes from the buffer pool
// (core/buffer_pool.hpp), so a received or computed chunk of a size seen before lands in
// memory that is already faulted in; it crosses processes as a header and its bytes as they
// are (core/wire_form.hpp) and encodes as dtype, shape and raw bytes.
//
// Copies share their storage, like numpy views: a chunk in a Value is immutable, and
// mutable_data() is for filling an array just made, before anyone else holds it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/type_name.hpp"

namespace troupe {

enum class dtype : std::uint8_t { float64 = 1, float32 = 2, int64 = 3, boolean = 4 };

/// "float64", "float32", "int64", "bool" (numpy's names).
std::string_view dtype_name(dtype type) noexcept;
std::size_t item_size(dtype type) noexcept;
/// The dtype a byte names on the wire, or nothing.
std::optional<dtype> dtype_from_code(std::uint8_t code) noexcept;

/// The dtype of the element type T (double, float, std::int64_t, bool).
template <class T>
constexpr dtype dtype_of() {
  if constexpr (std::is_same_v<T, double>) {
    return dtype::float64;
  } else if constexpr (std::is_same_v<T, float>) {
    return dtype::float32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return dtype::int64;
  } else {
    static_assert(std::is_same_v<T, bool>, "ndarray elements are double, float, int64_t or bool");
    return dtype::boolean;
  }
}

class ndarray {
 public:
  using shape_type = std::vector<std::int64_t>;
  static constexpr std::size_t max_ndim = 32;

  /// An empty float64 array of shape {0}.
  ndarray();
  /// Storage for `shape`, not initialised: fill it through mutable_data() before reading it.
  /// ArgumentError for a negative extent or more than max_ndim dimensions, OverflowError
  /// when the bytes do not fit in memory's address range.
  ndarray(dtype type, shape_type shape);

  /// A copy of `items` in the given shape (ArgumentError when the element counts differ).
  template <class T>
  static ndarray from(const std::vector<T>& items, shape_type shape) {
    ndarray a(dtype_of<T>(), std::move(shape));
    a.check_count(items.size());
    auto* out = a.mutable_data<T>();
    for (std::size_t i = 0; i < items.size(); ++i) out[i] = items[i];
    return a;
  }
  /// A 1-d copy of `items`.
  template <class T>
  static ndarray from(const std::vector<T>& items) {
    return from(items, {static_cast<std::int64_t>(items.size())});
  }

  dtype type() const noexcept { return type_; }
  const shape_type& shape() const noexcept { return shape_; }
  std::size_t ndim() const noexcept { return shape_.size(); }
  /// Elements in all.
  std::size_t size() const noexcept { return size_; }
  /// Bytes of elements.
  std::size_t nbytes() const noexcept { return size_ * item_size(type_); }

  /// The elements as T; TypeError when T is not this array's element type.
  template <class T>
  const T* data() const {
    check_type(dtype_of<T>());
    return reinterpret_cast<const T*>(storage_.get());
  }
  template <class T>
  T* mutable_data() {
    check_type(dtype_of<T>());
    return reinterpret_cast<T*>(storage_.get());
  }
  const std::byte* bytes() const noexcept { return storage_.get(); }
  std::byte* mutable_bytes() noexcept { return storage_.get(); }

  template <class T>
  std::vector<T> to_vector() const {
    const T* p = data<T>();
    return std::vector<T>(p, p + size_);
  }

  /// Same dtype, shape and element bytes.
  friend bool operator==(const ndarray& a, const ndarray& b) noexcept;

  /// "ndarray<float64>[3, 4]", for messages.
  std::string describe() const;

 private:
  void check_type(dtype wanted) const;
  void check_count(std::size_t count) const;

  dtype type_ = dtype::float64;
  shape_type shape_;
  std::size_t size_ = 0;
  std::shared_ptr<std::byte> storage_;
};

template <>
struct type_name_of<ndarray> {
  static std::string get() { return "ndarray"; }
};

/// dtype (u8), dimension count, extents (i64), then the element bytes.
template <>
struct codec<ndarray> {
  static constexpr bool available = true;
  static constexpr std::size_t min_encoded_size = 1 + 8;
  static void encode(const ndarray& a, byte_writer& out);
  static ndarray decode(byte_reader& in);
  static std::size_t nbytes(const ndarray& a) noexcept { return sizeof(ndarray) + a.nbytes(); }
};

/// The array a wire header or an encoding describes, with its storage allocated; TypeError
/// when the description is impossible (unknown dtype, negative extent, too many dimensions,
/// or not `body_bytes` bytes of elements).
ndarray ndarray_for_body(std::uint8_t dtype_code, ndarray::shape_type shape,
                         std::uint64_t body_bytes);
/// TypeError when a bool array holds a byte other than 0 or 1 (bytes from the wire).
void check_bool_bytes(const ndarray& a);

}  // namespace troupe
