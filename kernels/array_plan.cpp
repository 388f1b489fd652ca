#include "kernels/array_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "kernels/random_fill.hpp"
#include "kernels/simd_clones.hpp"


namespace troupe::kernels {

namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw ArgumentError("malformed array plan: " + why);
}

std::vector<std::int64_t> c_strides(const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> stride(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) stride[d - 1] = stride[d] * shape[d];
  return stride;
}

bool is_binary(plan_op op) {
  return op == plan_op::add || op == plan_op::subtract || op == plan_op::multiply ||
         op == plan_op::divide || op == plan_op::greater || op == plan_op::less ||
         op == plan_op::equal;
}

/// Checks the plan once before any evaluation: operands before their users, shapes that fit.
void check_plan(const array_plan& plan, const std::vector<data_window>& data) {
  if (plan.nodes.empty()) malformed("no nodes");
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const auto& n = plan.nodes[i];
    const auto name = "node " + std::to_string(i);
    auto operand = [&](std::int32_t k) -> const plan_node& {
      if (k < 0 || static_cast<std::size_t>(k) >= i)
        malformed(name + " names operand " + std::to_string(k));
      return plan.nodes[static_cast<std::size_t>(k)];
    };
    for (auto extent : n.shape)
      if (extent < 0) malformed(name + " has a negative extent");
    if (!dtype_from_code(static_cast<std::uint8_t>(n.type))) malformed(name + " has no dtype");
    switch (n.op) {
      case plan_op::full:
      case plan_op::uniform:
      case plan_op::normal:
        break;
      case plan_op::arange:
      case plan_op::linspace:
        if (n.shape.size() != 1) malformed("arange " + name + " is not 1-d");
        break;
      case plan_op::data: {
        if (n.data < 0 || static_cast<std::size_t>(n.data) >= data.size())
          malformed("data " + name + " names data " + std::to_string(n.data) + " of " +
                    std::to_string(data.size()));
        const auto& w = data[static_cast<std::size_t>(n.data)];
        if (w.origin.size() != n.shape.size() || w.shape.size() != n.shape.size())
          malformed("the window of data " + name + " has the wrong number of dimensions");
        for (std::size_t d = 0; d < n.shape.size(); ++d)
          if (w.origin[d] < 0 || w.shape[d] < 0 || w.origin[d] + w.shape[d] > n.shape[d])
            malformed("the window of data " + name + " reaches outside its array");
        break;
      }
      case plan_op::where:
        if (operand(n.a).shape != n.shape || operand(n.b).shape != n.shape ||
            operand(n.c).shape != n.shape)
          malformed(name + " chooses between arrays of other shapes");
        break;
      case plan_op::slice: {
        const auto& child = operand(n.a);
        if (n.starts.size() != n.shape.size() || n.steps.size() != n.shape.size() ||
            child.shape.size() != n.shape.size())
          malformed("slice " + name + " has the wrong number of dimensions");
        for (std::size_t d = 0; d < n.shape.size(); ++d) {
          if (n.shape[d] == 0) continue;
          const auto first = n.starts[d], last = n.starts[d] + n.steps[d] * (n.shape[d] - 1);
          if (n.steps[d] == 0 || std::min(first, last) < 0 ||
              std::max(first, last) >= child.shape[d])
            malformed("slice " + name + " reaches outside its operand");
        }
        break;
      }
      case plan_op::transpose: {
        const auto& child = operand(n.a);
        std::vector<bool> seen(n.shape.size(), false);
        if (n.axes.size() != n.shape.size() || child.shape.size() != n.shape.size())
          malformed("transpose " + name + " has the wrong number of dimensions");
        for (std::size_t d = 0; d < n.axes.size(); ++d) {
          const auto axis = n.axes[d];
          if (axis < 0 || static_cast<std::size_t>(axis) >= seen.size() || seen[axis] ||
              child.shape[axis] != n.shape[d])
            malformed("transpose " + name + " is not a permutation of its operand");
          seen[axis] = true;
        }
        break;
      }
      case plan_op::broadcast: {
        const auto& child = operand(n.a);
        if (child.shape.size() > n.shape.size())
          malformed("broadcast " + name + " has fewer dimensions than its operand");
        const auto lead = n.shape.size() - child.shape.size();
        for (std::size_t k = 0; k < child.shape.size(); ++k)
          if (child.shape[k] != n.shape[lead + k] && child.shape[k] != 1)
            malformed("broadcast " + name + " stretches an extent other than 1");
        break;
      }
      case plan_op::squeeze: {
        const auto& child = operand(n.a);
        std::vector<bool> dropped(child.shape.size(), false);
        for (auto axis : n.axes) {
          if (axis < 0 || static_cast<std::size_t>(axis) >= dropped.size() || dropped[axis] ||
              child.shape[axis] != 1)
            malformed("squeeze " + name + " drops a dimension it cannot");
          dropped[axis] = true;
        }
        std::vector<std::int64_t> kept;
        for (std::size_t d = 0; d < child.shape.size(); ++d)
          if (!dropped[d]) kept.push_back(child.shape[d]);
        if (kept != n.shape) malformed("squeeze " + name + " has the wrong shape");
        break;
      }
      default:
        if (is_binary(n.op)) {
          if (operand(n.a).shape != n.shape || operand(n.b).shape != n.shape)
            malformed(name + " combines arrays of other shapes");
        } else if (operand(n.a).shape != n.shape) {
          malformed(name + " has another shape than its operand");
        }
    }
  }
}

