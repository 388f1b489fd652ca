#pragma once
// troupe::array — chunked n-d float64 arrays, as dask.array (first steps of the arrays issue).
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

#include <Eigen/Core>
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

/// Chunk extents per dimension (the last chunk of a dimension may be shorter), or "auto":
/// about `auto_chunk_bytes` a chunk (config key "array.chunk-size", bytes), near-square.
struct chunks {
  chunks() = default;
  chunks(shape_type extents) : extents(std::move(extents)) {}  // NOLINT: a shape_type
  chunks(std::initializer_list<std::int64_t> extents) : extents(extents) {}  // NOLINT: {1000, 1000}
  chunks(const char* text);                                      // NOLINT: "auto"
  shape_type extents;  ///< empty: auto
};

inline constexpr std::int64_t auto_chunk_bytes = 128 << 20;

/// One dimension of a slice, as Python's start:stop:step (negative indices count from the end).
struct slice {
  std::optional<std::int64_t> start, stop;
  std::int64_t step = 1;
};

/// Chunks made by tasks: `keys` (C order of the grid of `chunk` extents) under `graph`.
struct chunked_source;

class Scalar;

class Array {
 public:
  const shape_type& shape() const noexcept { return shape_; }
  const shape_type& chunk_shape() const noexcept { return chunk_; }
  std::size_t ndim() const noexcept { return shape_.size(); }
  std::int64_t size() const noexcept;
  std::int64_t nbytes() const noexcept { return size() * 8; }
  std::int64_t chunk_count() const noexcept;
  /// Like Dask's repr: shape, bytes, chunk shape and bytes, chunk count, dtype.
  std::string describe() const;

  Array operator+(const Array& other) const;
  Array operator-(const Array& other) const;
  Array operator*(const Array& other) const;
  Array operator/(const Array& other) const;
  Array operator+(double x) const;
  Array operator-(double x) const;
  Array operator*(double x) const;
  Array operator/(double x) const;
  Array operator-() const;
  friend Array operator+(double x, const Array& a) { return a + x; }
  friend Array operator-(double x, const Array& a);
  friend Array operator*(double x, const Array& a) { return a * x; }
  friend Array operator/(double x, const Array& a);
  /// Comparisons give 1.0 where true and 0.0 where false (float64 until bool arrays come).
  Array operator>(const Array& other) const;
  Array operator<(const Array& other) const;
  Array operator==(const Array& other) const;
  Array operator>(double x) const;
  Array operator<(double x) const;

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
  /// applied to every chunk.
  Array map_blocks(const std::string& function) const;
  /// Computes the chunks now and keeps them: on the active Client's cluster (its futures
  /// hold them there while this array, or one made from it, lives), else in this process.
  /// Later computes start from the kept chunks.
  Array persist(const compute_options& options = {}) const;
  /// Computes the array into a raw file at `path`: its float64 elements in C order, host byte
  /// order, written by the chunk tasks at their offsets (the file is made at its full size).
  void store(const std::string& path, const compute_options& options = {}) const;
  /// The matrix product of two 2-d arrays (one Eigen block product per task, summed in a
  /// fixed order); with a 1-d operand, as numpy.dot (a vector's inner product, or a
  /// matrix-vector product).
  Array dot(const Array& other) const;

  /// Reductions over every element.
  Scalar sum() const;
  Scalar mean() const;
  Scalar min() const;
  Scalar max() const;
  Scalar prod() const;
  Scalar var(double ddof = 0) const;
  Scalar stddev(double ddof = 0) const;
  /// Reductions along `axes` (negative counts from the end), as numpy's axis= and keepdims=.
  Array sum(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array mean(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array min(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array max(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  Array prod(const std::vector<std::int64_t>& axes, bool keepdims = false) const;
  /// From (count, mean, M2) partials merged pairwise, not from sums of squares.
  Array var(const std::vector<std::int64_t>& axes, double ddof = 0, bool keepdims = false) const;
  Array stddev(const std::vector<std::int64_t>& axes, double ddof = 0, bool keepdims = false) const;

  /// The whole array, as one ndarray.
  ndarray compute(const compute_options& options = {}) const;
  /// A 2-d array as an Eigen matrix (ArgumentError otherwise).
  Eigen::MatrixXd to_eigen(const compute_options& options = {}) const;

  // -- for the collection's own functions -----------------------------------------------------
  Array(std::shared_ptr<const kernels::array_plan> plan,
        std::vector<std::shared_ptr<const chunked_source>> sources, shape_type chunk);
  const kernels::array_plan& plan() const noexcept { return *plan_; }
  const std::vector<std::shared_ptr<const chunked_source>>& sources() const noexcept {
    return sources_;
  }
  Array unary(kernels::plan_op op, double x = 0) const;
  Array binary(kernels::plan_op op, const Array& other, const char* verb) const;

 private:
  Array reduce(const std::vector<std::int64_t>& axes, kernels::reduction op, bool keepdims,
               double ddof = 0, bool root = false) const;

  std::shared_ptr<const kernels::array_plan> plan_;
  std::vector<std::shared_ptr<const chunked_source>> sources_;  ///< data node k: sources_[k]
  shape_type shape_;
  shape_type chunk_;
};

/// A reduction to one number, computed on demand.
class Scalar {
 public:
  explicit Scalar(Array zero_d) : array_(std::move(zero_d)) {}
  double compute(const compute_options& options = {}) const;
  /// The 0-d array behind it.
  const Array& array() const noexcept { return array_; }

 private:
  Array array_;
};

Array abs(const Array& x);
Array sqrt(const Array& x);
Array exp(const Array& x);
Array log(const Array& x);
/// condition != 0 ? a : b, elementwise (equal shapes).
Array where(const Array& condition, const Array& a, const Array& b);

namespace linalg {
/// The Frobenius (2-) norm of all elements: sqrt(sum(x * x)).
Scalar norm(const Array& x);
}  // namespace linalg

Array ones(const shape_type& shape, const chunks& c = "auto");
Array zeros(const shape_type& shape, const chunks& c = "auto");
Array full(const shape_type& shape, double value, const chunks& c = "auto");
/// start, start + step, ... below stop (as numpy.arange; ArgumentError for step 0).
Array arange(double start, double stop, double step = 1, const chunks& c = "auto");
Array from_vector(const std::vector<double>& values, const shape_type& shape, const chunks& c = "auto");
Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c = "auto");
/// An array of the same shape and chunks.
Array ones_like(const Array& a);
Array zeros_like(const Array& a);
Array full_like(const Array& a, double value);

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

}  // namespace random

}  // namespace troupe::array
