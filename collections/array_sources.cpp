#include <Eigen/Core>
#include <cmath>
#include <random>
#include <sstream>

#include "collections/array.hpp"
#include "collections/array_graph.hpp"
#include "core/tokenize.hpp"
#include "kernels/array_tasks.hpp"

// The array collection's sources: constants, ranges, seeded random numbers, and data given
// as a vector or an Eigen matrix (split into literal chunks).

namespace troupe::array {

using kernels::plan_node;
using kernels::plan_op;
using namespace detail;

namespace {

/// 3, 2.5, 1e+300, nan: as a user wrote it (std::to_string writes 3.000000).
std::string number_text(double x) {
  std::ostringstream out;
  out.precision(17);
  out << x;
  return out.str();
}

}  // namespace

Array ones(const shape_type& shape, const chunks& c, dtype type) { return full(shape, 1, c, type); }
Array zeros(const shape_type& shape, const chunks& c, dtype type) { return full(shape, 0, c, type); }
Array ones_like(const Array& a) { return full(a.shape(), 1, a.chunk_lists(), a.dtype()); }
Array zeros_like(const Array& a) { return full(a.shape(), 0, a.chunk_lists(), a.dtype()); }
Array full_like(const Array& a, scalar value) {
  return full(a.shape(), value, a.chunk_lists(), a.dtype());
}

Array full(const shape_type& shape, scalar value, const chunks& c, std::optional<dtype> type) {
  check_exact(value);
  plan_node node;
  node.op = plan_op::full;
  node.shape = shape;
  node.x = value.value;
  node.type = type ? *type
              : value.kind == scalar::number_kind::boolean ? dtype::boolean
              : value.kind == scalar::number_kind::integer ? dtype::int64
                                                           : dtype::float64;
  return generated(std::move(node), c);
}

Array arange(scalar start_in, scalar stop_in, scalar step_in, const chunks& c) {
  for (auto x : {start_in, stop_in, step_in}) check_exact(x);
  const double start = start_in.value, stop = stop_in.value, step = step_in.value;
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    throw ArgumentError("arange(" + number_text(start) + ", " + number_text(stop) + ", " +
                        number_text(step) + "): start, stop and step must be finite, step not 0");
  const double n = std::ceil((stop - start) / step);
  if (n > 4e18)
    throw ArgumentError("arange(" + number_text(start) + ", " + number_text(stop) + ", " +
                        number_text(step) + ") would have " + number_text(n) +
                        " elements: more than an array can hold");
  const bool integers = start_in.kind != scalar::number_kind::floating &&
                        stop_in.kind != scalar::number_kind::floating &&
                        step_in.kind != scalar::number_kind::floating;
  plan_node node;
  node.op = plan_op::arange;
  node.shape = {n > 0 ? static_cast<std::int64_t>(n) : 0};
  node.x = start;
  node.y = step;
  node.type = integers ? dtype::int64 : dtype::float64;
  return generated(std::move(node), c);
}

Array linspace(double start, double stop, std::int64_t num, const chunks& c, bool endpoint) {
  if (num < 0) throw ArgumentError("linspace: num must be at least 0, not " + std::to_string(num));
  if (!std::isfinite(start) || !std::isfinite(stop))
    throw ArgumentError("linspace(" + number_text(start) + ", " + number_text(stop) +
                        "): start and stop must be finite");
  const auto divisions = endpoint ? num - 1 : num;
  plan_node node;
  node.op = plan_op::linspace;
  node.shape = {num};
  node.x = start;
  node.y = divisions > 0 ? (stop - start) / static_cast<double>(divisions) : 0.0;
  // The last element: stop itself with the endpoint (as numpy sets it), else the formula's.
  node.z = endpoint && num > 1 ? stop : start + node.y * static_cast<double>(std::max<std::int64_t>(num - 1, 0));
  return generated(std::move(node), c);
}

Array from_ndarray(const ndarray& data, const chunks& c) {
  auto source = std::make_shared<chunked_source>();
  source->shape = data.shape();
  source->chunks = chunk_layout(data.shape(), c, data.type());
  source->type = data.type();
  const auto token =
      suffix(tokenize("from-data", {make_value(data), lists_value(source->chunks)}));
  const shape_type origin(data.ndim(), 0);
  for (auto& [start, count, position] : chunk_boxes(source->chunks)) {
    ndarray part(data.type(), count);
    kernels::copy_box(data.bytes(), data.shape(), origin, part.mutable_bytes(), count, start,
                      start, count, item_size(data.type()));
    Key key = "array-from-" + std::to_string(source->keys.size()) + token;
    source->graph.add(key, make_value(std::move(part)));
    source->keys.push_back(std::move(key));
  }
  return over(std::move(source));
}

Array from_vector(const std::vector<double>& values, const shape_type& shape, const chunks& c) {
  return from_ndarray(ndarray::from(values, shape), c);
}

Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c) {
  ndarray data(dtype::float64, {matrix.rows(), matrix.cols()});
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      data.mutable_data<double>(), matrix.rows(), matrix.cols()) = matrix;
  return from_ndarray(data, c);
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

namespace {

RandomState fresh() {
  std::random_device device;
  return RandomState(std::uint64_t{device()} << 32 | device());
}

}  // namespace

Array normal(double loc, double scale, const shape_type& shape, const chunks& c) {
  return fresh().normal(loc, scale, shape, c);
}
Array standard_normal(const shape_type& shape, const chunks& c) {
  return fresh().standard_normal(shape, c);
}
Array uniform(double low, double high, const shape_type& shape, const chunks& c) {
  return fresh().uniform(low, high, shape, c);
}
Array random(const shape_type& shape, const chunks& c) { return fresh().random(shape, c); }

}  // namespace random

}  // namespace troupe::array
