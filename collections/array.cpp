#include "collections/array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

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

struct chunked_source {
  shape_type shape;
  shape_type chunk;
  Graph graph;
  std::vector<Key> keys;
  /// Persisted on a cluster: the futures that keep the chunks there (the graph still holds
  /// their recipes, under the same keys, which the scheduler finds in memory).
  std::shared_ptr<const std::vector<Future<Value>>> pinned;
};

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
  std::int64_t bytes = 8;
  for (auto extent : shape) {
    if (extent < 0) throw ArgumentError("array shape " + shape_text(shape) + " has a negative extent");
    if (__builtin_mul_overflow(bytes, extent, &bytes))
      throw ArgumentError("array shape " + shape_text(shape) +
                          " has more elements than a 64-bit byte count can hold");
  }
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

/// The most chunk tasks one array operation makes (tasks are made before the run).
constexpr std::int64_t max_chunks = 2'000'000;

/// The chunk grid's extents.
shape_type grid_of(const shape_type& shape, const shape_type& chunk) {
  shape_type grid(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d)
    grid[d] = chunk[d] > 0 ? (shape[d] + chunk[d] - 1) / chunk[d] : 0;
  return grid;
}

/// The chunks of `shape` (chunk extents `chunk`), in C order of the grid: each box's start and
/// count (none when an extent is 0; one, of no dimensions, for a 0-d array).
std::vector<std::pair<shape_type, shape_type>> chunk_boxes(const shape_type& shape,
                                                           const shape_type& chunk) {
  std::vector<std::pair<shape_type, shape_type>> boxes;
  const auto n = shape.size();
  // Every chunk's task is made before the run (not yet as the scheduler needs them), at about
  // 3 KiB each: past max_chunks that alone would take gigabytes.
  std::int64_t count = 1;
  for (auto g : grid_of(shape, chunk))
    if (__builtin_mul_overflow(count, g, &count)) count = std::numeric_limits<std::int64_t>::max();
  if (count > max_chunks) {
    const double scale = std::pow(static_cast<double>(count) / static_cast<double>(max_chunks),
                                  1.0 / static_cast<double>(std::max<std::size_t>(n, 1)));
    shape_type larger(n);
    for (std::size_t d = 0; d < n; ++d)
      larger[d] = std::min(shape[d], static_cast<std::int64_t>(
                                         std::ceil(static_cast<double>(chunk[d]) * scale * 1.01)));
    throw ArgumentError("an array of shape " + shape_text(shape) + " in chunks of " +
                        shape_text(chunk) + " makes " + std::to_string(count) +
                        " chunk tasks, more than the " + std::to_string(max_chunks) +
                        " troupe makes for one array: use larger chunks, such as " +
                        shape_text(larger));
  }
  boxes.reserve(static_cast<std::size_t>(count));
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

Value shape_value(const shape_type& s) { return make_value(shape_type(s)); }

/// The key's token part ("-<hash>"), for keys derived from one token.
std::string suffix(const Key& token) { return token.substr(token.find('-')); }

Array generated(plan_node node, const chunks& c) {
  auto chunk = chunk_extents(node.shape, c);
  auto plan = std::make_shared<kernels::array_plan>();
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), {}, std::move(chunk));
}

Array over(std::shared_ptr<const chunked_source> source) {
  plan_node node;
  node.op = plan_op::data;
  node.shape = source->shape;
  node.data = 0;
  auto plan = std::make_shared<kernels::array_plan>();
  plan->nodes.push_back(std::move(node));
  auto chunk = source->chunk;
  return Array(std::move(plan), {std::move(source)}, std::move(chunk));
}

/// The plan of `a` followed by the nodes of `b`, renumbered; returns the combined plan and
/// the index of b's root in it.
std::pair<kernels::array_plan, std::int32_t> merge(const kernels::array_plan& a,
                                                   const kernels::array_plan& b,
                                                   std::int32_t data_offset) {
  kernels::array_plan out = a;
  const auto offset = static_cast<std::int32_t>(a.nodes.size());
  for (auto node : b.nodes) {
    for (auto* operand : {&node.a, &node.b, &node.c})
      if (*operand >= 0) *operand += offset;
    if (node.data >= 0) node.data += data_offset;
    out.nodes.push_back(std::move(node));
  }
  return {std::move(out), static_cast<std::int32_t>(out.nodes.size()) - 1};
}

