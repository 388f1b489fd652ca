#include "collections/array_graph.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "collections/array_memory.hpp"
#include "core/config.hpp"
#include "core/tokenize.hpp"
#include "kernels/array_tasks.hpp"

namespace troupe::array::detail {

using kernels::plan_node;
using kernels::plan_op;

std::string shape_text(const shape_type& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

namespace {

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

}  // namespace

/// The chunk lists for `shape`: given extents or lists checked, or "auto" near-square chunks
/// of about the configured bytes.
chunk_lists chunk_layout(const shape_type& shape, const chunks& c, dtype type) {
  std::int64_t bytes = 8;
  for (auto extent : shape) {
    if (extent < 0) throw ArgumentError("array shape " + shape_text(shape) + " has a negative extent");
    if (__builtin_mul_overflow(bytes, extent, &bytes))
      throw ArgumentError("array shape " + shape_text(shape) +
                          " has more elements than a 64-bit byte count can hold");
  }
  if (c.given_lists) {
    if (c.lists.size() != shape.size())
      throw ArgumentError(std::to_string(c.lists.size()) + " chunk lists for the " +
                          std::to_string(shape.size()) + " dimensions of shape " +
                          shape_text(shape));
    for (std::size_t d = 0; d < shape.size(); ++d) {
      std::int64_t total = 0;
      for (auto extent : c.lists[d]) {
        if (extent <= 0)
          throw ArgumentError("chunk list " + shape_text(c.lists[d]) + " of dimension " +
                              std::to_string(d) + ": every chunk extent must be at least 1");
        total += extent;
      }
      if (total != shape[d])
        throw ArgumentError("chunk list " + shape_text(c.lists[d]) + " of dimension " +
                            std::to_string(d) + " adds up to " + std::to_string(total) +
                            ", not its length " + std::to_string(shape[d]));
    }
    return c.lists;
  }
  if (!c.extents.empty()) {
    if (c.extents.size() != shape.size())
      throw ArgumentError("chunks " + shape_text(c.extents) + " do not match the " +
                          std::to_string(shape.size()) + " dimensions of shape " +
                          shape_text(shape));
    for (auto extent : c.extents)
      if (extent <= 0)
        throw ArgumentError("chunks " + shape_text(c.extents) +
                            ": every chunk extent must be at least 1");
    return regular_chunks(shape, c.extents);
  }
  // auto: the same extent along every dimension (clipped to the shape), as large as fits.
  const double elements =
      static_cast<double>(configured_chunk_bytes()) / static_cast<double>(item_size(type));
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
  return regular_chunks(shape, out);
}

chunk_lists regular_chunks(const shape_type& shape, const shape_type& extent) {
  chunk_lists lists(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const auto step = std::max<std::int64_t>(extent[d], 1);
    // The lists hold every chunk's extent: past this they alone would take gigabytes.
    if (shape[d] / step >= max_chunks_along)
      throw ArgumentError("chunks of " + std::to_string(step) + " along dimension " +
                          std::to_string(d) + " of length " + std::to_string(shape[d]) +
                          " make more than " + std::to_string(max_chunks_along) +
                          " chunks: use larger chunks, such as " +
                          std::to_string(shape[d] / (max_chunks_along / 16)));
    for (std::int64_t at = 0; at < shape[d]; at += step)
      lists[d].push_back(std::min(step, shape[d] - at));
  }
  return lists;
}

shape_type grid_of(const chunk_lists& lists) {
  shape_type grid;
  for (const auto& list : lists) grid.push_back(static_cast<std::int64_t>(list.size()));
  return grid;
}

shape_type largest_chunk(const chunk_lists& lists) {
  shape_type out;
  for (const auto& list : lists)
    out.push_back(list.empty() ? 1 : *std::max_element(list.begin(), list.end()));
  return out;
}

std::vector<shape_type> chunk_offsets(const chunk_lists& lists) {
  std::vector<shape_type> offsets;
  for (const auto& list : lists) {
    shape_type at{0};
    for (auto extent : list) at.push_back(at.back() + extent);
    offsets.push_back(std::move(at));
  }
  return offsets;
}

void check_task_count(const chunk_lists& lists, std::int64_t tasks) {
  if (tasks <= max_chunks) return;
  const auto n = lists.size();
  const double scale = std::pow(static_cast<double>(tasks) / static_cast<double>(max_chunks),
                                1.0 / static_cast<double>(std::max<std::size_t>(n, 1)));
  const auto offsets = chunk_offsets(lists);
  const auto chunk = largest_chunk(lists);
  shape_type shape(n), larger(n);
  for (std::size_t d = 0; d < n; ++d) {
    shape[d] = offsets[d].back();
    larger[d] = std::min(shape[d], static_cast<std::int64_t>(
                                       std::ceil(static_cast<double>(chunk[d]) * scale * 1.01)));
  }
  throw ArgumentError("an array of shape " + shape_text(shape) + " in chunks of " +
                      shape_text(chunk) + " makes " + std::to_string(tasks) +
                      " tasks, more than the " + std::to_string(max_chunks) +
                      " troupe makes for one operation: use larger chunks, such as " +
                      shape_text(larger));
}

namespace {

std::int64_t chunk_count_of(const chunk_lists& lists) {
  std::int64_t count = 1;
  for (const auto& list : lists)
    if (__builtin_mul_overflow(count, static_cast<std::int64_t>(list.size()), &count))
      return std::numeric_limits<std::int64_t>::max();
  return count;
}

}  // namespace

void for_each_chunk_box(const chunk_lists& lists, const std::function<void(const chunk_box&)>& f) {
  const auto n = lists.size();
  const auto grid = grid_of(lists);
  if (chunk_count_of(lists) == 0) return;
  const auto offsets = chunk_offsets(lists);
  chunk_box box{shape_type(n), shape_type(n), shape_type(n, 0)};
  while (true) {
    for (std::size_t d = 0; d < n; ++d) {
      box.start[d] = offsets[d][static_cast<std::size_t>(box.position[d])];
      box.count[d] = lists[d][static_cast<std::size_t>(box.position[d])];
    }
    f(box);
    std::size_t d = n;
    while (d > 0) {
      --d;
      if (++box.position[d] < grid[d]) break;
      box.position[d] = 0;
      if (d == 0) return;
    }
    if (n == 0) return;
  }
}

/// The chunks in C order of the grid: each box's start, count and grid position.
std::vector<chunk_box> chunk_boxes(const chunk_lists& lists) {
  // Every chunk's task is made before the run, at about 3 KiB each: past max_chunks that
  // alone would take gigabytes.
  const auto count = chunk_count_of(lists);
  check_task_count(lists, count);
  std::vector<chunk_box> boxes;
  boxes.reserve(static_cast<std::size_t>(count));
  for_each_chunk_box(lists, [&](const chunk_box& box) { boxes.push_back(box); });
  return boxes;
}

Value shape_value(const shape_type& s) { return make_value(shape_type(s)); }

}  // namespace troupe::array::detail

namespace troupe::array {

const std::vector<shape_type>& chunked_source::offsets() const {
  std::call_once(offsets_made_, [&] { offsets_ = detail::chunk_offsets(chunks); });
  return offsets_;
}

}  // namespace troupe::array

namespace troupe::array::detail {

Value lists_value(const chunk_lists& lists) { return make_value(kernels::encode_chunk_grid(lists)); }

/// The key's token part ("-<hash>"), for keys derived from one token.
std::string suffix(const Key& token) { return token.substr(token.find('-')); }

Array generated(plan_node node, const chunks& c) {
  auto lists = chunk_layout(node.shape, c, node.type);
  auto plan = std::make_shared<kernels::array_plan>();
  plan->nodes.push_back(std::move(node));
  return Array(std::move(plan), {}, std::move(lists));
}

Array over(std::shared_ptr<const chunked_source> source) {
  plan_node node;
  node.op = plan_op::data;
  node.shape = source->shape;
  node.type = source->type;
  node.data = 0;
  auto plan = std::make_shared<kernels::array_plan>();
  plan->nodes.push_back(std::move(node));
  auto lists = source->chunks;
  return Array(std::move(plan), {std::move(source)}, std::move(lists));
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
                std::uint64_t* input_bytes) {
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
    // The chunks that cover [lo, lo + extent) along each dimension, and where they start.
    const auto& offsets = source.offsets();
    const auto grid = grid_of(source.chunks);
    shape_type origins;
    std::vector<Arg> parts;
    std::uint64_t chunk_elements = 0;
    if (!empty) {
      for (std::size_t d = 0; d < dims; ++d) {
        const auto& at = offsets[d];
        // The last chunk starting at or before lo, and the last starting before lo + extent.
        first_chunk[d] = std::upper_bound(at.begin(), at.end() - 1, lo[d]) - at.begin() - 1;
        const auto last = std::upper_bound(at.begin(), at.end() - 1, lo[d] + extent[d] - 1) -
                          at.begin() - 1;
        chunk_span[d] = last - first_chunk[d] + 1;
      }
      shape_type j(dims, 0);
      while (true) {
        std::int64_t linear = 0;
        std::uint64_t elements = 1;
        for (std::size_t d = 0; d < dims; ++d) {
          const auto k = static_cast<std::size_t>(first_chunk[d] + j[d]);
          origins.push_back(offsets[d][k]);
          elements *= static_cast<std::uint64_t>(source.chunks[d][k]);
          linear = linear * grid[d] + first_chunk[d] + j[d];
        }
        chunk_elements += elements;
        parts.push_back(Arg::ref(source.keys[static_cast<std::size_t>(linear)]));
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
    if (input_bytes != nullptr) *input_bytes += chunk_elements * 8;
    // The window is assembled (a copy) unless it is one whole chunk.
    const bool one_whole_chunk = parts.size() == 1 && [&] {
      for (std::size_t d = 0; d < dims; ++d)
        if (origins[d] != lo[d] ||
            extent[d] != source.chunks[d][static_cast<std::size_t>(first_chunk[d])])
          return false;
      return true;
    }();
    if (input_bytes != nullptr && !one_whole_chunk) *input_bytes += elements_of(extent) * 8;
    windows[static_cast<std::size_t>(n.data)] =
        Arg::list({shape_value(lo), shape_value(extent), shape_value(origins),
                   Arg::list(std::move(parts))});
  }
  return Arg::list(std::move(windows));
}

/// The array as chunks of extents `chunk` made by tasks: its own source when it is one
/// already, else one eval task per chunk.
std::shared_ptr<const chunked_source> materialize(const Array& a, const chunk_lists& chunks) {
  const auto& plan = a.plan();
  if (plan.nodes.size() == 1 && plan.root().op == plan_op::data &&
      a.sources().front()->chunks == chunks)
    return a.sources().front();
  auto low = start_lowering(a);
  auto out = std::make_shared<chunked_source>();
  out->shape = a.shape();
  out->chunks = chunks;
  out->type = a.dtype();
  const auto& tasks = kernels::array_tasks();
  const std::string chunk_suffix = suffix(tokenize("chunks", {lists_value(chunks)}));
  // The task memory of the largest task, checked once all are made (nothing has run).
  std::uint64_t most = 0;
  shape_type most_count;
  for (auto& [start, count, position] : chunk_boxes(chunks)) {
    Key key = "array-chunk-" + std::to_string(out->keys.size()) + low.suffix + chunk_suffix;
    std::uint64_t inputs = 0;
    low.graph.add(key, Task{tasks.eval, {Arg::ref(low.plan_key), shape_value(start),
                                         shape_value(count), windows_for(a, start, count, &inputs)}});
    if (const auto bytes = elements_of(count) * 8 + inputs + tile_bytes(a); bytes > most) {
      most = bytes;
      most_count = count;
    }
    out->keys.push_back(std::move(key));
  }
  if (most > 0)
    detail::check_task_memory(most, "computing a chunk of shape " + shape_text(most_count),
                              largest_chunk(chunks));
  out->graph = std::move(low.graph);
  return out;
}

/// Folds `parts` 16 at a time with combine_arrays until one is left; the last one takes
/// `shape`. Returns its key.
Key combine_tree(Graph& graph, std::vector<Key> parts, std::int64_t op, const shape_type& shape,
                 const shape_type& part_shape, const std::string& name) {
  const auto& tasks = kernels::array_tasks();
  const auto fan = static_cast<std::size_t>(fan_in);
  for (int depth = 1;; ++depth) {
    const bool last = parts.size() <= fan;
    std::vector<Key> next;
    for (std::size_t i = 0; i < parts.size(); i += fan) {
      std::vector<Arg> group;
      for (std::size_t j = i; j < std::min(parts.size(), i + fan); ++j)
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

}  // namespace troupe::array::detail