void check_box(const std::vector<std::int64_t>& shape, const index_box& box) {
  const auto n = shape.size();
  if (box.start.size() != n || box.step.size() != n || box.count.size() != n)
    malformed("a box of " + std::to_string(box.start.size()) + " dimensions for a " +
              std::to_string(n) + "-d array");
  for (std::size_t d = 0; d < n; ++d) {
    if (box.count[d] < 0) malformed("a box with a negative count");
    if (box.count[d] == 0) continue;
    const auto first = box.start[d], last = box.start[d] + box.step[d] * (box.count[d] - 1);
    if (std::min(first, last) < 0 || std::max(first, last) >= shape[d])
      malformed("a box outside the array's shape");
  }
}

/// Calls f(offset of the row's first element in the C-order array of `stride` whose index 0
/// is `origin`, step along the row, row length, offset of the row in the box's output) for
/// every row of `box` along its last dimension.
template <class F>
void for_each_row(const std::vector<std::int64_t>& stride, const std::vector<std::int64_t>& origin,
                  const index_box& box, F f) {
  const auto n = box.count.size();
  if (n == 0) {
    f(std::int64_t{0}, std::int64_t{1}, std::int64_t{1}, std::size_t{0});
    return;
  }
  for (auto c : box.count)
    if (c == 0) return;
  std::vector<std::int64_t> j(n - 1, 0);
  const auto row = box.count[n - 1];
  std::size_t offset = 0;
  while (true) {
    std::int64_t first = (box.start[n - 1] - origin[n - 1]) * stride[n - 1];
    for (std::size_t d = 0; d + 1 < n; ++d)
      first += (box.start[d] + box.step[d] * j[d] - origin[d]) * stride[d];
    f(first, box.step[n - 1] * stride[n - 1], row, offset);
    offset += static_cast<std::size_t>(row);
    std::size_t d = n - 1;
    while (d > 0) {
      --d;
      if (++j[d] < box.count[d]) break;
      j[d] = 0;
      if (d == 0) return;
    }
    if (n == 1) return;
  }
}

[[noreturn]] void beyond_int64_limit() {
  throw ArgumentError(
      "an int64 array value is at or beyond +-2^53 (9007199254740992), or not a number: troupe "
      "computes int64 arrays exactly only within that range; use astype(float64) for larger "
      "values");
}

// The loops below are the ones built twice (TROUPE_SIMD_CLONES). They never throw: gcc 12
// takes a call through a target_clones function as one that cannot throw, so an exception
// leaving one ends the process (std::terminate) instead of reaching the task's caller.

/// Makes `count` computed values those of `type`: float32 ones rounded to float, bool ones 0
/// or 1, int64 ones truncated to integers (as astype). False when an int64 one is outside
/// the exact range (or not a number).
TROUPE_SIMD_CLONES bool settle_values(dtype type, double* v, std::size_t count) noexcept {
  switch (type) {
    case dtype::float32:
      for (std::size_t i = 0; i < count; ++i) v[i] = static_cast<float>(v[i]);
      return true;
    case dtype::boolean:
      for (std::size_t i = 0; i < count; ++i) v[i] = v[i] != 0 ? 1.0 : 0.0;
      return true;
    case dtype::int64: {
      bool outside = false;
      for (std::size_t i = 0; i < count; ++i) {
        v[i] = std::trunc(v[i]);
        outside |= !(std::abs(v[i]) < int64_exact_limit);
      }
      return !outside;
    }
    default:
      return true;
  }
}