/// The box each node of the plan is asked for when the root is asked for `root`: every node
/// has one user (plans are trees), so the boxes are pushed down from the root.
std::vector<kernels::index_box> node_boxes(const kernels::array_plan& plan,
                                           const kernels::index_box& root) {
  std::vector<kernels::index_box> boxes(plan.nodes.size());
  std::vector<bool> reached(plan.nodes.size(), false);
  boxes.back() = root;
  reached.back() = true;
  for (std::size_t i = plan.nodes.size(); i-- > 0;) {
    if (!reached[i]) continue;
    const auto& n = plan.nodes[i];
    const auto& box = boxes[i];
    for (auto operand : {n.a, n.b, n.c})
      if (operand >= 0) reached[static_cast<std::size_t>(operand)] = true;
    if (n.op == plan_op::slice) {
      auto inner = box;
      for (std::size_t d = 0; d < box.start.size(); ++d) {
        inner.start[d] = n.starts[d] + n.steps[d] * box.start[d];
        inner.step[d] = n.steps[d] * box.step[d];
      }
      boxes[static_cast<std::size_t>(n.a)] = inner;
    } else if (n.op == plan_op::transpose) {
      auto inner = box;
      for (std::size_t d = 0; d < box.start.size(); ++d) {
        const auto axis = static_cast<std::size_t>(n.axes[d]);
        inner.start[axis] = box.start[d];
        inner.step[axis] = box.step[d];
        inner.count[axis] = box.count[d];
      }
      boxes[static_cast<std::size_t>(n.a)] = inner;
    } else if (n.op == plan_op::broadcast) {
      const auto& child = plan.nodes[static_cast<std::size_t>(n.a)];
      const auto lead = n.shape.size() - child.shape.size();
      kernels::index_box inner;
      for (std::size_t k = 0; k < child.shape.size(); ++k) {
        const bool stretched = child.shape[k] == 1;
        inner.start.push_back(stretched ? 0 : box.start[lead + k]);
        inner.step.push_back(stretched ? 1 : box.step[lead + k]);
        inner.count.push_back(stretched ? 1 : box.count[lead + k]);
      }
      boxes[static_cast<std::size_t>(n.a)] = inner;
    } else if (n.op == plan_op::squeeze) {
      const auto& child = plan.nodes[static_cast<std::size_t>(n.a)];
      kernels::index_box inner;
      std::size_t k = 0;
      for (std::size_t d = 0; d < child.shape.size(); ++d) {
        const bool dropped =
            std::find(n.axes.begin(), n.axes.end(), static_cast<std::int64_t>(d)) != n.axes.end();
        inner.start.push_back(dropped ? 0 : box.start[k]);
        inner.step.push_back(dropped ? 1 : box.step[k]);
        inner.count.push_back(dropped ? 1 : box.count[k]);
        if (!dropped) ++k;
      }
      boxes[static_cast<std::size_t>(n.a)] = inner;
    } else {
      for (auto operand : {n.a, n.b, n.c})
        if (operand >= 0) boxes[static_cast<std::size_t>(operand)] = box;
    }
  }
  return boxes;
}

void add_graph(Graph& into, const Graph& from) {
  for (const auto& [key, node] : from.nodes()) {
    if (std::holds_alternative<Value>(node))
      into.add(key, std::get<Value>(node));
    else
      into.add(key, std::get<Task>(node));
  }
}

/// What every lowering of an array shares: the graphs of its chunked sources, its plan under
/// a key of its own, and a token naming the whole.
struct lowering {
  Graph graph;
  Key plan_key;
  std::string suffix;
};

lowering start_lowering(const Array& a) {
  lowering out;
  auto plan = kernels::plan_value(a.plan());
  std::vector<Value> identity{plan};
  for (const auto& source : a.sources()) {
    identity.push_back(make_value(std::vector<std::string>(source->keys)));
    add_graph(out.graph, source->graph);
  }
  out.suffix = suffix(tokenize("array", identity));
  out.plan_key = "array-plan" + out.suffix;
  out.graph.add(out.plan_key, plan);
  return out;
}

std::uint64_t elements_of(const shape_type& extents) {
  std::uint64_t n = 1;
  for (auto e : extents) n *= static_cast<std::uint64_t>(std::max<std::int64_t>(e, 0));
  return n;
}

