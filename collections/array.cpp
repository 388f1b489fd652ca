#include "collections/array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "collections/format_bytes.hpp"
#include "core/config.hpp"
#include "core/graph.hpp"
#include "core/tokenize.hpp"
#include "kernels/array_tasks.hpp"

namespace troupe::array {

using kernels::plan_node;
using kernels::plan_op;

namespace {

std::string shape_text(const shape_type& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::int64_t configured_chunk_bytes() {
  auto text = config::get("array.chunk-size");
  if (!text) return auto_chunk_bytes;
  try {
    std::size_t used = 0;
    auto bytes = std::stoll(*text, &used);
    if (used == text->size() && bytes > 0) return bytes;
  } catch (const std::exception&) {
  }
  throw ArgumentError("array.chunk-size (TROUPE_ARRAY_CHUNK_SIZE) is '" + *text +
                      "': give a positive number of bytes, such as 134217728");
}

/// The chunk extents for `shape`: given ones checked, or "auto" near-square chunks of about
/// the configured bytes.
shape_type chunk_extents(const shape_type& shape, const chunks& c) {
  for (auto extent : shape)
    if (extent < 0) throw ArgumentError("array shape " + shape_text(shape) + " has a negative extent");
  if (!c.extents.empty()) {
    if (c.extents.size() != shape.size())
      throw ArgumentError("chunks " + shape_text(c.extents) + " do not match the " +
                          std::to_string(shape.size()) + " dimensions of shape " +
                          shape_text(shape));
    shape_type out(shape.size());
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (c.extents[d] <= 0)
        throw ArgumentError("chunks " + shape_text(c.extents) +
                            ": every chunk extent must be at least 1");
      out[d] = std::min(c.extents[d], std::max<std::int64_t>(shape[d], 1));
    }
    return out;
  }
  // auto: the same extent along every dimension (clipped to the shape), as large as fits.
  const double elements = static_cast<double>(configured_chunk_bytes()) / 8;
  shape_type out(shape.size());
  std::size_t open = shape.size();
  double budget = elements;
  std::vector<bool> fixed(shape.size(), false);
  // Dimensions shorter than the even share take their whole extent; the rest share what is left.
  for (bool changed = true; changed && open > 0;) {
    changed = false;
    const double side = std::pow(budget, 1.0 / static_cast<double>(open));
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (fixed[d] || static_cast<double>(shape[d]) > side) continue;
      fixed[d] = true;
      out[d] = std::max<std::int64_t>(shape[d], 1);
      budget /= static_cast<double>(out[d]);
      --open;
      changed = true;
    }
  }
  if (open > 0) {
    const auto side = static_cast<std::int64_t>(std::pow(budget, 1.0 / static_cast<double>(open)));
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (!fixed[d]) out[d] = std::max<std::int64_t>(1, side);
  }
  return out;
}

Array source(plan_node node, const chunks& c, std::vector<Value> data = {}) {
  auto chunk = chunk_extents(node.shape, c);
  auto plan = std::make_shared<kernels::array_plan>();
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), std::move(data), std::move(chunk));
}

/// The plan of `a` followed by the nodes of `b`, renumbered; returns the combined plan and
/// the index of b's root in it.
std::pair<kernels::array_plan, std::int32_t> merge(const kernels::array_plan& a,
                                                   const kernels::array_plan& b,
                                                   std::int32_t data_offset) {
  kernels::array_plan out = a;
  const auto offset = static_cast<std::int32_t>(a.nodes.size());
  for (auto node : b.nodes) {
    if (node.a >= 0) node.a += offset;
    if (node.b >= 0) node.b += offset;
    if (node.data >= 0) node.data += data_offset;
    out.nodes.push_back(std::move(node));
  }
  return {std::move(out), static_cast<std::int32_t>(out.nodes.size()) - 1};
}