void settle(dtype type, double* v, std::size_t count) {
  if (type != dtype::float64 && !settle_values(type, v, count)) beyond_int64_limit();
}

/// out = out op b, elementwise (op binary).
TROUPE_SIMD_CLONES void binary_loop(plan_op op, double* out, const double* b,
                                    std::size_t size) noexcept {
  switch (op) {
    case plan_op::add: for (std::size_t i = 0; i < size; ++i) out[i] += b[i]; return;
    case plan_op::subtract: for (std::size_t i = 0; i < size; ++i) out[i] -= b[i]; return;
    case plan_op::multiply: for (std::size_t i = 0; i < size; ++i) out[i] *= b[i]; return;
    case plan_op::divide: for (std::size_t i = 0; i < size; ++i) out[i] /= b[i]; return;
    case plan_op::greater: for (std::size_t i = 0; i < size; ++i) out[i] = out[i] > b[i]; return;
    case plan_op::less: for (std::size_t i = 0; i < size; ++i) out[i] = out[i] < b[i]; return;
    default: for (std::size_t i = 0; i < size; ++i) out[i] = out[i] == b[i]; return;
  }
}

/// out = op(out) or op(out, x), elementwise; false for an op that is not one of these.
TROUPE_SIMD_CLONES bool unary_loop(plan_op op, double x, double* out, std::size_t size) noexcept {
  switch (op) {
    case plan_op::add_scalar: for (std::size_t i = 0; i < size; ++i) out[i] += x; return true;
    case plan_op::multiply_scalar: for (std::size_t i = 0; i < size; ++i) out[i] *= x; return true;
    case plan_op::subtract_from_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = x - out[i]; return true;
    case plan_op::divide_scalar: for (std::size_t i = 0; i < size; ++i) out[i] /= x; return true;
    case plan_op::divide_into_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = x / out[i]; return true;
    case plan_op::negate: for (std::size_t i = 0; i < size; ++i) out[i] = -out[i]; return true;
    case plan_op::absolute: for (std::size_t i = 0; i < size; ++i) out[i] = std::abs(out[i]); return true;
    case plan_op::square_root: for (std::size_t i = 0; i < size; ++i) out[i] = std::sqrt(out[i]); return true;
    case plan_op::exponential: for (std::size_t i = 0; i < size; ++i) out[i] = std::exp(out[i]); return true;
    case plan_op::logarithm: for (std::size_t i = 0; i < size; ++i) out[i] = std::log(out[i]); return true;
    case plan_op::greater_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = out[i] > x; return true;
    case plan_op::less_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = out[i] < x; return true;
    default: return false;
  }
}

bool is_index_map(plan_op op) {
  return op == plan_op::slice || op == plan_op::transpose || op == plan_op::broadcast ||
         op == plan_op::squeeze;
}

/// Element `at` of a window of `type`, as a tile's double.
double window_value(const std::byte* values, dtype type, std::int64_t at) {
  switch (type) {
    case dtype::float32: return reinterpret_cast<const float*>(values)[at];
    case dtype::boolean: return reinterpret_cast<const bool*>(values)[at] ? 1.0 : 0.0;
    case dtype::int64: {
      const auto v = reinterpret_cast<const std::int64_t*>(values)[at];
      if (v >= 9007199254740992LL || v <= -9007199254740992LL) beyond_int64_limit();
      return static_cast<double>(v);
    }
    default: return reinterpret_cast<const double*>(values)[at];
  }
}

/// v = x, elementwise.
TROUPE_SIMD_CLONES void fill_loop(double x, double* v, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) v[i] = x;
}

/// v = x + scale * v, elementwise.
TROUPE_SIMD_CLONES void affine_loop(double x, double scale, double* v, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) v[i] = x + scale * v[i];
}

class evaluator {
 public:
  evaluator(const array_plan& plan, const std::vector<data_window>& data)
      : plan_(plan), data_(data), scratch_(2 * plan.nodes.size()) {}

  /// The node's elements in `box`, C order, in its dtype's values.
  void fill(std::size_t id, const index_box& box, double* out) {
    compute(id, box, out);
    const auto& n = plan_.nodes[id];
    if (!is_index_map(n.op)) settle(n.type, out, box.size());
  }