/// The tiles an evaluation of `a`'s plan keeps: two per node.
std::uint64_t tile_bytes(const Array& a) {
  return a.plan().nodes.size() * 2 * kernels::tile_elements * 8;
}

/// The windows argument of a task for the box (start, count) of `a`: per data node, the
/// part of its source the box reaches and the chunks that cover it.
Arg windows_for(const Array& a, const shape_type& start, const shape_type& count,
                std::uint64_t* input_bytes = nullptr) {
  const auto& plan = a.plan();
  auto boxes = node_boxes(plan, {start, shape_type(start.size(), 1), count});
  std::vector<Arg> windows(a.sources().size(), Arg::list({}));
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const auto& n = plan.nodes[i];
    if (n.op != plan_op::data) continue;
    const auto& source = *a.sources()[static_cast<std::size_t>(n.data)];
    const auto& box = boxes[i];
    const auto dims = box.count.size();
    shape_type lo(dims), extent(dims), first_chunk(dims), chunk_span(dims);
    bool empty = false;
    for (std::size_t d = 0; d < dims; ++d) {
      if (box.count[d] == 0) empty = true;
      const auto first = box.start[d], last = box.start[d] + box.step[d] * (box.count[d] - 1);
      lo[d] = std::min(first, last);
      extent[d] = empty ? 0 : std::max(first, last) - lo[d] + 1;
    }
    shape_type positions;
    std::vector<Arg> parts;
    if (!empty) {
      const auto grid = grid_of(source.shape, source.chunk);
      for (std::size_t d = 0; d < dims; ++d) {
        first_chunk[d] = lo[d] / source.chunk[d];
        chunk_span[d] = (lo[d] + extent[d] - 1) / source.chunk[d] - first_chunk[d] + 1;
      }
      shape_type j(dims, 0);
      while (true) {
        std::int64_t linear = 0;
        for (std::size_t d = 0; d < dims; ++d) {
          positions.push_back(first_chunk[d] + j[d]);
          linear = linear * grid[d] + first_chunk[d] + j[d];
        }
        parts.push_back(Arg::ref(source.keys[static_cast<std::size_t>(linear)]));
        if (input_bytes != nullptr) *input_bytes += elements_of(source.chunk) * 8;
        std::size_t d = dims;
        bool done = dims == 0;
        while (d > 0) {
          --d;
          if (++j[d] < chunk_span[d]) break;
          j[d] = 0;
          if (d == 0) done = true;
        }
        if (done) break;
      }
    }
    // The window is assembled (a copy) unless it is one whole chunk.
    const bool one_whole_chunk = parts.size() == 1 && [&] {
      for (std::size_t d = 0; d < dims; ++d)
        if (lo[d] % source.chunk[d] != 0 ||
            extent[d] != std::min(source.chunk[d], source.shape[d] - lo[d]))
          return false;
      return true;
    }();
    if (input_bytes != nullptr && !one_whole_chunk) *input_bytes += elements_of(extent) * 8;
    windows[static_cast<std::size_t>(n.data)] =
        Arg::list({shape_value(lo), shape_value(extent), shape_value(source.chunk),
                   shape_value(positions), Arg::list(std::move(parts))});
  }
  return Arg::list(std::move(windows));
}

/// The array as chunks of extents `chunk` made by tasks: its own source when it is one
/// already, else one eval task per chunk.
std::shared_ptr<const chunked_source> materialize(const Array& a, const shape_type& chunk) {
  const auto& plan = a.plan();
  if (plan.nodes.size() == 1 && plan.root().op == plan_op::data &&
      a.sources().front()->chunk == chunk)
    return a.sources().front();
  auto low = start_lowering(a);
  auto out = std::make_shared<chunked_source>();
  out->shape = a.shape();
  out->chunk = chunk;
  const auto& tasks = kernels::array_tasks();
  const std::string chunk_suffix = suffix(tokenize("chunks", {shape_value(chunk)}));
  for (auto& [start, count] : chunk_boxes(a.shape(), chunk)) {
    Key key = "array-chunk-" + std::to_string(out->keys.size()) + low.suffix + chunk_suffix;
    std::uint64_t inputs = 0;
    low.graph.add(key, Task{tasks.eval, {Arg::ref(low.plan_key), shape_value(start),
                                         shape_value(count), windows_for(a, start, count, &inputs)}});
    if (out->keys.empty())  // the first chunk is a whole one: the largest task
      detail::check_task_memory(elements_of(count) * 8 + inputs + tile_bytes(a),
                                "computing a chunk of shape " + shape_text(count), chunk);
    out->keys.push_back(std::move(key));
  }
  out->graph = std::move(low.graph);
  return out;
}

