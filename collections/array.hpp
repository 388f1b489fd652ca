#pragma once
// troupe::array — chunked n-d arrays of float64, float32, int64 or bool, as dask.array.
//
//   namespace da = troupe::array;
//   auto x = da::random::RandomState(42).normal(10, 1, {10000, 10000}, {1000, 1000});
//   double total = ((x + 1).slice({{{}, {}, 2}, {{}, {}, 2}})).sum().compute();
//
// An Array is a lazy plan (kernels/array_plan.hpp) over sources: generated ones (constants,
// ranges, seeded random numbers) and chunked ones (chunks made by tasks: data given by the
// user, reductions along axes, matrix products). Elementwise operations, slices and
// transposes only extend the plan; computing makes one task per chunk of the result, each
// evaluating the fused plan over its box with the parts of the chunked sources it reaches.
// Reductions are trees (16 partials to a node) in a fixed order, so a result is the same to
// the last bit on every scheduler. Random arrays are counter-based: element i of a seeded
// array is a pure function of the seed and i, whatever the chunking, slice or scheduler.
// The graph runs where compute() would run a graph: sync, threads, or an active Client.
//
// dtypes follow numpy 2: float64 by default; arithmetic promotes (bool < int64 < float64,
// float32 with int64 gives float64), true division gives floats, comparisons give bool, C++
// scalars are "weak" (an int keeps an int64 array int64, a double keeps a float32 array
// float32), sums of bool and int64 are int64, means and variances floats. int64 values are
// exact within +-2^53; beyond it a computation stops with an error (see kernels/array_plan.hpp).

#include <Eigen/Core>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collections/compute.hpp"
#include "core/ndarray.hpp"
#include "kernels/array_plan.hpp"

namespace troupe::array {

using shape_type = std::vector<std::int64_t>;

/// Per dimension, the extents of its chunks in order (adding up to its length), as Dask's
/// `.chunks`: {{2, 3, 5}, {4, 4}}.
using chunk_lists = std::vector<std::vector<std::int64_t>>;

/// How to chunk an array: one extent per dimension (the last chunk of a dimension may be
/// shorter), per-dimension lists of extents, or "auto": about `auto_chunk_bytes` a chunk
/// (config key "array.chunk-size", bytes), near-square.
struct chunks {
  chunks() = default;
  chunks(shape_type extents) : extents(std::move(extents)) {}  // NOLINT: a shape_type
  chunks(std::initializer_list<std::int64_t> extents) : extents(extents) {}  // NOLINT: {1000, 1000}
  chunks(chunk_lists lists) : lists(std::move(lists)), given_lists(true) {}  // NOLINT: {{2, 3}, {4}}
  chunks(const char* text);                                      // NOLINT: "auto"
  shape_type extents;  ///< empty (and no lists): auto
  chunk_lists lists;
  bool given_lists = false;
};

inline constexpr std::int64_t auto_chunk_bytes = 128 << 20;

/// One dimension of a slice, as Python's start:stop:step (negative indices count from the end).
struct slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;
};

/// A C++ number given as an operand or a fill value: its value and whether it was an integer
/// or a bool, which decides the result's dtype as a Python int or bool would.
struct scalar {
  enum class number_kind : std::uint8_t { boolean, integer, floating };
  template <class T>
    requires std::is_arithmetic_v<T>
  scalar(T v)  // NOLINT: numbers convert implicitly, as in x + 1
      : value(static_cast<double>(v)),
        kind(std::is_same_v<T, bool> ? number_kind::boolean
             : std::is_integral_v<T> ? number_kind::integer
                                     : number_kind::floating),
        integer(as_integer(v)) {}
  double value;
  number_kind kind;
  /// An integer's own value (the double may have rounded it); saturated past int64.
  std::int64_t integer;

