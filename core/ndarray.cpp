#include "core/ndarray.hpp"

#include <cstring>

#include "core/buffer_pool.hpp"

namespace troupe {

std::string_view dtype_name(dtype type) noexcept {
  switch (type) {
    case dtype::float64: return "float64";
    case dtype::float32: return "float32";
    case dtype::int64: return "int64";
    case dtype::boolean: return "bool";
  }
  return "unknown";
}

std::size_t item_size(dtype type) noexcept {
  switch (type) {
    case dtype::float64: return 8;
    case dtype::float32: return 4;
    case dtype::int64: return 8;
    case dtype::boolean: return 1;
  }
  return 1;
}

std::optional<dtype> dtype_from_code(std::uint8_t code) noexcept {
  if (code < static_cast<std::uint8_t>(dtype::float64) ||
      code > static_cast<std::uint8_t>(dtype::boolean))
    return std::nullopt;
  return static_cast<dtype>(code);
}

namespace {

std::string shape_text(const ndarray::shape_type& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

ndarray::ndarray() : shape_{0}, storage_(buffer_pool::allocate(0)) {}

ndarray::ndarray(dtype type, shape_type shape) : type_(type), shape_(std::move(shape)) {
  if (shape_.size() > max_ndim)
    throw ArgumentError("an ndarray has at most " + std::to_string(max_ndim) + " dimensions, not " +
                        std::to_string(shape_.size()));
  std::size_t bytes = item_size(type_);
  size_ = 1;
  for (auto extent : shape_) {
    if (extent < 0)
      throw ArgumentError("ndarray shape " + shape_text(shape_) + " has a negative extent");
    size_ = saturating_mul(size_, static_cast<std::size_t>(extent));
    bytes = saturating_mul(bytes, static_cast<std::size_t>(extent));
  }
  if (bytes == SIZE_MAX)
    throw OverflowError("ndarray of shape " + shape_text(shape_) + " and dtype " +
                        std::string(dtype_name(type_)) + " has more bytes than memory can address");
  storage_ = buffer_pool::allocate(bytes);
}

void ndarray::check_type(dtype wanted) const {
  if (wanted != type_)
    throw TypeError("ndarray holds " + std::string(dtype_name(type_)) + " elements, not " +
                    std::string(dtype_name(wanted)));
}

void ndarray::check_count(std::size_t count) const {
  if (count != size_)
    throw ArgumentError(std::to_string(count) + " elements do not fill the shape " +
                        shape_text(shape_) + " (" + std::to_string(size_) + " elements)");
}

bool operator==(const ndarray& a, const ndarray& b) noexcept {
  return a.type_ == b.type_ && a.shape_ == b.shape_ &&
         (a.storage_ == b.storage_ || std::memcmp(a.bytes(), b.bytes(), a.nbytes()) == 0);
}

std::string ndarray::describe() const {
  return "ndarray<" + std::string(dtype_name(type_)) + ">" + shape_text(shape_);
}

ndarray ndarray_for_body(std::uint8_t dtype_code, ndarray::shape_type shape,
                         std::uint64_t body_bytes) {
  auto type = dtype_from_code(dtype_code);
  if (!type) throw TypeError("corrupt ndarray: unknown dtype code " + std::to_string(dtype_code));
  if (shape.size() > ndarray::max_ndim)
    throw TypeError("corrupt ndarray: " + std::to_string(shape.size()) + " dimensions");
  // The element count from the shape must match the body before anything is allocated.
  std::uint64_t expected = item_size(*type);
  for (auto extent : shape) {
    if (extent < 0) throw TypeError("corrupt ndarray: shape " + shape_text(shape));
    expected = saturating_mul(expected, static_cast<std::uint64_t>(extent));
  }
  if (expected != body_bytes)
    throw TypeError("corrupt ndarray: shape " + shape_text(shape) + " of " +
                    std::string(dtype_name(*type)) + " is not " + std::to_string(body_bytes) +
                    " bytes");
  return ndarray(*type, std::move(shape));
}

void check_bool_bytes(const ndarray& a) {
  if (a.type() != dtype::boolean) return;
  const auto* bytes = reinterpret_cast<const unsigned char*>(a.bytes());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bytes[i] > 1)
      throw TypeError("corrupt ndarray: bool element " + std::to_string(i) + " is the byte " +
                      std::to_string(bytes[i]));
}

void codec<ndarray>::encode(const ndarray& a, byte_writer& out) {
  out.write_pod(static_cast<std::uint8_t>(a.type()));
  out.write_size(a.ndim());
  for (auto extent : a.shape()) out.write_pod(extent);
  out.write_bytes(a.bytes(), a.nbytes());
}

ndarray codec<ndarray>::decode(byte_reader& in) {
  auto code = in.read_pod<std::uint8_t>();
  auto ndim = in.read_count(sizeof(std::int64_t));
  ndarray::shape_type shape(ndim);
  for (auto& extent : shape) extent = in.read_pod<std::int64_t>();
  // The bytes must be there before the array is allocated: the shape is checked against
  // what is left, so a lying shape cannot make the reader allocate.
  std::uint64_t bytes = 0;
  if (auto type = dtype_from_code(code)) {
    bytes = item_size(*type);
    for (auto extent : shape)
      bytes = extent < 0 ? bytes : saturating_mul(bytes, static_cast<std::uint64_t>(extent));
  }
  if (bytes > in.remaining())
    throw TypeError("corrupt ndarray: its shape needs " + std::to_string(bytes) + " bytes, " +
                    std::to_string(in.remaining()) + " are left");
  auto a = ndarray_for_body(code, std::move(shape), bytes);
  in.read_bytes(a.mutable_bytes(), a.nbytes());
  check_bool_bytes(a);
  return a;
}

}  // namespace troupe
