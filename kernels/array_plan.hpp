#pragma once
// An array's plan as the workers run it: a small expression of sources (constants, ranges,
// seeded random numbers, data), elementwise operations and index maps (slices), evaluated for
// one box of the result at a time. Index maps are pushed to the sources (a slice of a random
// array makes only the elements it needs) and elementwise chains are fused: a chunk task
// works through its box in tiles of a few thousand elements and never writes an intermediate
// chunk. The array collection (collections/array.hpp) builds plans; tasks carry them as
// values (a registered type, so they travel to worker processes).
//
// Every node has a dtype (float64, float32, int64 or bool). Tiles hold doubles whatever the
// dtype, and each node's results are settled into its dtype's values as they are made:
// float32 ones rounded to float (so + - * / and sqrt give numpy's float32 bits), bool ones
// 0 or 1, int64 ones integers checked to lie within +-2^53, where a double holds every
// integer — outside that, evaluation stops with an error rather than give a rounded integer.

#include <cstdint>
#include <string>
#include <vector>

#include "core/ndarray.hpp"

namespace troupe::kernels {

enum class plan_op : std::uint8_t {
  full,     ///< every element `x`
  arange,   ///< 1-d: x + y * i
  uniform,  ///< x + (y - x) * U(seed, i), i the element's C-order index
  normal,   ///< x + y * N(seed, i)
  data,     ///< the float64 ndarray `data` of the evaluation's data list
  add, subtract, multiply, divide,  ///< a op b, equal shapes
  add_scalar, multiply_scalar,      ///< a + x, a * x
  subtract_from_scalar,             ///< x - a
  divide_scalar, divide_into_scalar,  ///< a / x, x / a
  negate, absolute, square_root, exponential, logarithm,
  slice,      ///< element i of dimension d is a's element starts[d] + steps[d] * i
  transpose,  ///< dimension d is a's dimension axes[d]
  greater, less, equal,  ///< a op b as 1.0 or 0.0
  greater_scalar, less_scalar,  ///< a > x, a < x as 1.0 or 0.0
  where,  ///< x (the condition's node in `a`) != 0 ? b : c
  broadcast,  ///< a, its dimensions aligned to the right of `shape`, stretched where its extent is 1
  squeeze,    ///< a without its dimensions `axes` (each of extent 1)
  cast,       ///< a converted to this node's dtype, as numpy's astype
  linspace,   ///< 1-d: x + y * i, but z for the last element (numpy.linspace's endpoint)
};

/// The magnitude from which int64 elements are refused (doubles hold every integer below it).
inline constexpr double int64_exact_limit = 9007199254740992.0;  // 2^53

struct plan_node {
  plan_op op = plan_op::full;
  std::vector<std::int64_t> shape;
  std::int32_t a = -1, b = -1, c = -1;  ///< operands: indices of earlier nodes
  double x = 0, y = 0, z = 0;
  std::uint64_t seed = 0;
  std::vector<std::int64_t> starts, steps;
  std::vector<std::int64_t> axes;
  std::int32_t data = -1;
  dtype type = dtype::float64;

  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& op& shape& a& b& c& x& y& z& seed& starts& steps& axes& data& type;
  }
};

/// Nodes in dependency order; the last one is the array.
struct array_plan {
  std::vector<plan_node> nodes;

  const plan_node& root() const { return nodes.back(); }
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& nodes;
  }
};

/// Elements a tile of an evaluation holds at most: the operands of a fused chain stay in the
/// cache, each node with at most two tile-sized buffers.
inline constexpr std::size_t tile_elements = 4096;

/// A box of a node's elements: per dimension the first index, the step and the count.
struct index_box {
  std::vector<std::int64_t> start, step, count;
  std::size_t size() const noexcept;
};

/// The whole of `shape`.
index_box whole(const std::vector<std::int64_t>& shape);

/// The part of a data node's array that a task was given: `values` (elements of `type`) in C
/// order, the box of the node's indices from `origin` with extents `shape`.
struct data_window {
  const std::byte* values = nullptr;
  dtype type = dtype::float64;
  std::vector<std::int64_t> origin, shape;
};

/// Writes the plan's elements in `box` (of its root), C order, into `out` (of the box's
/// extents, in any dtype: the values are converted as astype would). `data[k]` is the window
/// of data node k's array (node.data == k) that covers what the box reaches. ArgumentError
/// when the plan is malformed (an operand after its user, a data index out of range, a box
/// outside the shape or the window): plans arrive from other processes.
void evaluate(const array_plan& plan, const index_box& box, const std::vector<data_window>& data,
              ndarray& out);

/// exact_sum: the sum of integer values (int64 and bool arrays), added as int64 so that
/// every partial is exact; a partial at or beyond +-2^53 (where a float64 partial could not
/// hold it) is an error, never a rounded sum.
enum class reduction : std::uint8_t { sum, min, max, prod, moments, exact_sum };

/// max and min as numpy's: a NaN on either side wins (std::max would drop one on the right).
inline double nan_max(double a, double b) noexcept { return b > a || b != b ? b : a; }
inline double nan_min(double a, double b) noexcept { return b < a || b != b ? b : a; }

/// The value a fold by `op` starts from: 0 for sum, 1 for prod, +inf for min, -inf for max.
double identity_of(reduction op) noexcept;
/// Folds `count` values into `into` by `op` (not moments; ArgumentError for those).
void fold(reduction op, double& into, const double* values, std::size_t count);

/// into + the integers `values` (exact), as a double; ArgumentError when a partial sum is at
/// or beyond +-2^53 (see reduction::exact_sum).
double exact_sum(double into, const double* values, std::size_t count);

/// The plan's elements in `box` folded along the dimensions where `reduced[d]` is true, into
/// `out`: the box's extents with those dimensions 1 (C order). For moments each result is
/// three values (count, mean, sum of squared deviations), as a last dimension of 3.
void reduce_axes(const array_plan& plan, const index_box& box, const std::vector<data_window>& data,
                 const std::vector<bool>& reduced, reduction op, double* out);

/// (count, mean, M2) of two parts merged (Chan et al.).
void merge_moments(double* into, const double* other) noexcept;

}  // namespace troupe::kernels