 private:
  template <class T>
  static constexpr std::int64_t as_integer(T v) {
    if constexpr (!std::is_integral_v<T>) {
      return 0;
    } else if constexpr (std::is_same_v<T, bool>) {
      return v ? 1 : 0;
    } else if constexpr (std::is_unsigned_v<T>) {
      return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
    } else {
      return static_cast<std::int64_t>(v);
    }
  }
};

/// Chunks made by tasks: `keys` (C order of the grid of `chunk` extents) under `graph`.
struct chunked_source;

class Scalar;

class Array {
 public:
  const shape_type& shape() const noexcept { return shape_; }
  /// The largest chunk's extents (Dask's chunksize).
  shape_type chunk_shape() const;
  /// The extents of the chunks along each dimension (Dask's chunks).
  const array::chunk_lists& chunk_lists() const noexcept { return chunks_; }
  std::size_t ndim() const noexcept { return shape_.size(); }
  troupe::dtype dtype() const noexcept { return plan_->root().type; }
  std::int64_t size() const noexcept;
  std::int64_t nbytes() const noexcept {
    return size() * static_cast<std::int64_t>(item_size(dtype()));
  }
  std::int64_t chunk_count() const noexcept;
  /// Tasks computing it makes, as its graph stands (the join of compute() aside).
  std::int64_t task_count() const;
  /// Like Dask's repr: dtype, shape, bytes, chunk shape and bytes, chunk and task counts.
  std::string describe() const;

  Array operator+(const Array& other) const;
  Array operator-(const Array& other) const;
  Array operator*(const Array& other) const;
  Array operator/(const Array& other) const;
  Array operator+(scalar x) const;
  Array operator-(scalar x) const;
  Array operator*(scalar x) const;
  Array operator/(scalar x) const;
  /// ArgumentError for a bool array (numpy refuses it too: use where or ==).
  Array operator-() const;
  friend Array operator+(scalar x, const Array& a) { return a + x; }
  friend Array operator-(scalar x, const Array& a);
  friend Array operator*(scalar x, const Array& a) { return a * x; }
  friend Array operator/(scalar x, const Array& a);
  /// Comparisons give bool arrays.
  Array operator>(const Array& other) const;
  Array operator<(const Array& other) const;
  Array operator==(const Array& other) const;
  Array operator>(scalar x) const;
  Array operator<(scalar x) const;
  /// The same elements as `type`, as numpy's astype: floats to int64 truncate toward zero
  /// (NaN, infinities and magnitudes from 2^53 are an error), anything to bool is != 0.
  Array astype(troupe::dtype type) const;

  /// x[s0, s1, ...]: one slice per dimension (fewer: the rest whole). The result keeps this
  /// array's chunk shape (clipped).
  Array slice(const std::vector<array::slice>& slices) const;
  /// x[::-1, ::-1, ...]
  Array reversed() const;
  /// The dimensions in the order `axes` gives (empty: reversed), as numpy.transpose.
  Array transpose(const std::vector<std::int64_t>& axes = {}) const;
  /// numpy's broadcasting: the array stretched to `shape` (aligned from the right; extents of
  /// 1 stretch). Arithmetic, comparisons and where broadcast their operands the same way.
  Array broadcast_to(const shape_type& shape) const;
  /// Without the dimensions `axes` (each of extent 1; empty: every dimension of extent 1).
  Array squeeze(const std::vector<std::int64_t>& axes = {}) const;
  /// x[..., i, ...]: element `index` along `axis` (negative counts from the end), the axis gone.
  Array select(std::int64_t axis, std::int64_t index) const;
  /// The same array in other chunks (each chunk task reads across the old chunks it spans).
  Array rechunk(const chunks& c) const;
  /// `function` (registered with TROUPE_FUNCTION, ndarray -> ndarray of the same shape)
  /// applied to every chunk; its chunks are of `type` (default: this array's dtype), as
  /// Dask's dtype=. A chunk of another shape or dtype is an error when it is used.
  Array map_blocks(const std::string& function, std::optional<troupe::dtype> type = {}) const;
  /// Computes the chunks now and keeps them: on the active Client's cluster (its futures
  /// hold them there while this array, or one made from it, lives), else in this process.
  /// Later computes start from the kept chunks.
  Array persist(const compute_options& options = {}) const;
  /// Computes the array into a raw file at `path`: its elements (of its dtype) in C order,
  /// host byte order, written by the chunk tasks at their offsets (the file is made at its
  /// full size).
  void store(const std::string& path, const compute_options& options = {}) const;
  /// The matrix product of two 2-d arrays (one Eigen block product per task, summed in a
  /// fixed order); with a 1-d operand, as numpy.dot (a vector's inner product, or a
  /// matrix-vector product). Blocks multiply in float64; the result takes the operands'
  /// promoted dtype.
  Array dot(const Array& other) const;

