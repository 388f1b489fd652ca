#include "collections/array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_set>

#include "collections/array_dtypes.hpp"
#include "collections/array_graph.hpp"
#include "collections/array_memory.hpp"
#include "collections/client.hpp"
#include "collections/format_bytes.hpp"
#include "core/config.hpp"
#include "core/function.hpp"
#include "core/graph.hpp"
#include "core/tokenize.hpp"
#include "kernels/array_tasks.hpp"

namespace troupe::array {

using kernels::plan_node;
using kernels::plan_op;
using namespace detail;

chunks::chunks(const char* text) {
  if (std::string(text) != "auto")
    throw ArgumentError(std::string("chunks \"") + text +
                        "\": give \"auto\", the chunk extents, such as {1000, 1000}, or "
                        "per-dimension lists, such as {{600, 400}, {1000}}");
}

Array::Array(std::shared_ptr<const kernels::array_plan> plan,
             std::vector<std::shared_ptr<const chunked_source>> sources, array::chunk_lists chunks)
    : plan_(std::move(plan)), sources_(std::move(sources)), shape_(plan_->root().shape),
      chunks_(std::move(chunks)) {}

shape_type Array::chunk_shape() const { return largest_chunk(chunks_); }

std::int64_t Array::size() const noexcept {
  std::int64_t n = 1;
  for (auto extent : shape_) n *= extent;
  return n;
}

std::int64_t Array::chunk_count() const noexcept {
  std::int64_t n = 1;
  for (auto g : grid_of(chunks_)) n *= g;
  return n;
}

std::string Array::describe() const {
  const auto chunk = chunk_shape();
  std::int64_t chunk_elements = 1;
  for (auto c : chunk) chunk_elements *= c;
  std::ostringstream out;
  out << "troupe.array<" << dtype_name(dtype()) << ", shape=" << shape_text(shape_)
      << ", bytes=" << format_bytes(static_cast<double>(nbytes())) << ", chunks=" << shape_text(chunk)
      << " (" << format_bytes(static_cast<double>(chunk_elements * static_cast<std::int64_t>(item_size(dtype()))))
      << " each), " << chunk_count() << " chunks, " << task_count() << " tasks, "
      << plan_->nodes.size() << " fused operations>";
  return out.str();
}

std::int64_t Array::task_count() const {
  // The sources' tasks (once each, however many sources share them), and one per chunk
  // unless the array is a source as it is.
  std::unordered_set<Key> keys;
  for (const auto& source : sources_)
    for (const auto& [key, node] : source->graph.nodes()) keys.insert(key);
  const bool source_as_is = plan_->nodes.size() == 1 && plan_->root().op == plan_op::data;
  return static_cast<std::int64_t>(keys.size()) + (source_as_is ? 0 : chunk_count());
}

Array Array::unary(plan_op op, troupe::dtype type, double x) const {
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan_node node;
  node.op = op;
  node.shape = shape_;
  node.a = static_cast<std::int32_t>(plan->nodes.size()) - 1;
  node.x = x;
  node.type = type;
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_, chunks_);
}

namespace detail {

void check_exact(scalar x) {
  constexpr std::int64_t limit = std::int64_t{1} << 53;
  if (x.kind == scalar::number_kind::integer && (x.integer >= limit || x.integer <= -limit))
    throw ArgumentError("the integer " + std::to_string(x.integer) +
                        " is at or beyond +-2^53, where troupe's int64 arrays are not exact");
}

}  // namespace detail

namespace {

/// The scalar as an operand of `t` uses it: rounded to float for float32 (numpy converts a
/// weak float to the array's dtype first), checked against int64's exact range.
double operand_value(dtype t, scalar x) {
  if (t == dtype::float32) return static_cast<float>(x.value);
  check_exact(x);
  return x.value;
}

[[noreturn]] void bool_arithmetic(const char* what) {
  throw ArgumentError(std::string("cannot ") + what +
                      " bool arrays (numpy refuses it too): use == or != for comparisons, or "
                      "astype(dtype::int64) first");
}

/// numpy's broadcast shape of two shapes (aligned to the right, each pair equal or one 1).
shape_type broadcast_shape(const shape_type& a, const shape_type& b, const char* verb) {
  const auto n = std::max(a.size(), b.size());
  shape_type out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const auto y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1)
      throw ArgumentError(std::string("cannot ") + verb + " arrays of shapes " + shape_text(a) +
                          " and " + shape_text(b) +
                          ": they do not broadcast (aligned from the right, each pair of "
                          "extents must be equal or one of them 1)");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

/// The chunks of a result of `shape` made from operands with these shapes and chunks: along
/// each dimension, those of the first operand that spans it (else one chunk).
chunk_lists broadcast_chunks(const shape_type& shape,
                             const std::vector<std::pair<shape_type, chunk_lists>>& operands) {
  chunk_lists out(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] > 0) out[i] = {shape[i]};
    for (const auto& [s, c] : operands) {
      const auto lead = shape.size() - s.size();
      if (i >= lead && s[i - lead] == shape[i]) {
        out[i] = c[i - lead];
        break;
      }
    }
  }
  return out;
}

}  // namespace

