#pragma once
// troupe::array — chunked n-d float64 arrays, as dask.array (first steps of the arrays issue).
//
//   namespace da = troupe::array;
//   auto x = da::random::RandomState(42).normal(10, 1, {10000, 10000}, {1000, 1000});
//   double total = ((x + 1).slice({{0, {}, 2}, {0, {}, 2}})).sum().compute();
//
// An Array is a lazy plan (kernels/array_plan.hpp): sources, elementwise operations and
// slices. Computing it makes one task per chunk of the result, each evaluating the fused
// plan over its box; a reduction makes one task per chunk and a tree of partials (16 to a
// node). Random arrays are counter-based: element i of a seeded array is a pure function of
// the seed and i, so the numbers do not depend on the chunking, the slice or the scheduler.
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

class Scalar;

class Array {
 public:
  const shape_type& shape() const noexcept { return shape_; }
  const shape_type& chunk_shape() const noexcept { return chunk_; }
  std::size_t ndim() const noexcept { return shape_.size(); }
  std::int64_t size() const noexcept;
  std::int64_t nbytes() const noexcept { return size() * 8; }
  std::int64_t chunk_count() const noexcept;
  /// Like Dask's repr: bytes, shape, chunk shape and bytes, chunks, dtype.
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

  /// x[s0, s1, ...]: one slice per dimension (fewer: the rest whole). The result keeps this
  /// array's chunk shape.
  Array slice(const std::vector<array::slice>& slices) const;
  /// x[::-1, ::-1, ...]
  Array reversed() const;

  Scalar sum() const;
  Scalar mean() const;
  Scalar min() const;
  Scalar max() const;

  /// The whole array, as one ndarray.
  ndarray compute(const compute_options& options = {}) const;
  /// A 2-d array as an Eigen matrix (ArgumentError otherwise).
  Eigen::MatrixXd to_eigen(const compute_options& options = {}) const;

  // -- for the collection's own functions -----------------------------------------------------
  Array(std::shared_ptr<const kernels::array_plan> plan, std::vector<Value> data, shape_type chunk);
  const kernels::array_plan& plan() const noexcept { return *plan_; }
  const std::vector<Value>& data() const noexcept { return data_; }

 private:
  Array unary(kernels::plan_op op, double x = 0) const;
  Array binary(kernels::plan_op op, const Array& other, const char* symbol) const;

  std::shared_ptr<const kernels::array_plan> plan_;
  std::vector<Value> data_;  ///< ndarrays the plan's data nodes name
  shape_type shape_;
  shape_type chunk_;
};

/// A reduction of an array, computed on demand.
class Scalar {
 public:
  double compute(const compute_options& options = {}) const;

  Scalar(Array source, kernels::reduction op, double divisor);

 private:
  Array source_;
  kernels::reduction op_;
  double divisor_;  ///< mean: the element count; 1 otherwise
};

Array ones(const shape_type& shape, const chunks& c = "auto");
Array zeros(const shape_type& shape, const chunks& c = "auto");
Array full(const shape_type& shape, double value, const chunks& c = "auto");
/// start, start + step, ... below stop (as numpy.arange; ArgumentError for step 0).
Array arange(double start, double stop, double step = 1, const chunks& c = "auto");
Array from_vector(const std::vector<double>& values, const shape_type& shape, const chunks& c = "auto");
Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c = "auto");

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