  /// The value of every element of the node when it is a constant (full, or an index map or
  /// a cast of one), else nothing. Operations take such an operand as a scalar instead of
  /// filling a tile with it, as Dask's ones and full are broadcast views of one value.
  std::optional<double> uniform(std::size_t id) {
    if (uniform_known_.empty()) {
      uniform_known_.assign(plan_.nodes.size(), false);
      uniform_.assign(plan_.nodes.size(), std::nullopt);
    }
    if (uniform_known_[id]) return uniform_[id];
    const auto& n = plan_.nodes[id];
    std::optional<double> value;
    if (n.op == plan_op::full) {
      value = n.x;
    } else if (is_index_map(n.op) || n.op == plan_op::cast) {
      value = uniform(static_cast<std::size_t>(n.a));
    }
    if (value && !is_index_map(n.op)) settle(n.type, &*value, 1);
    uniform_known_[id] = true;
    uniform_[id] = value;
    return value;
  }

 private:
  void compute(std::size_t id, const index_box& box, double* out) {
    const auto& n = plan_.nodes[id];
    const auto size = box.size();
    switch (n.op) {
      case plan_op::full:
        fill_loop(n.x, out, size);
        return;
      case plan_op::arange:
        for (std::int64_t i = 0; i < box.count[0]; ++i)
          out[i] = n.x + n.y * static_cast<double>(box.start[0] + box.step[0] * i);
        return;
      case plan_op::linspace:
        for (std::int64_t i = 0; i < box.count[0]; ++i) {
          const auto index = box.start[0] + box.step[0] * i;
          out[i] = index == n.shape[0] - 1 ? n.z : n.x + n.y * static_cast<double>(index);
        }
        return;
      case plan_op::uniform:
      case plan_op::normal:
        random_rows(n, box, out);
        return;
      case plan_op::data:
        data_rows(n, box, out);
        return;
      case plan_op::slice: {
        index_box inner = box;
        for (std::size_t d = 0; d < box.start.size(); ++d) {
          inner.start[d] = n.starts[d] + n.steps[d] * box.start[d];
          inner.step[d] = n.steps[d] * box.step[d];
        }
        fill(static_cast<std::size_t>(n.a), inner, out);
        return;
      }
      case plan_op::transpose:
        transposed(id, n, box, out);
        return;
      case plan_op::broadcast:
        broadcasted(id, n, box, out);
        return;
      case plan_op::squeeze: {
        // The dropped dimensions have extent 1: the same elements in the same C order.
        const auto& child = plan_.nodes[static_cast<std::size_t>(n.a)];
        index_box inner{{}, {}, {}};
        std::size_t k = 0;
        for (std::size_t d = 0; d < child.shape.size(); ++d) {
          const bool dropped = std::find(n.axes.begin(), n.axes.end(),
                                         static_cast<std::int64_t>(d)) != n.axes.end();
          inner.start.push_back(dropped ? 0 : box.start[k]);
          inner.step.push_back(dropped ? 1 : box.step[k]);
          inner.count.push_back(dropped ? 1 : box.count[k]);
          if (!dropped) ++k;
        }
        fill(static_cast<std::size_t>(n.a), inner, out);
        return;
      }
      case plan_op::where: {
        auto& condition = buffer(id, 0, size);
        auto& otherwise = buffer(id, 1, size);
        fill(static_cast<std::size_t>(n.a), box, condition.data());
        fill(static_cast<std::size_t>(n.b), box, out);
        fill(static_cast<std::size_t>(n.c), box, otherwise.data());
        for (std::size_t i = 0; i < size; ++i)
          if (condition[i] == 0) out[i] = otherwise[i];
        return;
      }
      case plan_op::cast:  // settled into this node's dtype by fill()
        fill(static_cast<std::size_t>(n.a), box, out);
        return;
      default:
        break;
    }
    if (is_binary(n.op)) {
      // A constant operand is a scalar: out = a op x, or x op b (the same bits: a - x is
      // a + -x, and x + b, x * b commute).
      const auto a = static_cast<std::size_t>(n.a), b = static_cast<std::size_t>(n.b);
      if (const auto x = uniform(b); x && with_scalar_right(n.op) != n.op) {
        fill(a, box, out);
        unary_loop(with_scalar_right(n.op), n.op == plan_op::subtract ? -*x : *x, out, size);
        return;
      }
      if (const auto x = uniform(a); x && with_scalar_left(n.op) != n.op) {
        fill(b, box, out);
        unary_loop(with_scalar_left(n.op), *x, out, size);
        return;
      }
      fill(a, box, out);
      auto& other = buffer(id, 0, size);
      fill(b, box, other.data());
      binary_loop(n.op, out, other.data(), size);
      return;
    }
    fill(static_cast<std::size_t>(n.a), box, out);
    if (!unary_loop(n.op, n.x, out, size)) malformed("an operation it does not know");
  }