/// Folds `parts` 16 at a time with combine_arrays until one is left; the last one takes
/// `shape`. Returns its key.
Key combine_tree(Graph& graph, std::vector<Key> parts, std::int64_t op, const shape_type& shape,
                 const shape_type& part_shape, const std::string& name) {
  constexpr std::size_t fan_in = 16;
  const auto& tasks = kernels::array_tasks();
  for (int depth = 1;; ++depth) {
    const bool last = parts.size() <= fan_in;
    std::vector<Key> next;
    for (std::size_t i = 0; i < parts.size(); i += fan_in) {
      std::vector<Arg> group;
      for (std::size_t j = i; j < std::min(parts.size(), i + fan_in); ++j)
        group.push_back(Arg::ref(parts[j]));
      Key key = name + "-" + std::to_string(depth) + "-" + std::to_string(next.size());
      graph.add(key, Task{tasks.combine_arrays, {Value(op), Arg::list(std::move(group)),
                                                 shape_value(last ? shape : part_shape)}});
      next.push_back(std::move(key));
    }
    if (last) return next.front();
    parts = std::move(next);
  }
}

/// The dimensions `axes` names, each once (negative counts from the end).
std::vector<bool> axis_mask(const std::vector<std::int64_t>& axes, std::size_t ndim) {
  std::vector<bool> mask(ndim, false);
  for (auto axis : axes) {
    const auto a = axis < 0 ? axis + static_cast<std::int64_t>(ndim) : axis;
    if (a < 0 || a >= static_cast<std::int64_t>(ndim))
      throw ArgumentError("axis " + std::to_string(axis) + " is out of range for a " +
                          std::to_string(ndim) + "-d array");
    if (mask[static_cast<std::size_t>(a)])
      throw ArgumentError("axis " + std::to_string(axis) + " is given twice");
    mask[static_cast<std::size_t>(a)] = true;
  }
  return mask;
}

std::vector<std::int64_t> all_axes(std::size_t ndim) {
  std::vector<std::int64_t> axes(ndim);
  for (std::size_t d = 0; d < ndim; ++d) axes[d] = static_cast<std::int64_t>(d);
  return axes;
}

}  // namespace

chunks::chunks(const char* text) {
  if (std::string(text) != "auto")
    throw ArgumentError(std::string("chunks \"") + text +
                        "\": give \"auto\" or the chunk extents, such as {1000, 1000}");
}

Array::Array(std::shared_ptr<const kernels::array_plan> plan,
             std::vector<std::shared_ptr<const chunked_source>> sources, shape_type chunk)
    : plan_(std::move(plan)), sources_(std::move(sources)), shape_(plan_->root().shape),
      chunk_(std::move(chunk)) {}

std::int64_t Array::size() const noexcept {
  std::int64_t n = 1;
  for (auto extent : shape_) n *= extent;
  return n;
}

std::int64_t Array::chunk_count() const noexcept {
  std::int64_t n = 1;
  for (auto g : grid_of(shape_, chunk_)) n *= g;
  return n;
}

std::string Array::describe() const {
  std::int64_t chunk_elements = 1;
  for (auto c : chunk_) chunk_elements *= c;
  std::ostringstream out;
  out << "troupe.array<float64, shape=" << shape_text(shape_)
      << ", bytes=" << format_bytes(static_cast<double>(nbytes())) << ", chunks=" << shape_text(chunk_)
      << " (" << format_bytes(static_cast<double>(chunk_elements) * 8) << " each), "
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
  return Array(std::move(plan), sources_, chunk_);
}

namespace {

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

/// The chunk extents of a result of `shape` made from operands with these shapes and chunks:
/// along each dimension, those of the first operand that spans it.
shape_type broadcast_chunks(const shape_type& shape,
                            const std::vector<std::pair<shape_type, shape_type>>& operands) {
  shape_type out(shape.size(), 1);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out[i] = std::max<std::int64_t>(shape[i], 1);
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
  node.a = static_cast<std::int32_t>(plan->nodes.size()) - 1;
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), sources_,
               chunk_extents(shape, broadcast_chunks(shape, {{shape_, chunk_}})));
}

