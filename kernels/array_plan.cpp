#include "kernels/array_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/philox.hpp"

namespace troupe::kernels {

namespace {

/// Elements a tile holds at most: operands of a fused chain stay in the L2 cache.
constexpr std::size_t tile_elements = 8192;

[[noreturn]] void malformed(const std::string& why) {
  throw ArgumentError("malformed array plan: " + why);
}

/// Checks the plan once before any evaluation: operands before their users, shapes that fit.
void check_plan(const array_plan& plan, const std::vector<const ndarray*>& data) {
  if (plan.nodes.empty()) malformed("no nodes");
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const auto& n = plan.nodes[i];
    auto operand = [&](std::int32_t k) -> const plan_node& {
      if (k < 0 || static_cast<std::size_t>(k) >= i)
        malformed("node " + std::to_string(i) + " names operand " + std::to_string(k));
      return plan.nodes[static_cast<std::size_t>(k)];
    };
    for (auto extent : n.shape)
      if (extent < 0) malformed("node " + std::to_string(i) + " has a negative extent");
    switch (n.op) {
      case plan_op::full:
      case plan_op::uniform:
      case plan_op::normal:
        break;
      case plan_op::arange:
        if (n.shape.size() != 1) malformed("arange node " + std::to_string(i) + " is not 1-d");
        break;
      case plan_op::data: {
        if (n.data < 0 || static_cast<std::size_t>(n.data) >= data.size())
          malformed("data node " + std::to_string(i) + " names data " + std::to_string(n.data) +
                    " of " + std::to_string(data.size()));
        const auto* d = data[static_cast<std::size_t>(n.data)];
        if (d->type() != dtype::float64 || d->shape() != n.shape)
          malformed("data " + std::to_string(n.data) + " is " + d->describe() +
                    ", not the float64 array its node describes");
        break;
      }
      case plan_op::add:
      case plan_op::subtract:
      case plan_op::multiply:
      case plan_op::divide:
        if (operand(n.a).shape != n.shape || operand(n.b).shape != n.shape)
          malformed("node " + std::to_string(i) + " combines arrays of other shapes");
        break;
      case plan_op::slice: {
        const auto& child = operand(n.a);
        if (n.starts.size() != n.shape.size() || n.steps.size() != n.shape.size() ||
            child.shape.size() != n.shape.size())
          malformed("slice node " + std::to_string(i) + " has the wrong number of dimensions");
        for (std::size_t d = 0; d < n.shape.size(); ++d) {
          if (n.shape[d] == 0) continue;
          const auto first = n.starts[d], last = n.starts[d] + n.steps[d] * (n.shape[d] - 1);
          if (n.steps[d] == 0 || std::min(first, last) < 0 ||
              std::max(first, last) >= child.shape[d])
            malformed("slice node " + std::to_string(i) + " reaches outside its operand");
        }
        break;
      }
      default:
        if (operand(n.a).shape != n.shape)
          malformed("node " + std::to_string(i) + " has another shape than its operand");
    }
  }
}

void check_box(const plan_node& root, const index_box& box) {
  const auto n = root.shape.size();
  if (box.start.size() != n || box.step.size() != n || box.count.size() != n)
    malformed("a box of " + std::to_string(box.start.size()) + " dimensions for a " +
              std::to_string(n) + "-d array");
  for (std::size_t d = 0; d < n; ++d) {
    if (box.count[d] < 0) malformed("a box with a negative count");
    if (box.count[d] == 0) continue;
    const auto first = box.start[d], last = box.start[d] + box.step[d] * (box.count[d] - 1);
    if (std::min(first, last) < 0 || std::max(first, last) >= root.shape[d])
      malformed("a box outside the array's shape");
  }
}

/// Calls f(first C-order index of the row in the node, index step along the row, row length,
/// offset of the row in the box's output) for every row of `box` along its last dimension.
template <class F>
void for_each_row(const std::vector<std::int64_t>& shape, const index_box& box, F f) {
  const auto n = shape.size();
  if (n == 0) {
    f(std::int64_t{0}, std::int64_t{1}, std::int64_t{1}, std::size_t{0});
    return;
  }
  std::vector<std::int64_t> stride(n, 1);
  for (std::size_t d = n - 1; d > 0; --d) stride[d - 1] = stride[d] * shape[d];
  for (auto c : box.count)
    if (c == 0) return;
  std::vector<std::int64_t> j(n - 1, 0);
  const auto row = box.count[n - 1];
  std::size_t offset = 0;
  while (true) {
    std::int64_t first = box.start[n - 1] * stride[n - 1];
    for (std::size_t d = 0; d + 1 < n; ++d) first += (box.start[d] + box.step[d] * j[d]) * stride[d];
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

class evaluator {
 public:
  evaluator(const array_plan& plan, const std::vector<const ndarray*>& data)
      : plan_(plan), data_(data), scratch_(plan.nodes.size()) {}

  void fill(std::size_t id, const index_box& box, double* out) {
    const auto& n = plan_.nodes[id];
    const auto size = box.size();
    switch (n.op) {
      case plan_op::full:
        std::fill_n(out, size, n.x);
        return;
      case plan_op::arange:
        for (std::int64_t i = 0; i < box.count[0]; ++i)
          out[i] = n.x + n.y * static_cast<double>(box.start[0] + box.step[0] * i);
        return;
      case plan_op::uniform:
      case plan_op::normal:
        random_rows(n, box, out);
        return;
      case plan_op::data: {
        const double* source = data_[static_cast<std::size_t>(n.data)]->data<double>();
        for_each_row(n.shape, box, [&](std::int64_t first, std::int64_t step, std::int64_t count,
                                       std::size_t offset) {
          for (std::int64_t i = 0; i < count; ++i) out[offset + i] = source[first + step * i];
        });
        return;
      }
      case plan_op::slice: {
        index_box inner = box;
        for (std::size_t d = 0; d < box.start.size(); ++d) {
          inner.start[d] = n.starts[d] + n.steps[d] * box.start[d];
          inner.step[d] = n.steps[d] * box.step[d];
        }
        fill(static_cast<std::size_t>(n.a), inner, out);
        return;
      }
      default:
        break;
    }
    fill(static_cast<std::size_t>(n.a), box, out);
    if (n.b >= 0) {
      auto& other = scratch_[id];
      other.resize(size);
      fill(static_cast<std::size_t>(n.b), box, other.data());
      const double* b = other.data();
      switch (n.op) {
        case plan_op::add: for (std::size_t i = 0; i < size; ++i) out[i] += b[i]; return;
        case plan_op::subtract: for (std::size_t i = 0; i < size; ++i) out[i] -= b[i]; return;
        case plan_op::multiply: for (std::size_t i = 0; i < size; ++i) out[i] *= b[i]; return;
        case plan_op::divide: for (std::size_t i = 0; i < size; ++i) out[i] /= b[i]; return;
        default: malformed("a unary node with two operands");
      }
    }
    const double x = n.x;
    switch (n.op) {
      case plan_op::add_scalar: for (std::size_t i = 0; i < size; ++i) out[i] += x; return;
      case plan_op::multiply_scalar: for (std::size_t i = 0; i < size; ++i) out[i] *= x; return;
      case plan_op::subtract_from_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = x - out[i]; return;
      case plan_op::divide_scalar: for (std::size_t i = 0; i < size; ++i) out[i] /= x; return;
      case plan_op::divide_into_scalar: for (std::size_t i = 0; i < size; ++i) out[i] = x / out[i]; return;
      case plan_op::negate: for (std::size_t i = 0; i < size; ++i) out[i] = -out[i]; return;
      case plan_op::absolute: for (std::size_t i = 0; i < size; ++i) out[i] = std::abs(out[i]); return;
      case plan_op::square_root: for (std::size_t i = 0; i < size; ++i) out[i] = std::sqrt(out[i]); return;
      case plan_op::exponential: for (std::size_t i = 0; i < size; ++i) out[i] = std::exp(out[i]); return;
      case plan_op::logarithm: for (std::size_t i = 0; i < size; ++i) out[i] = std::log(out[i]); return;
      default: malformed("a binary node with one operand");
    }
  }

 private:
  void random_rows(const plan_node& n, const index_box& box, double* out) {
    const bool normal = n.op == plan_op::normal;
    for_each_row(n.shape, box, [&](std::int64_t first, std::int64_t step, std::int64_t count,
                                   std::size_t offset) {
      double* row = out + offset;
      const auto start = static_cast<std::uint64_t>(first);
      if (step == 1) {
        if (normal)
          fill_random<true>(n.seed, start, static_cast<std::uint64_t>(count), row);
        else
          fill_random<false>(n.seed, start, static_cast<std::uint64_t>(count), row);
      } else {
        for (std::int64_t i = 0; i < count; ++i) {
          const auto index = static_cast<std::uint64_t>(first + step * i);
          row[i] = normal ? standard_normal_at(n.seed, index) : uniform_at(n.seed, index);
        }
      }
      const double scale = normal ? n.y : n.y - n.x;
      for (std::int64_t i = 0; i < count; ++i) row[i] = n.x + scale * row[i];
    });
  }

  const array_plan& plan_;
  const std::vector<const ndarray*>& data_;
  std::vector<std::vector<double>> scratch_;  ///< per node: its second operand's tile
};

/// Calls f(tile, offset) for tiles of `box` along its leading dimension that hold about
/// tile_elements each (at least one slab of the other dimensions).
template <class F>
void for_each_tile(const index_box& box, F f) {
  if (box.start.empty() || box.size() == 0) {
    if (box.size() > 0) f(box, std::size_t{0});
    return;
  }
  const std::size_t slab = box.size() / static_cast<std::size_t>(box.count[0]);
  const auto per_tile = static_cast<std::int64_t>(std::max<std::size_t>(1, tile_elements / slab));
  for (std::int64_t i = 0; i < box.count[0]; i += per_tile) {
    index_box tile = box;
    tile.start[0] = box.start[0] + box.step[0] * i;
    tile.count[0] = std::min(per_tile, box.count[0] - i);
    f(tile, static_cast<std::size_t>(i) * slab);
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

void evaluate(const array_plan& plan, const index_box& box, const std::vector<const ndarray*>& data,
              double* out) {
  check_plan(plan, data);
  check_box(plan.root(), box);
  evaluator e(plan, data);
  for_each_tile(box, [&](const index_box& tile, std::size_t offset) {
    e.fill(plan.nodes.size() - 1, tile, out + offset);
  });
}

double reduce(const array_plan& plan, const index_box& box, const std::vector<const ndarray*>& data,
              reduction op) {
  check_plan(plan, data);
  check_box(plan.root(), box);
  evaluator e(plan, data);
  std::vector<double> tile_values(std::min(box.size(), tile_elements * 2));
  double result = op == reduction::sum   ? 0.0
                  : op == reduction::min ? std::numeric_limits<double>::infinity()
                                         : -std::numeric_limits<double>::infinity();
  for_each_tile(box, [&](const index_box& tile, std::size_t) {
    const auto size = tile.size();
    tile_values.resize(std::max(tile_values.size(), size));
    e.fill(plan.nodes.size() - 1, tile, tile_values.data());
    const double* v = tile_values.data();
    if (op == reduction::sum) {
      double partial = 0;
      for (std::size_t i = 0; i < size; ++i) partial += v[i];
      result += partial;
    } else if (op == reduction::min) {
      for (std::size_t i = 0; i < size; ++i) result = std::min(result, v[i]);
    } else {
      for (std::size_t i = 0; i < size; ++i) result = std::max(result, v[i]);
    }
  });
  return result;
}

}  // namespace troupe::kernels