/// The chunks of `shape` (chunk extents `chunk`), in C order of the grid: each box's start and
/// count.
std::vector<std::pair<shape_type, shape_type>> chunk_boxes(const shape_type& shape,
                                                           const shape_type& chunk) {
  std::vector<std::pair<shape_type, shape_type>> boxes;
  const auto n = shape.size();
  for (auto extent : shape)
    if (extent == 0) return boxes;
  shape_type index(n, 0);
  while (true) {
    shape_type start(n), count(n);
    for (std::size_t d = 0; d < n; ++d) {
      start[d] = index[d] * chunk[d];
      count[d] = std::min(chunk[d], shape[d] - start[d]);
    }
    boxes.emplace_back(std::move(start), std::move(count));
    std::size_t d = n;
    while (d > 0) {
      --d;
      if ((++index[d]) * chunk[d] < shape[d]) break;
      index[d] = 0;
      if (d == 0) return boxes;
    }
    if (n == 0) return boxes;
  }
}

/// The graph pieces every compute shares: the plan and the data under keys of their own, and
/// the list argument naming the data.
struct lowered {
  Graph graph;
  Key plan_key;
  Arg data = Arg::list({});
  std::string token;
};

lowered lower(const Array& a) {
  lowered out;
  auto plan = kernels::plan_value(a.plan());
  std::vector<Value> identity{plan};
  for (const auto& d : a.data()) identity.push_back(d);
  out.token = tokenize("array", identity);
  out.plan_key = "array-plan" + out.token.substr(5);
  out.graph.add(out.plan_key, plan);
  std::vector<Arg> data;
  for (std::size_t i = 0; i < a.data().size(); ++i) {
    Key key = "array-data-" + std::to_string(i) + out.token.substr(5);
    out.graph.add(key, a.data()[i]);
    data.push_back(Arg::ref(key));
  }
  out.data = Arg::list(std::move(data));
  return out;
}

Value shape_value(const shape_type& s) { return make_value(shape_type(s)); }

}  // namespace

chunks::chunks(const char* text) {
  if (std::string(text) != "auto")
    throw ArgumentError(std::string("chunks \"") + text +
                        "\": give \"auto\" or the chunk extents, such as {1000, 1000}");
}

Array::Array(std::shared_ptr<const kernels::array_plan> plan, std::vector<Value> data,
             shape_type chunk)
    : plan_(std::move(plan)), data_(std::move(data)), shape_(plan_->root().shape),
      chunk_(std::move(chunk)) {}

std::int64_t Array::size() const noexcept {
  std::int64_t n = 1;
  for (auto extent : shape_) n *= extent;
  return n;
}

std::int64_t Array::chunk_count() const noexcept {
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape_.size(); ++d)
    n *= chunk_[d] > 0 ? (shape_[d] + chunk_[d] - 1) / chunk_[d] : 0;
  return n;
}

std::string Array::describe() const {
  std::int64_t chunk_elements = 1;
  for (auto c : chunk_) chunk_elements *= c;
  std::ostringstream out;
  out << "troupe.array<float64, shape=" << shape_text(shape_) << ", bytes=" << format_bytes(nbytes())
      << ", chunks=" << shape_text(chunk_) << " (" << format_bytes(chunk_elements * 8.0) << " each), "
      << chunk_count() << " chunks, " << plan_->nodes.size() << " fused operations>";
  return out.str();
}

Array Array::unary(plan_op op, double x) const {
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan_node node;
  node.op = op;
  node.shape = shape_;
  node.a = static_cast<std::int32_t>(plan->nodes.size()) - 1;
  node.x = x;
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), data_, chunk_);
}

Array Array::binary(plan_op op, const Array& other, const char* symbol) const {
  if (other.shape_ != shape_)
    throw ArgumentError(std::string("cannot ") + symbol + " arrays of shapes " + shape_text(shape_) +
                        " and " + shape_text(other.shape_) +
                        " (broadcasting is not supported yet: give equal shapes)");
  auto [merged, right] = merge(*plan_, *other.plan_, static_cast<std::int32_t>(data_.size()));
  plan_node node;
  node.op = op;
  node.shape = shape_;
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  node.b = right;
  merged.nodes.push_back(std::move(node));
  auto data = data_;
  data.insert(data.end(), other.data_.begin(), other.data_.end());
  return Array(std::make_shared<kernels::array_plan>(std::move(merged)), std::move(data), chunk_);
}

