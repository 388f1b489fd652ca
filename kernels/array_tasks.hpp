#pragma once
// The registered task functions that run array plans on any scheduler, and the boxing of a
// plan into a Value (its type registration lives in array_tasks.cpp alone).
//
//   troupe.array.eval(plan, start, count, windows)            -> ndarray: the root's box
//   troupe.array.reduce_axes(plan, start, count, windows, reduced, op)
//                                                             -> ndarray: folded along axes
//   troupe.array.reduce_grid(plan, chunk_grid, reduced, op, position, first, count, levels)
//                                                             -> ndarray: boxes first.. of one
//                                                                result chunk of a generated
//                                                                array, reduced and folded as
//                                                                `levels` levels of the
//                                                                combine tree
//   troupe.array.combine(op, partials)                        -> float64: partials folded
//   troupe.array.combine_arrays(op, parts, shape)             -> ndarray: parts folded
//                                                                elementwise, in `shape`
//   troupe.array.finish_moments(moments, ddof, root)          -> ndarray: variance (or std)
//   troupe.array.matmul(a, b)                                 -> ndarray: a 2-d block product
//   troupe.array.concatenate(shape, origins, chunks, dtype)   -> ndarray: chunks joined
//   troupe.array.store_chunk(path, shape, start, chunk)       -> int64: bytes written into the
//                                                                raw file of the whole array
//   troupe.array.store_grid(plan, chunk_grid, path, first, count)
//                                                             -> int64: chunks first.. (C order)
//                                                                of a generated array, made
//                                                                and written one by one
//
// Boxes have step 1 here. `windows` has one entry per data node of the plan (node.data = k):
// a list [origin, shape, origins, chunks] — the part of the node's array the box reaches,
// where each chunk given starts (flat, ndim numbers each) and those chunks, from which the
// task assembles the window. concatenate's origins are the same.

#include <string>

#include "core/function.hpp"
#include "core/value.hpp"
#include "kernels/array_plan.hpp"

namespace troupe::kernels {

/// Partials a combine task folds (and a level of reduce_grid's tree).
inline constexpr std::int64_t array_fan_in = 16;

struct array_task_functions {
  function_ref eval, reduce_axes, reduce_grid, combine, combine_arrays, finish_moments, matmul,
      concatenate, store_chunk, store_grid;
};

/// The functions (registered when this library's array tasks are linked in).
const array_task_functions& array_tasks();

/// Creates (or truncates) the raw file `path` at `bytes` bytes, for store_chunk tasks to fill;
/// troupe::error naming the path and the reason when it cannot.
void create_raw_file(const std::string& path, std::uint64_t bytes);

/// Copies the box [from, from + extent) of `source` (extents source_shape, index 0 at
/// source_origin) into `target` (target_shape, target_origin); elements of `item` bytes.
void copy_box(const std::byte* source, const std::vector<std::int64_t>& source_shape,
              const std::vector<std::int64_t>& source_origin, std::byte* target,
              const std::vector<std::int64_t>& target_shape,
              const std::vector<std::int64_t>& target_origin, const std::vector<std::int64_t>& from,
              const std::vector<std::int64_t>& extent, std::size_t item);

/// The chunk grid argument of reduce_grid and store_grid: per dimension, regular chunks as
/// (-1, extent, count, last extent), others as (count, extents...); the dimension count first.
std::vector<std::int64_t> encode_chunk_grid(const std::vector<std::vector<std::int64_t>>& lists);

/// The plan as a Value, to pass to those functions.
Value plan_value(array_plan plan);

}  // namespace troupe::kernels
