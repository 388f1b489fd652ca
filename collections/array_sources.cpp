#include <Eigen/Core>
#include <cmath>

#include "collections/array.hpp"
#include "collections/array_graph.hpp"
#include "core/tokenize.hpp"

// The array collection's sources: constants, ranges, seeded random numbers, and data given
// as a vector or an Eigen matrix (split into literal chunks).

namespace troupe::array {

using kernels::plan_node;
using kernels::plan_op;
using namespace detail;

Array ones(const shape_type& shape, const chunks& c) { return full(shape, 1.0, c); }
Array zeros(const shape_type& shape, const chunks& c) { return full(shape, 0.0, c); }
Array ones_like(const Array& a) { return full(a.shape(), 1.0, a.chunk_shape()); }
Array zeros_like(const Array& a) { return full(a.shape(), 0.0, a.chunk_shape()); }
Array full_like(const Array& a, double value) { return full(a.shape(), value, a.chunk_shape()); }

Array full(const shape_type& shape, double value, const chunks& c) {
  plan_node node;
  node.op = plan_op::full;
  node.shape = shape;
  node.x = value;
  return generated(std::move(node), c);
}

Array arange(double start, double stop, double step, const chunks& c) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    throw ArgumentError("arange(" + std::to_string(start) + ", " + std::to_string(stop) + ", " +
                        std::to_string(step) + "): start, stop and step must be finite, step not 0");
  const double n = std::ceil((stop - start) / step);
  if (n > 4e18)
    throw ArgumentError("arange(" + std::to_string(start) + ", " + std::to_string(stop) + ", " +
                        std::to_string(step) + ") would have " + std::to_string(n) +
                        " elements: more than an array can hold");
  plan_node node;
  node.op = plan_op::arange;
  node.shape = {n > 0 ? static_cast<std::int64_t>(n) : 0};
  node.x = start;
  node.y = step;
  return generated(std::move(node), c);
}

namespace {

/// A chunked source holding `data` split into literal chunks.
Array split_into_chunks(ndarray data, const chunks& c) {
  auto source = std::make_shared<chunked_source>();
  source->shape = data.shape();
  source->chunk = chunk_extents(data.shape(), c);
  const auto token = suffix(tokenize("from-data", {make_value(data), shape_value(source->chunk)}));
  const shape_type origin(data.ndim(), 0);
  for (auto& [start, count] : chunk_boxes(source->shape, source->chunk)) {
    ndarray part(dtype::float64, count);
    plan_node whole;
    whole.op = plan_op::data;
    whole.shape = data.shape();
    whole.data = 0;
    kernels::array_plan plan{{whole}};
    kernels::evaluate(plan, {start, shape_type(start.size(), 1), count},
                      {{data.data<double>(), origin, data.shape()}}, part.mutable_data<double>());
    Key key = "array-from-" + std::to_string(source->keys.size()) + token;
    source->graph.add(key, make_value(std::move(part)));
    source->keys.push_back(std::move(key));
  }
  return over(std::move(source));
}

}  // namespace

Array from_vector(const std::vector<double>& values, const shape_type& shape, const chunks& c) {
  return split_into_chunks(ndarray::from(values, shape), c);
}

Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c) {
  ndarray data(dtype::float64, {matrix.rows(), matrix.cols()});
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      data.mutable_data<double>(), matrix.rows(), matrix.cols()) = matrix;
  return split_into_chunks(std::move(data), c);
}

namespace random {

namespace {

Array seeded(plan_op op, std::uint64_t seed, double x, double y, const shape_type& shape,
             const chunks& c) {
  plan_node node;
  node.op = op;
  node.shape = shape;
  node.seed = seed;
  node.x = x;
  node.y = y;
  return generated(std::move(node), c);
}

}  // namespace

Array RandomState::normal(double loc, double scale, const shape_type& shape, const chunks& c) const {
  if (!(scale >= 0)) throw ArgumentError("normal: scale must be at least 0, not " + std::to_string(scale));
  return seeded(plan_op::normal, seed_, loc, scale, shape, c);
}
Array RandomState::standard_normal(const shape_type& shape, const chunks& c) const {
  return normal(0, 1, shape, c);
}
Array RandomState::uniform(double low, double high, const shape_type& shape, const chunks& c) const {
  return seeded(plan_op::uniform, seed_, low, high, shape, c);
}
Array RandomState::random(const shape_type& shape, const chunks& c) const {
  return uniform(0, 1, shape, c);
}

}  // namespace random

}  // namespace troupe::array
