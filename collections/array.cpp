#include "collections/array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <unordered_set>

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

namespace {

bool is_float(dtype t) { return t == dtype::float32 || t == dtype::float64; }

/// numpy's promotion of two arrays' dtypes: bool < int64 < float64, float32 with int64 is
/// float64.
dtype promote(dtype a, dtype b) {
  if (a == b || b == dtype::boolean) return a;
  if (a == dtype::boolean) return b;
  return dtype::float64;
}

/// The dtype of a division's or a transcendental function's result.
dtype float_of(dtype t) { return t == dtype::float32 ? dtype::float32 : dtype::float64; }

/// The dtype sums and products of `t` have.
dtype sum_of(dtype t) {
  return t == dtype::boolean || t == dtype::int64 ? dtype::int64 : t;
}

/// An array of `t` with a weak scalar (numpy 2, NEP 50): the scalar's kind raises bool to
/// int64 and integers to float64, but never widens a float.
dtype with_scalar(dtype t, scalar x) {
  switch (x.kind) {
    case scalar::number_kind::boolean: return t;
    case scalar::number_kind::integer: return t == dtype::boolean ? dtype::int64 : t;
    default: return is_float(t) ? t : dtype::float64;
  }
}

}  // namespace

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

Array Array::dot(const Array& other) const {
  // Vectors, as numpy: 1-d . 1-d is their inner product, 2-d . 1-d and 1-d . 2-d contract the
  // shared extent (as elementwise products summed, broadcasting the vector).
  const bool left_vector = ndim() == 1, right_vector = other.ndim() == 1;
  if ((left_vector || right_vector) && ndim() <= 2 && other.ndim() <= 2 &&
      shape_.back() == other.shape_[0]) {
    // Sums of products; of bools, whether any product is true (numpy's bool dot).
    const auto type = promote(dtype(), other.dtype());
    if (left_vector && right_vector) return (*this * other).sum(all_axes(1)).astype(type);
    if (right_vector) return (*this * other).sum({1}).astype(type);
    return (broadcast_to({1, shape_[0]}).transpose() * other).sum({0}).astype(type);
  }
  if (ndim() != 2 || other.ndim() != 2 || shape_[1] != other.shape_[0])
    throw ArgumentError("dot: shapes " + shape_text(shape_) + " and " + shape_text(other.shape_) +
                        " do not make a product (1-d or 2-d arrays whose inner extents are equal)");
  // The left operand in its own chunks, the right in row chunks that match the left's
  // column chunks, so that the inner blocks line up.
  const array::chunk_lists a_chunks{chunks_[0], chunks_[1]}, b_chunks{chunks_[1], other.chunks_[1]};
  const array::chunk_lists out_chunks{chunks_[0], other.chunks_[1]};
  const auto result_type = promote(dtype(), other.dtype());
  if (shape_[1] == 0) return zeros({shape_[0], other.shape_[1]}, out_chunks, result_type);
  const auto a_block = largest_chunk(a_chunks), b_block = largest_chunk(b_chunks),
             out_block = largest_chunk(out_chunks);
  detail::check_task_memory(
      (elements_of(a_block) + elements_of(b_block) + elements_of(out_block)) * 8,
      "a block product of " + shape_text(a_block) + " by " + shape_text(b_block), out_block);
  // Blocks multiply as float64 (Eigen), exact for int64 within +-2^53.
  auto a = materialize(astype(dtype::float64), a_chunks);
  auto b = materialize(other.astype(dtype::float64), b_chunks);
  auto out = std::make_shared<chunked_source>();
  out->shape = {shape_[0], other.shape_[1]};
  out->chunks = out_chunks;
  add_graph(out->graph, a->graph);
  add_graph(out->graph, b->graph);
  const auto ga = grid_of(a_chunks), gb = grid_of(b_chunks);
  const auto token = suffix(tokenize("dot", {make_value(a->keys), make_value(b->keys)}));
  const auto& tasks = kernels::array_tasks();
  for (std::int64_t i = 0; i < ga[0]; ++i) {
    for (std::int64_t j = 0; j < gb[1]; ++j) {
      std::vector<Key> products;
      for (std::int64_t l = 0; l < ga[1]; ++l) {
        Key key = "array-matmul-" + std::to_string(i) + "-" + std::to_string(j) + "-" +
                  std::to_string(l) + token;
        out->graph.add(key, Task{tasks.matmul, {Arg::ref(a->keys[i * ga[1] + l]),
                                                Arg::ref(b->keys[l * gb[1] + j])}});
        products.push_back(std::move(key));
      }
      const shape_type block{out_chunks[0][static_cast<std::size_t>(i)],
                             out_chunks[1][static_cast<std::size_t>(j)]};
      out->keys.push_back(combine_tree(out->graph, std::move(products),
                                       static_cast<std::int64_t>(kernels::reduction::sum), block,
                                       block,
                                       "array-dot-" + std::to_string(i) + "-" + std::to_string(j) +
                                           token));
    }
  }
  return over(std::move(out)).astype(result_type);
}