Array Array::broadcast_to(const shape_type& shape) const {
  if (shape == shape_) return *this;
  if (broadcast_shape(shape_, shape, "broadcast") != shape)
    throw ArgumentError("cannot broadcast an array of shape " + shape_text(shape_) + " to " +
                        shape_text(shape));
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan_node node;
  node.op = plan_op::broadcast;
  node.shape = shape;
  node.type = dtype();
  node.a = static_cast<std::int32_t>(plan->nodes.size()) - 1;
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_, broadcast_chunks(shape, {{shape_, chunks_}}));
}

Array Array::binary(plan_op op, const Array& other, const char* verb) const {
  const auto shape = broadcast_shape(shape_, other.shape_, verb);
  const auto chunk = broadcast_chunks(shape, {{shape_, chunks_}, {other.shape_, other.chunks_}});
  const Array left = broadcast_to(shape), right_operand = other.broadcast_to(shape);
  auto [merged, right] =
      merge(*left.plan_, *right_operand.plan_, static_cast<std::int32_t>(left.sources_.size()));
  plan_node node;
  node.op = op;
  node.shape = shape;
  node.type = promote(dtype(), other.dtype());
  if (op == plan_op::subtract && node.type == dtype::boolean) bool_arithmetic("subtract");
  if (op == plan_op::divide) node.type = is_float(node.type) ? node.type : dtype::float64;
  if (op == plan_op::greater || op == plan_op::less || op == plan_op::equal)
    node.type = dtype::boolean;
  node.a = static_cast<std::int32_t>(left.plan_->nodes.size()) - 1;
  node.b = right;
  merged.nodes.push_back(std::move(node));
  auto sources = left.sources_;
  sources.insert(sources.end(), right_operand.sources_.begin(), right_operand.sources_.end());
  return Array(std::make_shared<kernels::array_plan>(std::move(merged)), std::move(sources), chunk);
}

Array Array::operator+(const Array& o) const { return binary(plan_op::add, o, "add"); }
Array Array::operator-(const Array& o) const { return binary(plan_op::subtract, o, "subtract"); }
Array Array::operator*(const Array& o) const { return binary(plan_op::multiply, o, "multiply"); }
Array Array::operator/(const Array& o) const { return binary(plan_op::divide, o, "divide"); }
Array Array::operator>(const Array& o) const { return binary(plan_op::greater, o, "compare"); }
Array Array::operator<(const Array& o) const { return binary(plan_op::less, o, "compare"); }
Array Array::operator==(const Array& o) const { return binary(plan_op::equal, o, "compare"); }
Array Array::scalar_op(plan_op op, scalar x) const {
  const auto operand = with_scalar(dtype(), x);
  auto result = operand;
  if (op == plan_op::divide_scalar || op == plan_op::divide_into_scalar) result = float_of(operand);
  if (op == plan_op::greater_scalar || op == plan_op::less_scalar) result = dtype::boolean;
  if (op == plan_op::subtract_from_scalar && operand == dtype::boolean) bool_arithmetic("subtract");
  return unary(op, result, operand_value(operand, x));
}

Array Array::operator+(scalar x) const { return scalar_op(plan_op::add_scalar, x); }
Array Array::operator-(scalar x) const {
  if (with_scalar(dtype(), x) == dtype::boolean) bool_arithmetic("subtract");
  x.value = -x.value;
  return scalar_op(plan_op::add_scalar, x);
}
Array Array::operator*(scalar x) const { return scalar_op(plan_op::multiply_scalar, x); }
Array Array::operator/(scalar x) const { return scalar_op(plan_op::divide_scalar, x); }
Array Array::operator>(scalar x) const { return scalar_op(plan_op::greater_scalar, x); }
Array Array::operator<(scalar x) const { return scalar_op(plan_op::less_scalar, x); }
Array Array::operator-() const {
  if (dtype() == dtype::boolean) bool_arithmetic("negate");
  return unary(plan_op::negate, dtype());
}
Array operator-(scalar x, const Array& a) { return a.scalar_op(plan_op::subtract_from_scalar, x); }
Array operator/(scalar x, const Array& a) { return a.scalar_op(plan_op::divide_into_scalar, x); }

