// The array collection's reductions (tree folds of partials, grid tasks for generated arrays
// of many chunks) and matrix products.

#include <algorithm>
#include <cmath>

#include "collections/array.hpp"
#include "collections/array_dtypes.hpp"
#include "collections/array_graph.hpp"
#include "collections/array_memory.hpp"
#include "core/tokenize.hpp"
#include "kernels/array_tasks.hpp"

namespace troupe::array {

using kernels::plan_node;
using kernels::plan_op;
using namespace detail;

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

namespace linalg {
Scalar norm(const Array& x) { return Scalar(sqrt(Array(x * x).sum(all_axes(x.ndim())))); }
}  // namespace linalg

}  // namespace troupe::array