  /// The scalar operation computing `a op x` for a constant x (a - x as a + -x), or `op`
  /// itself when there is none.
  static plan_op with_scalar_right(plan_op op) {
    switch (op) {
      case plan_op::add: case plan_op::subtract: return plan_op::add_scalar;
      case plan_op::multiply: return plan_op::multiply_scalar;
      case plan_op::divide: return plan_op::divide_scalar;
      case plan_op::greater: return plan_op::greater_scalar;
      case plan_op::less: return plan_op::less_scalar;
      default: return op;
    }
  }

  /// The scalar operation computing `x op b` for a constant x, or `op` itself.
  static plan_op with_scalar_left(plan_op op) {
    switch (op) {
      case plan_op::add: return plan_op::add_scalar;
      case plan_op::subtract: return plan_op::subtract_from_scalar;
      case plan_op::multiply: return plan_op::multiply_scalar;
      case plan_op::divide: return plan_op::divide_into_scalar;
      case plan_op::greater: return plan_op::less_scalar;
      case plan_op::less: return plan_op::greater_scalar;
      default: return op;
    }
  }

  std::vector<double>& buffer(std::size_t id, int which, std::size_t size) {
    auto& b = scratch_[2 * id + static_cast<std::size_t>(which)];
    if (b.size() < size) b.resize(size);
    return b;
  }

  void random_rows(const plan_node& n, const index_box& box, double* out) {
    const bool normal = n.op == plan_op::normal;
    const std::vector<std::int64_t> origin(n.shape.size(), 0);
    for_each_row(c_strides(n.shape), origin, box, [&](std::int64_t first, std::int64_t step,
                                                      std::int64_t count, std::size_t offset) {
      double* row = out + offset;
      const auto start = static_cast<std::uint64_t>(first);
      if (step == 1) {
        fill_random_row(normal, n.seed, start, static_cast<std::uint64_t>(count), row);
      } else {
        fill_random_strided(normal, n.seed, first, step, count, row);
      }
      const double scale = normal ? n.y : n.y - n.x;
      affine_loop(n.x, scale, row, static_cast<std::size_t>(count));
    });
  }

  void data_rows(const plan_node& n, const index_box& box, double* out) {
    const auto& w = data_[static_cast<std::size_t>(n.data)];
    for (std::size_t d = 0; d < box.count.size(); ++d) {
      if (box.count[d] == 0) return;
      const auto first = box.start[d], last = box.start[d] + box.step[d] * (box.count[d] - 1);
      if (std::min(first, last) < w.origin[d] || std::max(first, last) >= w.origin[d] + w.shape[d])
        malformed("a box outside the window of its data");
    }
    for_each_row(c_strides(w.shape), w.origin, box, [&](std::int64_t first, std::int64_t step,
                                                        std::int64_t count, std::size_t offset) {
      if (w.type == dtype::float64) {
        const auto* values = reinterpret_cast<const double*>(w.values);
        for (std::int64_t i = 0; i < count; ++i) out[offset + i] = values[first + step * i];
        return;
      }
      for (std::int64_t i = 0; i < count; ++i)
        out[offset + i] = window_value(w.values, w.type, first + step * i);
    });
  }

  /// Fills the operand's box (one element along each stretched dimension), then copies it
  /// out with a stride of 0 along those.
  void broadcasted(std::size_t id, const plan_node& n, const index_box& box, double* out) {
    const auto& child = plan_.nodes[static_cast<std::size_t>(n.a)];
    const auto dims = box.count.size();
    const auto lead = dims - child.shape.size();
    index_box inner{{}, {}, {}};
    for (std::size_t k = 0; k < child.shape.size(); ++k) {
      const bool stretched = child.shape[k] == 1;
      inner.start.push_back(stretched ? 0 : box.start[lead + k]);
      inner.step.push_back(stretched ? 1 : box.step[lead + k]);
      inner.count.push_back(stretched ? 1 : box.count[lead + k]);
    }
    const auto size = box.size();
    if (size == 0) return;
    auto& source = buffer(id, 0, inner.size());
    fill(static_cast<std::size_t>(n.a), inner, source.data());
    const auto inner_stride = c_strides(inner.count);
    std::vector<std::int64_t> stride(dims, 0);
    for (std::size_t k = 0; k < child.shape.size(); ++k)
      stride[lead + k] = child.shape[k] == 1 ? 0 : inner_stride[k];
    copy_strided(source.data(), stride, box.count, out);
  }