Array Array::astype(troupe::dtype type) const {
  if (type == dtype()) return *this;
  return unary(plan_op::cast, type);
}

Array abs(const Array& x) { return x.unary(plan_op::absolute, x.dtype()); }
Array sqrt(const Array& x) { return x.unary(plan_op::square_root, float_of(x.dtype())); }
Array exp(const Array& x) { return x.unary(plan_op::exponential, float_of(x.dtype())); }
Array log(const Array& x) { return x.unary(plan_op::logarithm, float_of(x.dtype())); }
Array matmul(const Array& a, const Array& b) { return a.dot(b); }

Array where(const Array& condition_in, const Array& a_in, const Array& b_in) {
  const auto shape = broadcast_shape(broadcast_shape(condition_in.shape(), a_in.shape(), "choose with"),
                                     b_in.shape(), "choose with");
  const auto chunk = broadcast_chunks(shape, {{a_in.shape(), a_in.chunk_lists()},
                                              {b_in.shape(), b_in.chunk_lists()},
                                              {condition_in.shape(), condition_in.chunk_lists()}});
  const Array condition = condition_in.broadcast_to(shape), a = a_in.broadcast_to(shape),
              b = b_in.broadcast_to(shape);
  // The three operands' plans one after another, then the choice.
  auto [with_b, b_root] =
      merge(a.plan(), b.plan(), static_cast<std::int32_t>(a.sources().size()));
  auto [merged, condition_root] =
      merge(with_b, condition.plan(),
            static_cast<std::int32_t>(a.sources().size() + b.sources().size()));
  plan_node node;
  node.op = plan_op::where;
  node.shape = shape;
  node.type = promote(a.dtype(), b.dtype());
  node.a = condition_root;
  node.b = static_cast<std::int32_t>(a.plan().nodes.size()) - 1;
  node.c = b_root;
  merged.nodes.push_back(std::move(node));
  auto sources = a.sources();
  sources.insert(sources.end(), b.sources().begin(), b.sources().end());
  sources.insert(sources.end(), condition.sources().begin(), condition.sources().end());
  return Array(std::make_shared<kernels::array_plan>(std::move(merged)), std::move(sources), chunk);
}

Array Array::slice(const std::vector<array::slice>& slices) const {
  if (slices.size() > shape_.size())
    throw ArgumentError(std::to_string(slices.size()) + " slices for a " +
                        std::to_string(shape_.size()) + "-d array");
  plan_node node;
  node.op = plan_op::slice;
  node.type = dtype();
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
  // Regular chunks of this array's largest extents (clipped), whatever its boundaries were.
  const auto largest = chunk_shape();
  shape_type chunk(shape_.size());
  for (std::size_t d = 0; d < shape_.size(); ++d)
    chunk[d] = std::max<std::int64_t>(1, std::min(largest[d], node.shape[d]));
  auto shape = node.shape;
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_, regular_chunks(shape, chunk));
}

Array Array::reversed() const {
  return slice(std::vector<array::slice>(shape_.size(), array::slice{{}, {}, -1}));
}

Array Array::transpose(const std::vector<std::int64_t>& axes) const {
  const auto n = shape_.size();
  std::vector<std::int64_t> order = axes;
  if (order.empty())
    for (std::size_t d = n; d-- > 0;) order.push_back(static_cast<std::int64_t>(d));
  if (order.size() != n)
    throw ArgumentError("transpose: " + std::to_string(order.size()) + " axes for a " +
                        std::to_string(n) + "-d array");
  for (auto& axis : order)
    if (axis < 0) axis += static_cast<std::int64_t>(n);
  auto mask = axis_mask(order, n);  // checks range and repeats
  (void)mask;
  plan_node node;
  node.op = plan_op::transpose;
  node.type = dtype();
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  node.axes = order;
  array::chunk_lists chunk(n);
  for (std::size_t d = 0; d < n; ++d) {
    node.shape.push_back(shape_[static_cast<std::size_t>(order[d])]);
    chunk[d] = chunks_[static_cast<std::size_t>(order[d])];
  }
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_, std::move(chunk));
}

