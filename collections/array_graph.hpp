#pragma once
// How the array collection turns plans into task graphs (collections/array.hpp's own
// machinery; nothing here is for users): chunk grids, the boxes a plan's nodes are asked for,
// the windows of chunked sources a task reads, materialised chunks and combine trees.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "collections/array.hpp"
#include "collections/future.hpp"
#include "core/graph.hpp"
#include "kernels/array_plan.hpp"
#include "kernels/array_tasks.hpp"

namespace troupe::array {

/// Chunks made by tasks: `keys` (C order of the grid `chunks` lays out) under `graph`.
struct chunked_source {
  shape_type shape;
  chunk_lists chunks;
  dtype type = dtype::float64;
  Graph graph;
  std::vector<Key> keys;
  /// Persisted on a cluster: the futures that keep the chunks there (the graph still holds
  /// their recipes, under the same keys, which the scheduler finds in memory).
  std::shared_ptr<const std::vector<Future<Value>>> pinned;

  /// Where each chunk starts along each dimension, and the end (made on first use, once:
  /// every task reading this source looks its chunks up there).
  const std::vector<shape_type>& offsets() const;

 private:
  mutable std::once_flag offsets_made_;
  mutable std::vector<shape_type> offsets_;
};

namespace detail {

/// The most chunk tasks one array operation makes (tasks are made before the run).
inline constexpr std::int64_t max_chunks = 2'000'000;
/// The most chunks along one dimension.
inline constexpr std::int64_t max_chunks_along = std::int64_t{1} << 24;
/// Partials a combine task folds.
inline constexpr std::int64_t fan_in = kernels::array_fan_in;
/// Chunk counts past which a reduction of a generated array makes tasks that each reduce a
/// run of fan_in^levels chunks (troupe.array.reduce_grid) ...
inline constexpr std::int64_t grouped_from = 16'384;
/// ... with levels chosen so that it makes at most this many such tasks, whatever the
/// chunk count.
inline constexpr std::int64_t max_grid_tasks = 4'096;

/// "(3, 4)", "(5,)", "()".
std::string shape_text(const shape_type& shape);
/// The chunk lists for `shape`: given extents or lists checked, or "auto" (array.chunk-size
/// bytes of elements of `type`). ArgumentError for a negative extent, lists that do not add
/// up to the shape, or a shape whose bytes overflow.
chunk_lists chunk_layout(const shape_type& shape, const chunks& c, dtype type = dtype::float64);
/// Chunks of `extent` along each dimension (the last ones shorter); none along an empty one.
chunk_lists regular_chunks(const shape_type& shape, const shape_type& extent);
/// Chunks per dimension.
shape_type grid_of(const chunk_lists& lists);
/// The largest chunk extent along each dimension (1 along an empty one), as Dask's chunksize.
shape_type largest_chunk(const chunk_lists& lists);
/// Where each chunk starts along each dimension, and the dimension's end last.
std::vector<shape_type> chunk_offsets(const chunk_lists& lists);
/// A chunk grid cell: its box (start, count) and its position in the grid.
struct chunk_box {
  shape_type start, count, position;
};
/// The chunks' boxes in C order of the grid (none when a dimension is empty; one, of no
/// dimensions, for a 0-d array); ArgumentError past max_chunks.
std::vector<chunk_box> chunk_boxes(const chunk_lists& lists);
/// Calls f(box) for each chunk box in the same order, without holding them all (the caller
/// checks how many tasks it makes).
void for_each_chunk_box(const chunk_lists& lists, const std::function<void(const chunk_box&)>& f);
/// ArgumentError when an operation on an array of these chunks would make `tasks` tasks,
/// more than max_chunks.
void check_task_count(const chunk_lists& lists, std::int64_t tasks);
Value shape_value(const shape_type& s);
/// The lists as one Value (kernels::encode_chunk_grid: a regular dimension in four numbers),
/// for tokens and for the tasks that make chunk boxes themselves.
Value lists_value(const chunk_lists& lists);
/// A token's "-<hash>" part, for keys derived from it.
std::string suffix(const Key& token);
std::uint64_t elements_of(const shape_type& extents);

/// An array of one generated source node.
Array generated(kernels::plan_node node, const chunks& c);
/// An array reading a chunked source as it is.
Array over(std::shared_ptr<const chunked_source> source);
/// The plan of `a` followed by `b`'s nodes (renumbered, data indices moved by data_offset);
/// the index of b's root.
std::pair<kernels::array_plan, std::int32_t> merge(const kernels::array_plan& a,
                                                   const kernels::array_plan& b,
                                                   std::int32_t data_offset);

void add_graph(Graph& into, const Graph& from);
/// `a` as chunks laid out by `chunks`, made by tasks (its own source when it is one already).
std::shared_ptr<const chunked_source> materialize(const Array& a, const chunk_lists& chunks);
/// What every lowering of an array shares: its sources' graphs, its plan under a key of its
/// own, and a token naming the whole.
struct lowering {
  Graph graph;
  Key plan_key;
  std::string suffix;
};
lowering start_lowering(const Array& a);
/// The windows argument of a task for the box (start, count) of `a`; adds the bytes of the
/// inputs it reads to `*input_bytes` when given.
Arg windows_for(const Array& a, const shape_type& start, const shape_type& count,
                std::uint64_t* input_bytes = nullptr);
/// The tiles an evaluation of `a`'s plan keeps.
std::uint64_t tile_bytes(const Array& a);
/// Folds `parts` 16 at a time with combine_arrays until one is left (that one in `shape`).
Key combine_tree(Graph& graph, std::vector<Key> parts, std::int64_t op, const shape_type& shape,
                 const shape_type& part_shape, const std::string& name);

/// ArgumentError for an integer at or beyond +-2^53 (int64 arrays hold exact values below).
void check_exact(scalar x);

/// The dimensions `axes` names, each once (negative counts from the end).
std::vector<bool> axis_mask(const std::vector<std::int64_t>& axes, std::size_t ndim);
std::vector<std::int64_t> all_axes(std::size_t ndim);

}  // namespace detail

}  // namespace troupe::array