  /// out (C order over `count`) from `source` read with per-dimension strides.
  static void copy_strided(const double* source, const std::vector<std::int64_t>& stride,
                           const std::vector<std::int64_t>& count, double* out) {
    const auto dims = count.size();
    std::size_t size = 1;
    for (auto c : count) size *= static_cast<std::size_t>(c);
    std::vector<std::int64_t> j(dims, 0);
    std::int64_t at = 0;
    for (std::size_t i = 0; i < size; ++i) {
      out[i] = source[at];
      for (std::size_t d = dims; d-- > 0;) {
        at += stride[d];
        if (++j[d] < count[d]) break;
        at -= stride[d] * count[d];
        j[d] = 0;
      }
    }
  }

  /// Fills the operand's box (dimensions permuted back), then copies it across permuted.
  void transposed(std::size_t id, const plan_node& n, const index_box& box, double* out) {
    const auto dims = box.count.size();
    index_box inner = box;
    for (std::size_t d = 0; d < dims; ++d) {
      const auto axis = static_cast<std::size_t>(n.axes[d]);
      inner.start[axis] = box.start[d];
      inner.step[axis] = box.step[d];
      inner.count[axis] = box.count[d];
    }
    const auto size = box.size();
    if (size == 0) return;
    auto& source = buffer(id, 0, size);
    fill(static_cast<std::size_t>(n.a), inner, source.data());
    const auto inner_stride = c_strides(inner.count);
    std::vector<std::int64_t> stride(dims);
    for (std::size_t d = 0; d < dims; ++d) stride[d] = inner_stride[static_cast<std::size_t>(n.axes[d])];
    copy_strided(source.data(), stride, box.count, out);
  }

  const array_plan& plan_;
  const std::vector<data_window>& data_;
  std::vector<std::vector<double>> scratch_;  ///< two per node: operands' tiles
  std::vector<bool> uniform_known_;
  std::vector<std::optional<double>> uniform_;
};

/// Calls f(tile, offset of the tile in the box's C-order output) for tiles of `box` of at most
/// about tile_elements: slabs of whole trailing dimensions along the first when one fits, else
/// pieces of single rows along the last dimension.
template <class F>
void for_each_tile(const index_box& box, F f) {
  if (box.size() == 0) return;
  if (box.start.empty()) {
    f(box, std::size_t{0});
    return;
  }
  const auto n = box.count.size();
  const std::size_t slab = box.size() / static_cast<std::size_t>(box.count[0]);
  if (slab <= tile_elements) {
    const auto per_tile = static_cast<std::int64_t>(tile_elements / slab);
    for (std::int64_t i = 0; i < box.count[0]; i += per_tile) {
      index_box tile = box;
      tile.start[0] = box.start[0] + box.step[0] * i;
      tile.count[0] = std::min(per_tile, box.count[0] - i);
      f(tile, static_cast<std::size_t>(i) * slab);
    }
    return;
  }
  const auto row = box.count[n - 1];
  const std::size_t rows = box.size() / static_cast<std::size_t>(row);
  const auto piece = static_cast<std::int64_t>(tile_elements);
  index_box tile = box;
  for (std::size_t d = 0; d + 1 < n; ++d) tile.count[d] = 1;
  std::vector<std::int64_t> j(n - 1, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t d = 0; d + 1 < n; ++d) tile.start[d] = box.start[d] + box.step[d] * j[d];
    for (std::int64_t at = 0; at < row; at += piece) {
      tile.start[n - 1] = box.start[n - 1] + box.step[n - 1] * at;
      tile.count[n - 1] = std::min(piece, row - at);
      f(tile, r * static_cast<std::size_t>(row) + static_cast<std::size_t>(at));
    }
    for (std::size_t d = n - 1; d-- > 0;) {
      if (++j[d] < box.count[d]) break;
      j[d] = 0;
    }
  }
}

}  // namespace

std::size_t index_box::size() const noexcept {
  std::size_t n = 1;
  for (auto c : count) n *= static_cast<std::size_t>(std::max<std::int64_t>(c, 0));
  return n;
}

index_box whole(const std::vector<std::int64_t>& shape) {
  return {std::vector<std::int64_t>(shape.size(), 0), std::vector<std::int64_t>(shape.size(), 1),
          shape};
}