Array Array::reduce(const std::vector<std::int64_t>& axes, kernels::reduction op, bool keepdims,
                    double ddof, bool root) const {
  const auto n = shape_.size();
  const auto mask = axis_mask(axes, n);
  const bool moments = op == kernels::reduction::moments;
  std::int64_t reduced_count = 1;
  for (std::size_t d = 0; d < n; ++d)
    if (mask[d]) reduced_count *= shape_[d];
  if (reduced_count == 0 && (op == kernels::reduction::min || op == kernels::reduction::max))
    throw ArgumentError("min and max of an empty array " + shape_text(shape_) + " have no value");
  // The result's shape and chunks: reduced dimensions become 1 (or go).
  shape_type out_shape;
  array::chunk_lists out_chunks;
  for (std::size_t d = 0; d < n; ++d) {
    if (mask[d] && !keepdims) continue;
    out_shape.push_back(mask[d] ? 1 : shape_[d]);
    out_chunks.push_back(mask[d] ? std::vector<std::int64_t>{1} : chunks_[d]);
  }
  auto out = std::make_shared<chunked_source>();
  out->shape = out_shape;
  out->chunks = out_chunks;
  const auto op_value = static_cast<std::int64_t>(op);
  shape_type mask_value(mask.begin(), mask.end());
  // An empty reduced extent (sum of nothing) has no chunk to fold: the result is the
  // identity, made as a constant.
  bool no_input = false;
  for (auto extent : shape_)
    if (extent == 0) no_input = true;
  if (no_input) {
    // var and std of nothing are NaN, as numpy's (its warning aside).
    const double identity = moments                          ? std::nan("")
                            : op == kernels::reduction::prod ? 1.0
                                                             : 0.0;
    return full(out_shape, identity, out_chunks);
  }
  auto low = start_lowering(*this);
  const auto& tasks = kernels::array_tasks();
  const auto grid = grid_of(chunks_);
  shape_type out_grid;
  for (std::size_t d = 0; d < n; ++d)
    if (!mask[d] || keepdims) out_grid.push_back(mask[d] ? 1 : grid[d]);
  std::size_t out_count = 1;
  for (auto g : out_grid) out_count *= static_cast<std::size_t>(g);
  std::vector<std::vector<Key>> groups(out_count);
  std::vector<shape_type> group_counts(out_count);
  const std::string name = "array-" + std::to_string(op_value) + "-" +
                           std::to_string(keepdims) + suffix(tokenize("axes", {make_value(mask_value)}));
  // From a chunk's grid position: the extents of its result chunk, and that chunk's index.
  auto result_count_of = [&](const shape_type& position) {
    shape_type count;
    for (std::size_t d = 0; d < n; ++d)
      if (!mask[d] || keepdims)
        count.push_back(mask[d] ? 1 : chunks_[d][static_cast<std::size_t>(position[d])]);
    return count;
  };
  auto linear_of = [&](const shape_type& position) {
    std::size_t linear = 0;
    for (std::size_t d = 0; d < n; ++d)
      if (!mask[d]) linear = linear * static_cast<std::size_t>(grid[d]) + static_cast<std::size_t>(position[d]);
    return linear;
  };
  auto check_memory = [&](const shape_type& count, std::uint64_t inputs, std::uint64_t partials) {
    shape_type partial = count;
    for (std::size_t d = 0; d < n; ++d)
      if (mask[d]) partial[d] = 1;
    detail::check_task_memory(elements_of(partial) * (moments ? 24 : 8) * partials + inputs +
                                  tile_bytes(*this),
                              "reducing a chunk of shape " + shape_text(count), chunk_shape());
  };
  if (sources_.empty() && chunk_count() > grouped_from) {
    // A generated array of many chunks (nothing to read, so nothing for a task to hold): per
    // result chunk, tasks that each reduce a run of fan_in^levels of its boxes and fold them
    // as that many levels of the combine tree would, so the numbers are those of one task
    // per chunk, from at most max_grid_tasks tasks whatever the chunk count.
    std::int64_t per_group = 1;  // boxes of one result chunk
    for (std::size_t d = 0; d < n; ++d)
      if (mask[d]) per_group *= grid[d];
    std::int64_t levels = 1, per_task = fan_in;
    while (per_task < per_group &&
           static_cast<std::int64_t>(out_count) * ((per_group + per_task - 1) / per_task) >
               max_grid_tasks) {
      ++levels;
      per_task *= fan_in;
    }
    const Key chunks_key = "array-chunks" + low.suffix;
    low.graph.add(chunks_key, lists_value(chunks_));
    check_memory(chunk_shape(), 0, static_cast<std::uint64_t>(levels) + 1);
    shape_type position(n, 0);
    for (std::size_t g = 0; g < out_count; ++g) {
      // position: the result chunk's grid position (C order over the kept dimensions).
      auto rest = g;
      for (std::size_t d = n; d-- > 0;) {
        if (mask[d]) continue;
        position[d] = static_cast<std::int64_t>(rest % static_cast<std::size_t>(grid[d]));
        rest /= static_cast<std::size_t>(grid[d]);
      }
      group_counts[g] = result_count_of(position);
      for (std::int64_t first = 0; first < per_group; first += per_task) {
        Key key = name + "-grid-" + std::to_string(g) + "-" + std::to_string(first) + low.suffix;
        low.graph.add(key, Task{tasks.reduce_grid,
                                {Arg::ref(low.plan_key), Arg::ref(chunks_key),
                                 shape_value(mask_value), Value(op_value), shape_value(position),
                                 Value(first), Value(std::min(per_task, per_group - first)),
                                 Value(levels)}});
        groups[g].push_back(std::move(key));
      }
    }
  } else {
    check_task_count(chunks_, chunk_count());
    bool checked = false;
    std::size_t k = 0;
    for_each_chunk_box(chunks_, [&](const chunk_box& box) {
      const auto& [start, count, position] = box;
      std::uint64_t inputs = 0;
      auto windows = windows_for(*this, start, count, &inputs);
      if (!checked) {
        checked = true;
        check_memory(count, inputs, 1);
      }
      const auto linear = linear_of(position);
      group_counts[linear] = result_count_of(position);
      Key key = name + "-part-" + std::to_string(k++) + low.suffix;
      low.graph.add(key, Task{tasks.reduce_axes,
                              {Arg::ref(low.plan_key), shape_value(start), shape_value(count),
                               std::move(windows), shape_value(mask_value), Value(op_value)}});
      groups[linear].push_back(std::move(key));
    });
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    shape_type part_shape;  // as reduce_axes makes it: every dimension, reduced ones 1
    std::size_t kept = 0;
    for (std::size_t d = 0; d < n; ++d) {
      if (mask[d]) {
        part_shape.push_back(1);
        if (keepdims) ++kept;
      } else {
        part_shape.push_back(group_counts[g][kept++]);
      }
    }
    auto shape = group_counts[g];
    if (moments) {
      part_shape.push_back(3);
      shape.push_back(3);
    }
    auto key = combine_tree(low.graph, std::move(groups[g]), op_value, shape, part_shape,
                            name + "-combine-" + std::to_string(g) + low.suffix);
    if (moments) {
      Key finished = name + "-finish-" + std::to_string(g) + low.suffix +
                     suffix(tokenize("ddof", {Value(ddof), Value(root)}));
      low.graph.add(finished, Task{tasks.finish_moments, {Arg::ref(key), Value(ddof), Value(root)}});
      key = std::move(finished);
    }
    out->keys.push_back(std::move(key));
  }
  out->graph = std::move(low.graph);
  return over(std::move(out));
}