Array Array::operator+(const Array& o) const { return binary(plan_op::add, o, "add"); }
Array Array::operator-(const Array& o) const { return binary(plan_op::subtract, o, "subtract"); }
Array Array::operator*(const Array& o) const { return binary(plan_op::multiply, o, "multiply"); }
Array Array::operator/(const Array& o) const { return binary(plan_op::divide, o, "divide"); }
Array Array::operator+(double x) const { return unary(plan_op::add_scalar, x); }
Array Array::operator-(double x) const { return unary(plan_op::add_scalar, -x); }
Array Array::operator*(double x) const { return unary(plan_op::multiply_scalar, x); }
Array Array::operator/(double x) const { return unary(plan_op::divide_scalar, x); }
Array Array::operator-() const { return unary(plan_op::negate); }
Array operator-(double x, const Array& a) { return a.unary(plan_op::subtract_from_scalar, x); }
Array operator/(double x, const Array& a) { return a.unary(plan_op::divide_into_scalar, x); }

Array Array::slice(const std::vector<array::slice>& slices) const {
  if (slices.size() > shape_.size())
    throw ArgumentError(std::to_string(slices.size()) + " slices for a " +
                        std::to_string(shape_.size()) + "-d array");
  plan_node node;
  node.op = plan_op::slice;
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  for (std::size_t d = 0; d < shape_.size(); ++d) {
    const auto n = shape_[d];
    array::slice s = d < slices.size() ? slices[d] : array::slice{};
    if (s.step == 0) throw ArgumentError("slice step cannot be zero (dimension " + std::to_string(d) + ")");
    // Python's slice.indices(n).
    const std::int64_t lower = s.step > 0 ? 0 : -1, upper = s.step > 0 ? n : n - 1;
    auto clamp = [&](std::optional<std::int64_t> v, std::int64_t fallback) {
      if (!v) return fallback;
      std::int64_t x = *v < 0 ? *v + n : *v;
      return std::clamp(x, lower, upper);
    };
    const auto start = clamp(s.start, s.step > 0 ? lower : upper);
    const auto stop = clamp(s.stop, s.step > 0 ? upper : lower);
    std::int64_t count = 0;
    if (s.step > 0 && stop > start) count = (stop - start - 1) / s.step + 1;
    if (s.step < 0 && start > stop) count = (start - stop - 1) / (-s.step) + 1;
    node.shape.push_back(count);
    node.starts.push_back(count > 0 ? start : 0);
    node.steps.push_back(s.step);
  }
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan->nodes.push_back(node);
  shape_type chunk(shape_.size());
  for (std::size_t d = 0; d < shape_.size(); ++d)
    chunk[d] = std::max<std::int64_t>(1, std::min(chunk_[d], node.shape[d]));
  return Array(std::move(plan), data_, std::move(chunk));
}

Array Array::reversed() const {
  return slice(std::vector<array::slice>(shape_.size(), array::slice{{}, {}, -1}));
}

Scalar Array::sum() const { return Scalar(*this, kernels::reduction::sum, 1); }
Scalar Array::mean() const {
  if (size() == 0) throw ArgumentError("mean of an empty array " + shape_text(shape_));
  return Scalar(*this, kernels::reduction::sum, static_cast<double>(size()));
}
Scalar Array::min() const {
  if (size() == 0) throw ArgumentError("min of an empty array " + shape_text(shape_) + " has no value");
  return Scalar(*this, kernels::reduction::min, 1);
}
Scalar Array::max() const {
  if (size() == 0) throw ArgumentError("max of an empty array " + shape_text(shape_) + " has no value");
  return Scalar(*this, kernels::reduction::max, 1);
}

ndarray Array::compute(const compute_options& options) const {
  const auto& tasks = kernels::array_tasks();
  auto low = lower(*this);
  std::vector<Arg> parts;
  std::size_t i = 0;
  for (auto& [start, count] : chunk_boxes(shape_, chunk_)) {
    Key key = "array-chunk-" + std::to_string(i++) + low.token.substr(5);
    low.graph.add(key, Task{tasks.eval, {Arg::ref(low.plan_key), shape_value(start),
                                         shape_value(count), low.data}});
    parts.push_back(Arg::ref(key));
  }
  Key result = "array-result" + low.token.substr(5);
  low.graph.add(result, Task{tasks.concatenate,
                             {shape_value(shape_), shape_value(chunk_), Arg::list(std::move(parts))}});
  return get(low.graph, {result}, options).front().get<ndarray>();
}