Array Array::squeeze(const std::vector<std::int64_t>& axes) const {
  std::vector<std::int64_t> drop;
  if (axes.empty()) {
    for (std::size_t d = 0; d < shape_.size(); ++d)
      if (shape_[d] == 1) drop.push_back(static_cast<std::int64_t>(d));
  } else {
    const auto mask = axis_mask(axes, shape_.size());
    for (std::size_t d = 0; d < shape_.size(); ++d) {
      if (!mask[d]) continue;
      if (shape_[d] != 1)
        throw ArgumentError("cannot squeeze axis " + std::to_string(d) + " of shape " +
                            shape_text(shape_) + ": its extent is not 1");
      drop.push_back(static_cast<std::int64_t>(d));
    }
  }
  if (drop.empty()) return *this;
  plan_node node;
  node.op = plan_op::squeeze;
  node.type = dtype();
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  node.axes = drop;
  array::chunk_lists chunk;
  for (std::size_t d = 0; d < shape_.size(); ++d) {
    if (std::find(drop.begin(), drop.end(), static_cast<std::int64_t>(d)) != drop.end()) continue;
    node.shape.push_back(shape_[d]);
    chunk.push_back(chunks_[d]);
  }
  auto plan = std::make_shared<kernels::array_plan>(*plan_);
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_, std::move(chunk));
}

Array Array::select(std::int64_t axis, std::int64_t index) const {
  const auto mask = axis_mask({axis}, shape_.size());
  const auto d = static_cast<std::size_t>(std::find(mask.begin(), mask.end(), true) - mask.begin());
  const auto extent = shape_[d];
  const auto i = index < 0 ? index + extent : index;
  if (i < 0 || i >= extent)
    throw ArgumentError("index " + std::to_string(index) + " is out of range for axis " +
                        std::to_string(d) + " of extent " + std::to_string(extent));
  std::vector<array::slice> slices(shape_.size());
  slices[d] = array::slice{i, i + 1, 1};
  return slice(slices).squeeze({static_cast<std::int64_t>(d)});
}

Array Array::rechunk(const chunks& c) const {
  // Chunk tasks evaluate any box of the plan, reading their sources' chunks through windows,
  // so a new chunking is only a new grid of boxes.
  return Array(plan_, sources_, chunk_layout(shape_, c, dtype()));
}

Array Array::map_blocks(const std::string& function, std::optional<troupe::dtype> type) const {
  auto f = find_function(function);
  if (!f)
    throw ArgumentError("map_blocks: no function is registered as '" + function +
                        "' (register it with TROUPE_FUNCTION; it takes and returns a "
                        "troupe::ndarray of the same shape)");
  auto source = materialize(*this, chunks_);
  auto out = std::make_shared<chunked_source>();
  out->shape = shape_;
  out->chunks = chunks_;
  out->type = type.value_or(dtype());
  add_graph(out->graph, source->graph);
  const auto token = suffix(tokenize("map-blocks", {Value(function), make_value(source->keys)}));
  for (std::size_t i = 0; i < source->keys.size(); ++i) {
    Key key = "array-" + function + "-" + std::to_string(i) + token;
    out->graph.add(key, Task{f, {Arg::ref(source->keys[i])}});
    out->keys.push_back(std::move(key));
  }
  return over(std::move(out));
}

Array Array::persist(const compute_options& options) const {
  auto source = materialize(*this, chunks_);
  auto out = std::make_shared<chunked_source>();
  out->shape = shape_;
  out->chunks = chunks_;
  out->type = dtype();
  out->keys = source->keys;
  if (out->keys.empty()) return over(std::move(out));  // no chunks: nothing to compute
  auto* client = Client::current();
  if (client != nullptr && (options.scheduler.empty() || options.scheduler == "distributed")) {
    out->graph = source->graph;
    out->pinned = std::make_shared<const std::vector<Future<Value>>>(
        client->run_graph(*compile(source->graph, source->keys), {}));
  } else {
    auto values = get(source->graph, source->keys, options);
    for (std::size_t i = 0; i < values.size(); ++i) out->graph.add(out->keys[i], values[i]);
  }
  return over(std::move(out));
}