  /// Reductions over every element. Sums and products of bool and int64 arrays are int64,
  /// means, variances and deviations float64 (float32 for float32 arrays), min and max keep
  /// the dtype. Partials are folded in float64.
  Scalar sum() const;
  Scalar mean() const;
  Scalar min() const;
  Scalar max() const;
  Scalar prod() const;
  /// With the sample's degrees of freedom less `ddof`. (A template, so that x.var({0}) is
  /// the variance along axis 0, not the whole array's with ddof 0.)
  Scalar var() const;
  template <class T>
    requires std::is_arithmetic_v<T>
  Scalar var(T ddof) const;
  Scalar stddev() const;
  template <class T>
    requires std::is_arithmetic_v<T>
  Scalar stddev(T ddof) const;
  /// Reductions along `axes` (negative counts from the end), as numpy's axis= and keepdims=.
  Array sum(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array mean(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array min(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array max(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array prod(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  /// From (count, mean, M2) partials merged pairwise, not from sums of squares.
  Array var(const std::vector<std::int64_t>& axes, double ddof = 0, bool keepdims = false) const;
  Array stddev(const std::vector<std::int64_t>& axes, double ddof = 0, bool keepdims = false) const;

  /// The whole array, as one ndarray of its dtype.
  ndarray compute(const compute_options& options = {}) const;
  /// A 2-d array as an Eigen matrix of doubles (ArgumentError otherwise).
  Eigen::MatrixXd to_eigen(const compute_options& options = {}) const;

  // -- for the collection's own functions -----------------------------------------------------
  Array(std::shared_ptr<const kernels::array_plan> plan,
        std::vector<std::shared_ptr<const chunked_source>> sources, array::chunk_lists chunks);
  const kernels::array_plan& plan() const noexcept { return *plan_; }
  const std::vector<std::shared_ptr<const chunked_source>>& sources() const noexcept {
    return sources_;
  }
  /// This array's plan with one more node, `op` of this array, in `type`.
  Array unary(kernels::plan_op op, troupe::dtype type, double x = 0) const;
  Array binary(kernels::plan_op op, const Array& other, const char* verb) const;

 private:
  /// The reduction's partials folded, as a float64 array (the public reductions settle it
  /// into their result's dtype).
  Array reduce(const std::vector<std::int64_t>& axes, kernels::reduction op, bool keepdims,
               double ddof = 0, bool root = false) const;
  Array scalar_op(kernels::plan_op op, scalar x) const;
  Scalar var_all(double ddof, bool root) const;

  std::shared_ptr<const kernels::array_plan> plan_;
  std::vector<std::shared_ptr<const chunked_source>> sources_;  ///< data node k: sources_[k]
  shape_type shape_;
  array::chunk_lists chunks_;
};

/// A reduction to one number, computed on demand.
class Scalar {
 public:
  explicit Scalar(Array zero_d) : array_(std::move(zero_d)) {}
  /// The value as a double, whatever the dtype (an int64 result is exact: within +-2^53).
  double compute(const compute_options& options = {}) const;
  troupe::dtype dtype() const noexcept { return array_.dtype(); }
  /// The 0-d array behind it.
  const Array& array() const noexcept { return array_; }

 private:
  Array array_;
};

/// abs keeps the dtype; sqrt, exp and log give float32 for float32 and float64 otherwise
/// (numpy gives float16 for bool, which troupe does not have).
inline Scalar Array::var() const { return var_all(0, false); }
template <class T>
  requires std::is_arithmetic_v<T>
Scalar Array::var(T ddof) const {
  return var_all(static_cast<double>(ddof), false);
}
inline Scalar Array::stddev() const { return var_all(0, true); }
template <class T>
  requires std::is_arithmetic_v<T>
Scalar Array::stddev(T ddof) const {
  return var_all(static_cast<double>(ddof), true);
}

Array abs(const Array& x);
Array sqrt(const Array& x);
Array exp(const Array& x);
Array log(const Array& x);
/// condition != 0 ? a : b, elementwise, broadcast; a and b's promoted dtype.
Array where(const Array& condition, const Array& a, const Array& b);
/// a.dot(b).
Array matmul(const Array& a, const Array& b);

namespace linalg {
/// The Frobenius (2-) norm of all elements: sqrt(sum(x * x)).
Scalar norm(const Array& x);
}  // namespace linalg

Array ones(const shape_type& shape, const chunks& c = "auto", dtype type = dtype::float64);
Array zeros(const shape_type& shape, const chunks& c = "auto", dtype type = dtype::float64);
/// Every element `value`; the dtype is `type`, else the value's: int64 for an integer, bool
/// for a bool, float64 for a floating-point number (as numpy.full).
Array full(const shape_type& shape, scalar value, const chunks& c = "auto",
           std::optional<dtype> type = {});
/// start, start + step, ... below stop (as numpy.arange; ArgumentError for step 0); int64
/// when all three are integers, float64 otherwise.
Array arange(scalar start, scalar stop, scalar step = 1, const chunks& c = "auto");
/// `num` numbers evenly spaced from start to stop (stop itself last unless !endpoint), as
/// numpy.linspace: element i is start + i * step, step = (stop - start) / (num - 1), or / num
/// without the endpoint.
Array linspace(double start, double stop, std::int64_t num, const chunks& c = "auto",
               bool endpoint = true);
/// An array of `data`'s dtype split into chunks.
Array from_ndarray(const ndarray& data, const chunks& c = "auto");
/// `values` in `shape` (float64; the template below takes float, std::int64_t and bool).
Array from_vector(const std::vector<double>& values, const shape_type& shape,
                  const chunks& c = "auto");
/// `values` (float, std::int64_t or bool) in `shape`, of the matching dtype.
template <class T>
Array from_vector(const std::vector<T>& values, const shape_type& shape, const chunks& c = "auto") {
  return from_ndarray(ndarray::from(values, shape), c);
}
Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c = "auto");
/// An array of the same shape, chunks and dtype.
Array ones_like(const Array& a);
Array zeros_like(const Array& a);
Array full_like(const Array& a, scalar value);

namespace random {

class RandomState {
 public:
  explicit RandomState(std::uint64_t seed) : seed_(seed) {}
  Array normal(double loc, double scale, const shape_type& shape, const chunks& c = "auto") const;
  Array standard_normal(const shape_type& shape, const chunks& c = "auto") const;
  /// Uniform in [low, high).
  Array uniform(double low, double high, const shape_type& shape, const chunks& c = "auto") const;
  /// Uniform in [0, 1).
  Array random(const shape_type& shape, const chunks& c = "auto") const;

 private:
  std::uint64_t seed_;
};

/// The same from a fresh seed each call (std::random_device), as dask.array.random's
/// functions draw from an unseeded generator.
Array normal(double loc, double scale, const shape_type& shape, const chunks& c = "auto");
Array standard_normal(const shape_type& shape, const chunks& c = "auto");
Array uniform(double low, double high, const shape_type& shape, const chunks& c = "auto");
Array random(const shape_type& shape, const chunks& c = "auto");

}  // namespace random

}  // namespace troupe::array