Eigen::MatrixXd Array::to_eigen(const compute_options& options) const {
  if (shape_.size() != 2)
    throw ArgumentError("to_eigen needs a 2-d array, not shape " + shape_text(shape_));
  auto values = compute(options);
  Eigen::MatrixXd m(shape_[0], shape_[1]);
  m = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data<double>(), shape_[0], shape_[1]);
  return m;
}

Scalar::Scalar(Array source, kernels::reduction op, double divisor)
    : source_(std::move(source)), op_(op), divisor_(divisor) {}

double Scalar::compute(const compute_options& options) const {
  const auto& tasks = kernels::array_tasks();
  auto low = lower(source_);
  const auto op = Value(static_cast<std::int64_t>(op_));
  std::vector<Key> level;
  for (auto& [start, count] : chunk_boxes(source_.shape(), source_.chunk_shape())) {
    Key key = "array-reduce-0-" + std::to_string(level.size()) + low.token.substr(5);
    low.graph.add(key, Task{tasks.reduce, {Arg::ref(low.plan_key), shape_value(start),
                                           shape_value(count), low.data, op}});
    level.push_back(std::move(key));
  }
  // A tree of partials, 16 to a node, down to one.
  constexpr std::size_t fan_in = 16;
  for (int depth = 1; level.size() != 1; ++depth) {
    std::vector<Key> next;
    for (std::size_t i = 0; i < std::max<std::size_t>(level.size(), 1); i += fan_in) {
      std::vector<Arg> group;
      for (std::size_t j = i; j < std::min(level.size(), i + fan_in); ++j)
        group.push_back(Arg::ref(level[j]));
      Key key = "array-reduce-" + std::to_string(depth) + "-" + std::to_string(next.size()) +
                low.token.substr(5);
      low.graph.add(key, Task{tasks.combine, {op, Arg::list(std::move(group))}});
      next.push_back(std::move(key));
    }
    level = std::move(next);
  }
  return get(low.graph, {level.front()}, options).front().as<double>() / divisor_;
}

Array ones(const shape_type& shape, const chunks& c) { return full(shape, 1.0, c); }
Array zeros(const shape_type& shape, const chunks& c) { return full(shape, 0.0, c); }

Array full(const shape_type& shape, double value, const chunks& c) {
  plan_node node;
  node.op = plan_op::full;
  node.shape = shape;
  node.x = value;
  return source(std::move(node), c);
}

Array arange(double start, double stop, double step, const chunks& c) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    throw ArgumentError("arange(" + std::to_string(start) + ", " + std::to_string(stop) + ", " +
                        std::to_string(step) + "): start, stop and step must be finite, step not 0");
  const double n = std::ceil((stop - start) / step);
  plan_node node;
  node.op = plan_op::arange;
  node.shape = {n > 0 ? static_cast<std::int64_t>(n) : 0};
  node.x = start;
  node.y = step;
  return source(std::move(node), c);
}

Array from_vector(const std::vector<double>& values, const shape_type& shape, const chunks& c) {
  auto data = ndarray::from(values, shape);
  plan_node node;
  node.op = plan_op::data;
  node.shape = shape;
  node.data = 0;
  return source(std::move(node), c, {make_value(std::move(data))});
}

Array from_eigen(const Eigen::MatrixXd& matrix, const chunks& c) {
  ndarray data(dtype::float64, {matrix.rows(), matrix.cols()});
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      data.mutable_data<double>(), matrix.rows(), matrix.cols()) = matrix;
  plan_node node;
  node.op = plan_op::data;
  node.shape = data.shape();
  node.data = 0;
  return source(std::move(node), c, {make_value(std::move(data))});
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
  return source(std::move(node), c);
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