void Array::store(const std::string& path, const compute_options& options) const {
  Graph graph;
  const auto& tasks = kernels::array_tasks();
  std::vector<Arg> written;
  std::string token;
  if (sources_.empty()) {
    // A generated array: tasks that each make a run of chunks and write them, one chunk in
    // memory at a time, at most max_grid_tasks of them whatever the chunk count.
    auto low = start_lowering(*this);
    graph = std::move(low.graph);
    token = low.suffix + suffix(tokenize("store", {Value(path)}));
    const Key chunks_key = "array-chunks" + low.suffix;
    graph.add(chunks_key, lists_value(chunks_));
    const auto chunk = chunk_shape();
    detail::check_task_memory(elements_of(chunk) * 8 + tile_bytes(*this),
                              "storing a chunk of shape " + shape_text(chunk), chunk);
    const auto total = chunk_count();
    const auto per_task = std::max<std::int64_t>(1, (total + max_grid_tasks - 1) / max_grid_tasks);
    for (std::int64_t first = 0; first < total; first += per_task) {
      Key key = "array-store-" + std::to_string(first) + token;
      graph.add(key, Task{tasks.store_grid, {Arg::ref(low.plan_key), Arg::ref(chunks_key),
                                             Value(path), Value(first),
                                             Value(std::min(per_task, total - first))}});
      written.push_back(Arg::ref(key));
    }
  } else {
    auto source = materialize(*this, chunks_);
    add_graph(graph, source->graph);
    token = suffix(tokenize("store", {Value(path), make_value(source->keys)}));
    std::size_t i = 0;
    for (auto& [start, count, position] : chunk_boxes(chunks_)) {
      Key key = "array-store-" + std::to_string(i) + token;
      graph.add(key, Task{tasks.store_chunk, {Value(path), shape_value(shape_), shape_value(start),
                                              Arg::ref(source->keys[i])}});
      written.push_back(Arg::ref(key));
      ++i;
    }
  }
  // The file is made at its full size first, so chunks land at their offsets in any order.
  kernels::create_raw_file(path, static_cast<std::uint64_t>(nbytes()));
  Key done = "array-stored" + token;
  graph.add(done, Task{tasks.combine, {Value(std::int64_t{0}), Arg::list(std::move(written))}});
  get(graph, {done}, options);
}

ndarray Array::compute(const compute_options& options) const {
  // The task that joins the chunks holds them and the whole result.
  const auto whole = 2 * static_cast<std::uint64_t>(nbytes());
  // (The limit may ask the cluster for its workers: once.)
  if (const auto limit = detail::task_memory_limit(); whole > limit)
    throw ArgumentError("compute() joins the whole array of shape " + shape_text(shape_) + " (" +
                        format_bytes(static_cast<double>(nbytes())) +
                        ") in one task, more than a task may use (" +
                        format_bytes(static_cast<double>(limit)) +
                        "): reduce it, slice it, or store() it to a file");
  auto source = materialize(*this, chunks_);
  Graph graph;
  add_graph(graph, source->graph);
  std::vector<Arg> parts;
  for (const auto& key : source->keys) parts.push_back(Arg::ref(key));
  shape_type origins;
  for (const auto& box : chunk_boxes(chunks_)) origins.insert(origins.end(), box.start.begin(), box.start.end());
  Key result = "array-result" + suffix(tokenize("concatenate", {make_value(source->keys)}));
  graph.add(result, Task{kernels::array_tasks().concatenate,
                         {shape_value(shape_), shape_value(origins), Arg::list(std::move(parts)),
                          Value(static_cast<std::int64_t>(dtype()))}});
  return get(graph, {result}, options).front().get<ndarray>();
}

Eigen::MatrixXd Array::to_eigen(const compute_options& options) const {
  if (shape_.size() != 2)
    throw ArgumentError("to_eigen needs a 2-d array, not shape " + shape_text(shape_));
  auto values = astype(dtype::float64).compute(options);
  Eigen::MatrixXd m(shape_[0], shape_[1]);
  m = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data<double>(), shape_[0], shape_[1]);
  return m;
}

double Scalar::compute(const compute_options& options) const {
  const auto value = array_.compute(options);
  switch (value.type()) {
    case dtype::float32: return value.data<float>()[0];
    case dtype::int64: return static_cast<double>(value.data<std::int64_t>()[0]);
    case dtype::boolean: return value.data<bool>()[0] ? 1.0 : 0.0;
    default: return value.data<double>()[0];
  }
}


}  // namespace troupe::array