Array Array::binary(plan_op op, const Array& other, const char* verb) const {
  const auto shape = broadcast_shape(shape_, other.shape_, verb);
  const auto chunk = broadcast_chunks(shape, {{shape_, chunk_}, {other.shape_, other.chunk_}});
  const Array left = broadcast_to(shape), right_operand = other.broadcast_to(shape);
  auto [merged, right] =
      merge(*left.plan_, *right_operand.plan_, static_cast<std::int32_t>(left.sources_.size()));
  plan_node node;
  node.op = op;
  node.shape = shape;
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
Array Array::operator+(double x) const { return unary(plan_op::add_scalar, x); }
Array Array::operator-(double x) const { return unary(plan_op::add_scalar, -x); }
Array Array::operator*(double x) const { return unary(plan_op::multiply_scalar, x); }
Array Array::operator/(double x) const { return unary(plan_op::divide_scalar, x); }
Array Array::operator>(double x) const { return unary(plan_op::greater_scalar, x); }
Array Array::operator<(double x) const { return unary(plan_op::less_scalar, x); }
Array Array::operator-() const { return unary(plan_op::negate); }
Array operator-(double x, const Array& a) { return a.unary(plan_op::subtract_from_scalar, x); }
Array operator/(double x, const Array& a) { return a.unary(plan_op::divide_into_scalar, x); }

Array abs(const Array& x) { return x.unary(plan_op::absolute); }
Array sqrt(const Array& x) { return x.unary(plan_op::square_root); }
Array exp(const Array& x) { return x.unary(plan_op::exponential); }
Array log(const Array& x) { return x.unary(plan_op::logarithm); }

Array where(const Array& condition_in, const Array& a_in, const Array& b_in) {
  const auto shape = broadcast_shape(broadcast_shape(condition_in.shape(), a_in.shape(), "choose with"),
                                     b_in.shape(), "choose with");
  const auto chunk = broadcast_chunks(shape, {{a_in.shape(), a_in.chunk_shape()},
                                              {b_in.shape(), b_in.chunk_shape()},
                                              {condition_in.shape(), condition_in.chunk_shape()}});
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
  return Array(std::move(plan), sources_, std::move(chunk));
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
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  node.axes = order;
  shape_type chunk(n);
  for (std::size_t d = 0; d < n; ++d) {
    node.shape.push_back(shape_[static_cast<std::size_t>(order[d])]);
    chunk[d] = chunk_[static_cast<std::size_t>(order[d])];
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
  node.a = static_cast<std::int32_t>(plan_->nodes.size()) - 1;
  node.axes = drop;
  shape_type chunk;
  for (std::size_t d = 0; d < shape_.size(); ++d) {
    if (std::find(drop.begin(), drop.end(), static_cast<std::int64_t>(d)) != drop.end()) continue;
    node.shape.push_back(shape_[d]);
    chunk.push_back(chunk_[d]);
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
  return Array(plan_, sources_, chunk_extents(shape_, c));
}

Array Array::map_blocks(const std::string& function) const {
  auto f = find_function(function);
  if (!f)
    throw ArgumentError("map_blocks: no function is registered as '" + function +
                        "' (register it with TROUPE_FUNCTION; it takes and returns a "
                        "troupe::ndarray of the same shape)");
  auto source = materialize(*this, chunk_);
  auto out = std::make_shared<chunked_source>();
  out->shape = shape_;
  out->chunk = chunk_;
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
  auto source = materialize(*this, chunk_);
  auto out = std::make_shared<chunked_source>();
  out->shape = shape_;
  out->chunk = chunk_;
  out->keys = source->keys;
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
  auto source = materialize(*this, chunk_);
  Graph graph;
  add_graph(graph, source->graph);
  const auto& tasks = kernels::array_tasks();
  const auto token = suffix(tokenize("store", {Value(path), make_value(source->keys)}));
  std::vector<Arg> written;
  std::size_t i = 0;
  for (auto& [start, count] : chunk_boxes(shape_, chunk_)) {
    Key key = "array-store-" + std::to_string(i) + token;
    graph.add(key, Task{tasks.store_chunk, {Value(path), shape_value(shape_), shape_value(start),
                                            Arg::ref(source->keys[i])}});
    written.push_back(Arg::ref(key));
    ++i;
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
    if (left_vector && right_vector) return (*this * other).sum(all_axes(1));
    if (right_vector) return (*this * other).sum({1});
    return (broadcast_to({1, shape_[0]}).transpose() * other).sum({0});
  }
  if (ndim() != 2 || other.ndim() != 2 || shape_[1] != other.shape_[0])
    throw ArgumentError("dot: shapes " + shape_text(shape_) + " and " + shape_text(other.shape_) +
                        " do not make a product (1-d or 2-d arrays whose inner extents are equal)");
  const shape_type a_chunk{chunk_[0], chunk_[1]}, b_chunk{chunk_[1], other.chunk_[1]};
  const shape_type out_chunk{chunk_[0], other.chunk_[1]};
  if (shape_[1] == 0) return zeros({shape_[0], other.shape_[1]}, out_chunk);
  detail::check_task_memory(
      (elements_of(a_chunk) + elements_of(b_chunk) + elements_of(out_chunk)) * 8,
      "a block product of " + shape_text(a_chunk) + " by " + shape_text(b_chunk), out_chunk);
  auto a = materialize(*this, a_chunk);
  auto b = materialize(other, b_chunk);
  auto out = std::make_shared<chunked_source>();
  out->shape = {shape_[0], other.shape_[1]};
  out->chunk = out_chunk;
  add_graph(out->graph, a->graph);
  add_graph(out->graph, b->graph);
  const auto ga = grid_of(shape_, a_chunk), gb = grid_of(other.shape_, b_chunk);
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
      const shape_type block{std::min(out_chunk[0], out->shape[0] - i * out_chunk[0]),
                             std::min(out_chunk[1], out->shape[1] - j * out_chunk[1])};
      out->keys.push_back(combine_tree(out->graph, std::move(products),
                                       static_cast<std::int64_t>(kernels::reduction::sum), block,
                                       block,
                                       "array-dot-" + std::to_string(i) + "-" + std::to_string(j) +
                                           token));
    }
  }
  return over(std::move(out));
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
  shape_type out_shape, out_chunk;
  for (std::size_t d = 0; d < n; ++d) {
    if (mask[d] && !keepdims) continue;
    out_shape.push_back(mask[d] ? 1 : shape_[d]);
    out_chunk.push_back(mask[d] ? 1 : chunk_[d]);
  }
  auto out = std::make_shared<chunked_source>();
  out->shape = out_shape;
  out->chunk = out_chunk;
  for (auto& c : out->chunk) c = std::max<std::int64_t>(c, 1);
  const auto op_value = static_cast<std::int64_t>(op);
  shape_type mask_value(mask.begin(), mask.end());
  // An empty reduced extent (sum of nothing) has no chunk to fold: the result is the
  // identity, made as a constant.
  bool no_input = false;
  for (auto extent : shape_)
    if (extent == 0) no_input = true;
  if (no_input) {
    if (moments) throw ArgumentError("var and std of an empty array " + shape_text(shape_));
    const double identity = op == kernels::reduction::prod ? 1.0 : 0.0;
    return full(out_shape, identity, out->chunk);
  }
  auto low = start_lowering(*this);
  const auto& tasks = kernels::array_tasks();
  const auto grid = grid_of(shape_, chunk_);
  shape_type out_grid;
  for (std::size_t d = 0; d < n; ++d)
    if (!mask[d] || keepdims) out_grid.push_back(mask[d] ? 1 : grid[d]);
  std::size_t out_chunks = 1;
  for (auto g : out_grid) out_chunks *= static_cast<std::size_t>(g);
  std::vector<std::vector<Key>> groups(out_chunks);
  std::vector<shape_type> group_counts(out_chunks);
  const std::string name = "array-" + std::to_string(op_value) + "-" +
                           std::to_string(keepdims) + suffix(tokenize("axes", {make_value(mask_value)}));
  std::size_t k = 0;
  for (auto& [start, count] : chunk_boxes(shape_, chunk_)) {
    Key key = name + "-part-" + std::to_string(k) + low.suffix;
    std::uint64_t inputs = 0;
    low.graph.add(key, Task{tasks.reduce_axes,
                            {Arg::ref(low.plan_key), shape_value(start), shape_value(count),
                             windows_for(*this, start, count, &inputs), shape_value(mask_value),
                             Value(op_value)}});
    if (k++ == 0) {
      shape_type partial = count;
      for (std::size_t d = 0; d < n; ++d)
        if (mask[d]) partial[d] = 1;
      detail::check_task_memory(elements_of(partial) * (moments ? 24 : 8) + inputs + tile_bytes(*this),
                                "reducing a chunk of shape " + shape_text(count), chunk_);
    }
    // Its result chunk: the grid position without the reduced dimensions.
    std::size_t linear = 0;
    shape_type result_count;
    for (std::size_t d = 0; d < n; ++d) {
      if (mask[d] && !keepdims) continue;
      const auto position = mask[d] ? 0 : start[d] / chunk_[d];
      linear = linear * static_cast<std::size_t>(mask[d] ? 1 : grid[d]) +
               static_cast<std::size_t>(position);
      result_count.push_back(mask[d] ? 1 : count[d]);
    }
    groups[linear].push_back(std::move(key));
    group_counts[linear] = std::move(result_count);
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
  return reduce(axes, kernels::reduction::sum, keepdims);
}
Array Array::mean(const std::vector<std::int64_t>& axes, bool keepdims) const {
  const auto mask = axis_mask(axes, shape_.size());
  double count = 1;
  for (std::size_t d = 0; d < shape_.size(); ++d)
    if (mask[d]) count *= static_cast<double>(shape_[d]);
  if (count == 0) throw ArgumentError("mean of an empty array " + shape_text(shape_));
  return reduce(axes, kernels::reduction::sum, keepdims) / count;
}
Array Array::min(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::min, keepdims);
}
Array Array::max(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::max, keepdims);
}
Array Array::prod(const std::vector<std::int64_t>& axes, bool keepdims) const {
  return reduce(axes, kernels::reduction::prod, keepdims);
}
Array Array::var(const std::vector<std::int64_t>& axes, double ddof, bool keepdims) const {
  return reduce(axes, kernels::reduction::moments, keepdims, ddof, false);
}
Array Array::stddev(const std::vector<std::int64_t>& axes, double ddof, bool keepdims) const {
  return reduce(axes, kernels::reduction::moments, keepdims, ddof, true);
}