Array Array::sum(const std::vector<std::int64_t>& axes, bool keepdims) const {
  // Integers add as integers: a partial sum that a float64 could round is an error.
  const bool integers = dtype() == dtype::int64 || dtype() == dtype::boolean;
  return reduce(axes, integers ? kernels::reduction::exact_sum : kernels::reduction::sum, keepdims)
      .astype(sum_of(dtype()));
}
Array Array::mean(const std::vector<std::int64_t>& axes, bool keepdims) const {
  const auto mask = axis_mask(axes, shape_.size());
  double count = 1;
  for (std::size_t d = 0; d < shape_.size(); ++d)
    if (mask[d]) count *= static_cast<double>(shape_[d]);
  // (Of nothing: 0 / 0, NaN, as numpy's mean.)
  return (reduce(axes, kernels::reduction::sum, keepdims) / count).astype(float_of(dtype()));
}
Array Array::min(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::min, keepdims).astype(dtype());
}
Array Array::max(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::max, keepdims).astype(dtype());
}
Array Array::prod(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::prod, keepdims).astype(sum_of(dtype()));
}
Array Array::var(const std::vector<std::int64_t>& axes, double ddof, bool keepdims) const {
  return reduce(axes, kernels::reduction::moments, keepdims, ddof, false).astype(float_of(dtype()));
}
Array Array::stddev(const std::vector<std::int64_t>& axes, double ddof, bool keepdims) const {
  return reduce(axes, kernels::reduction::moments, keepdims, ddof, true).astype(float_of(dtype()));
}

Scalar Array::sum() const { return Scalar(sum(all_axes(ndim()))); }
Scalar Array::mean() const { return Scalar(mean(all_axes(ndim()))); }
Scalar Array::min() const { return Scalar(min(all_axes(ndim()))); }
Scalar Array::max() const { return Scalar(max(all_axes(ndim()))); }
Scalar Array::prod() const { return Scalar(prod(all_axes(ndim()))); }
Scalar Array::var_all(double ddof, bool root) const {
  return Scalar(root ? stddev(all_axes(ndim()), ddof) : var(all_axes(ndim()), ddof));
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

namespace linalg {
Scalar norm(const Array& x) { return Scalar(sqrt(Array(x * x).sum(all_axes(x.ndim())))); }
}  // namespace linalg

}  // namespace troupe::array