namespace {

/// Tile values (settled into `type`'s values) as elements of `type`.
void store_as(dtype type, const double* values, std::size_t count, std::byte* out) {
  switch (type) {
    case dtype::float32:
      for (std::size_t i = 0; i < count; ++i)
        reinterpret_cast<float*>(out)[i] = static_cast<float>(values[i]);
      return;
    case dtype::int64:
      for (std::size_t i = 0; i < count; ++i)
        reinterpret_cast<std::int64_t*>(out)[i] = static_cast<std::int64_t>(values[i]);
      return;
    case dtype::boolean:
      for (std::size_t i = 0; i < count; ++i) reinterpret_cast<bool*>(out)[i] = values[i] != 0;
      return;
    case dtype::float64:
      std::copy_n(values, count, reinterpret_cast<double*>(out));
      return;
  }
}

}  // namespace

void evaluate(const array_plan& plan, const index_box& box, const std::vector<data_window>& data,
              ndarray& out) {
  check_plan(plan, data);
  check_box(plan.root().shape, box);
  if (out.shape() != box.count) malformed("an output of another shape than its box");
  evaluator e(plan, data);
  const auto root = plan.nodes.size() - 1;
  // Settled into the root's dtype first, then converted to the output's (as astype).
  const auto out_type = out.type();
  std::vector<double> tile_values;
  for_each_tile(box, [&](const index_box& tile, std::size_t offset) {
    if (out_type == dtype::float64 && plan.root().type == dtype::float64) {
      e.fill(root, tile, out.mutable_data<double>() + offset);
      return;
    }
    const auto size = tile.size();
    if (tile_values.size() < size) tile_values.resize(size);
    e.fill(root, tile, tile_values.data());
    settle(out_type, tile_values.data(), size);
    store_as(out_type, tile_values.data(), size, out.mutable_bytes() + offset * item_size(out_type));
  });
}

double identity_of(reduction op) noexcept {
  switch (op) {
    case reduction::prod: return 1.0;
    case reduction::min: return std::numeric_limits<double>::infinity();
    case reduction::max: return -std::numeric_limits<double>::infinity();
    default: return 0.0;
  }
}

/// The sum of `count` values in eight running partials (added in a fixed order at the end):
/// one running sum is a chain of dependent adds, four cycles each, and was the bound of a
/// fused generate-multiply-sum loop.
TROUPE_SIMD_CLONES double sum_of(const double* v, std::size_t count) noexcept {
  double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int k = 0; k < 8; ++k) partial[k] += v[i + k];
  for (; i < count; ++i) partial[i % 8] += v[i];
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

/// sum_of(a[i] * b[i]) without storing the products: the same products (no fused
/// multiply-add: -ffp-contract=off) added in the same order, so the same bits.
TROUPE_SIMD_CLONES double product_sum(const double* a, const double* b, std::size_t count) noexcept {
  double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int k = 0; k < 8; ++k) partial[k] += a[i + k] * b[i + k];
  for (; i < count; ++i) partial[i % 8] += a[i] * b[i];
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

/// sum_of(a[i] * x), the same way.
TROUPE_SIMD_CLONES double scaled_sum(const double* a, double x, std::size_t count) noexcept {
  double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int k = 0; k < 8; ++k) partial[k] += a[i + k] * x;
  for (; i < count; ++i) partial[i % 8] += a[i] * x;
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

double exact_sum(double into, const double* v, std::size_t count) {
  // Integers below 2^53 in magnitude, checked as they are added: no int64 overflow either.
  auto total = static_cast<std::int64_t>(into);
  for (std::size_t i = 0; i < count; ++i) {
    total += static_cast<std::int64_t>(v[i]);
    if (total >= 9007199254740992LL || total <= -9007199254740992LL)
      throw ArgumentError(
          "an int64 sum reached +-2^53 (9007199254740992) in a partial sum, where troupe cannot "
          "hold it exactly: use astype(float64) before summing for a floating-point sum");
  }
  return static_cast<double>(total);
}

/// Folds `count` values into `into` by op (not moments).
void fold(reduction op, double& into, const double* v, std::size_t count) {
  switch (op) {
    case reduction::sum:
      into += sum_of(v, count);
      return;
    case reduction::exact_sum:
      into = exact_sum(into, v, count);
      return;
    case reduction::prod:
      for (std::size_t i = 0; i < count; ++i) into *= v[i];
      return;
    case reduction::min:
      for (std::size_t i = 0; i < count; ++i) into = nan_min(into, v[i]);
      return;
    case reduction::max:
      for (std::size_t i = 0; i < count; ++i) into = nan_max(into, v[i]);
      return;
    default:
      malformed("moments folded as a number");
  }
}

void merge_moments(double* into, const double* other) noexcept {
  const double n = into[0] + other[0];
  if (other[0] == 0) return;
  if (into[0] == 0) {
    std::copy_n(other, 3, into);
    return;
  }
  const double delta = other[1] - into[1];
  into[1] += delta * other[0] / n;
  into[2] += other[2] + delta * delta * into[0] * other[0] / n;
  into[0] = n;
}