Scalar Array::sum() const { return Scalar(sum(all_axes(ndim()))); }
Scalar Array::mean() const { return Scalar(mean(all_axes(ndim()))); }
Scalar Array::min() const { return Scalar(min(all_axes(ndim()))); }
Scalar Array::max() const { return Scalar(max(all_axes(ndim()))); }
Scalar Array::prod() const { return Scalar(prod(all_axes(ndim()))); }
Scalar Array::var(double ddof) const { return Scalar(var(all_axes(ndim()), ddof)); }
Scalar Array::stddev(double ddof) const { return Scalar(stddev(all_axes(ndim()), ddof)); }

ndarray Array::compute(const compute_options& options) const {
  // The task that joins the chunks holds them and the whole result.
  const auto whole = 2 * static_cast<std::uint64_t>(nbytes());
  if (whole > detail::task_memory_limit())
    throw ArgumentError("compute() joins the whole array of shape " + shape_text(shape_) + " (" +
                        format_bytes(static_cast<double>(nbytes())) +
                        ") in one task, more than a task may use (" +
                        format_bytes(static_cast<double>(detail::task_memory_limit())) +
                        "): reduce it, slice it, or store() it to a file");
  auto source = materialize(*this, chunk_);
  Graph graph;
  add_graph(graph, source->graph);
  std::vector<Arg> parts;
  for (const auto& key : source->keys) parts.push_back(Arg::ref(key));
  Key result = "array-result" + suffix(tokenize("concatenate", {make_value(source->keys)}));
  graph.add(result, Task{kernels::array_tasks().concatenate,
                         {shape_value(shape_), shape_value(chunk_), Arg::list(std::move(parts))}});
  return get(graph, {result}, options).front().get<ndarray>();
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

double Scalar::compute(const compute_options& options) const {
  return array_.compute(options).data<double>()[0];
}

namespace linalg {
Scalar norm(const Array& x) { return Scalar(sqrt(Array(x * x).sum(all_axes(x.ndim())))); }
}  // namespace linalg

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