void reduce_axes(const array_plan& plan, const index_box& box, const std::vector<data_window>& data,
                 const std::vector<bool>& reduced, reduction op, double* out) {
  check_plan(plan, data);
  check_box(plan.root().shape, box);
  const auto n = box.count.size();
  if (reduced.size() != n) malformed("a reduction mask of the wrong length");
  std::vector<std::int64_t> out_count(n);
  for (std::size_t d = 0; d < n; ++d) out_count[d] = reduced[d] ? 1 : box.count[d];
  auto out_stride = c_strides(out_count);
  const bool moments = op == reduction::moments;
  const std::size_t width = moments ? 3 : 1;
  std::size_t out_size = 1;
  for (auto c : out_count) out_size *= static_cast<std::size_t>(c);
  if (moments)
    std::fill_n(out, out_size * 3, 0.0);
  else
    std::fill_n(out, out_size, identity_of(op));
  if (box.size() == 0) return;
  evaluator e(plan, data);
  // A sum of products along rows adds the products as they are made (product_sum, the same
  // bits as a product tile summed), with a constant factor as a scalar: the product tile is
  // never stored (x * x[::-1, ::-1] summed, x . y, norms).
  const auto& root = plan.root();
  const bool product_rows = op == reduction::sum && (n == 0 || reduced[n - 1]) &&
                            root.op == plan_op::multiply && root.type == dtype::float64;
  auto left = static_cast<std::size_t>(root.a), right = static_cast<std::size_t>(root.b);
  std::optional<double> factor;
  if (product_rows) {
    factor = e.uniform(right);
    if (!factor && (factor = e.uniform(left))) std::swap(left, right);
  }
  std::vector<double> tile_values, right_values;
  for_each_tile(box, [&](const index_box& tile, std::size_t) {
    const auto size = tile.size();
    if (tile_values.size() < size) tile_values.resize(size);
    if (!product_rows) {
      e.fill(plan.nodes.size() - 1, tile, tile_values.data());
    } else {
      e.fill(left, tile, tile_values.data());
      if (!factor) {
        if (right_values.size() < size) right_values.resize(size);
        e.fill(right, tile, right_values.data());
      }
    }
    // Row by row along the last dimension; j: the row's index in the box, from the tile's
    // place in it (j0).
    std::vector<std::int64_t> j0(n);
    for (std::size_t d = 0; d < n; ++d) j0[d] = (tile.start[d] - box.start[d]) / box.step[d];
    const auto row = n == 0 ? std::int64_t{1} : tile.count[n - 1];
    std::vector<std::int64_t> j = j0;
    for (std::size_t at = 0; at < size; at += static_cast<std::size_t>(row)) {
      std::int64_t target = 0;
      for (std::size_t d = 0; d + 1 < n; ++d) target += (reduced[d] ? 0 : j[d]) * out_stride[d];
      if (n > 0 && !reduced[n - 1]) target += j0[n - 1];
      const double* v = tile_values.data() + at;
      double* o = out + static_cast<std::size_t>(target) * width;
      const bool row_reduced = n == 0 || reduced[n - 1];
      if (product_rows) {
        const auto count = static_cast<std::size_t>(row);
        o[0] += factor ? scaled_sum(v, *factor, count)
                       : product_sum(v, right_values.data() + at, count);
      } else if (row_reduced && !moments) {
        fold(op, o[0], v, static_cast<std::size_t>(row));
      } else if (row_reduced) {
        double mean = 0;
        for (std::int64_t i = 0; i < row; ++i) mean += v[i];
        mean /= static_cast<double>(row);
        double m2 = 0;
        for (std::int64_t i = 0; i < row; ++i) m2 += (v[i] - mean) * (v[i] - mean);
        const double part[3] = {static_cast<double>(row), mean, m2};
        merge_moments(o, part);
      } else {
        for (std::int64_t i = 0; i < row; ++i) {
          if (moments) {
            const double part[3] = {1.0, v[i], 0.0};
            merge_moments(o + 3 * i, part);
          } else {
            fold(op, o[i], v + i, 1);
          }
        }
      }
      for (std::size_t d = n == 0 ? 0 : n - 1; d-- > 0;) {
        if (++j[d] < j0[d] + tile.count[d]) break;
        j[d] = j0[d];
      }
    }
  });
}

}  // namespace troupe::kernels
