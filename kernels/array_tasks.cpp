#include "kernels/array_tasks.hpp"

#include <cstring>
#include <limits>

#include "core/register_type.hpp"

TROUPE_REGISTER_TYPE(troupe::kernels::array_plan)

namespace troupe::kernels {

namespace {

std::vector<const ndarray*> data_arrays(const std::vector<Value>& data) {
  std::vector<const ndarray*> arrays;
  for (const auto& d : data) arrays.push_back(&d.get<ndarray>());
  return arrays;
}

index_box box_of(const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& count) {
  if (start.size() != count.size())
    throw ArgumentError("a box with " + std::to_string(start.size()) + " starts and " +
                        std::to_string(count.size()) + " counts");
  return {start, std::vector<std::int64_t>(start.size(), 1), count};
}

reduction reduction_of(std::int64_t op) {
  if (op < 0 || op > static_cast<std::int64_t>(reduction::max))
    throw ArgumentError("unknown array reduction " + std::to_string(op));
  return static_cast<reduction>(op);
}

ndarray eval_task(const array_plan& plan, const std::vector<std::int64_t>& start,
                  const std::vector<std::int64_t>& count, const std::vector<Value>& data) {
  ndarray out(dtype::float64, count);
  evaluate(plan, box_of(start, count), data_arrays(data), out.mutable_data<double>());
  return out;
}

double reduce_task(const array_plan& plan, const std::vector<std::int64_t>& start,
                   const std::vector<std::int64_t>& count, const std::vector<Value>& data,
                   std::int64_t op) {
  return reduce(plan, box_of(start, count), data_arrays(data), reduction_of(op));
}

double combine_task(std::int64_t op, const std::vector<Value>& partials) {
  const auto r = reduction_of(op);
  double result = r == reduction::sum   ? 0.0
                  : r == reduction::min ? std::numeric_limits<double>::infinity()
                                        : -std::numeric_limits<double>::infinity();
  for (const auto& p : partials) {
    const double x = p.as<double>();
    result = r == reduction::sum ? result + x : r == reduction::min ? std::min(result, x)
                                                                    : std::max(result, x);
  }
  return result;
}

/// Chunks of a regular grid (each `chunk` along every dimension, the last ones shorter), in
/// C order of the grid, copied into one array of `shape`.
ndarray concatenate_task(const std::vector<std::int64_t>& shape,
                         const std::vector<std::int64_t>& chunk, const std::vector<Value>& chunks) {
  ndarray out(dtype::float64, shape);
  const auto n = shape.size();
  if (chunk.size() != n) throw ArgumentError("concatenate: chunk and shape differ in dimensions");
  std::vector<std::int64_t> grid(n), stride(n, 1);
  std::size_t expected = 1;
  for (std::size_t d = 0; d < n; ++d) {
    grid[d] = chunk[d] > 0 ? (shape[d] + chunk[d] - 1) / chunk[d] : 0;
    expected *= static_cast<std::size_t>(grid[d]);
  }
  for (std::size_t d = n; d-- > 1;) stride[d - 1] = stride[d] * shape[d];
  if (chunks.size() != expected)
    throw ArgumentError("concatenate: " + std::to_string(chunks.size()) + " chunks for a grid of " +
                        std::to_string(expected));
  double* target = out.mutable_data<double>();
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    const auto& part = chunks[c].get<ndarray>();
    // The chunk's place: its grid position, from c in C order.
    std::vector<std::int64_t> origin(n);
    std::size_t rest = c;
    for (std::size_t d = n; d-- > 0;) {
      origin[d] = static_cast<std::int64_t>(rest % static_cast<std::size_t>(grid[d])) * chunk[d];
      rest /= static_cast<std::size_t>(grid[d]);
    }
    const double* source = part.data<double>();
    const auto& extent = part.shape();
    if (n == 0) {
      target[0] = source[0];
      continue;
    }
    // Row by row along the last dimension.
    std::vector<std::int64_t> j(n, 0);
    const auto row = extent[n - 1];
    for (std::size_t done = 0; done < part.size(); done += static_cast<std::size_t>(row)) {
      std::int64_t at = 0;
      for (std::size_t d = 0; d < n; ++d) at += (origin[d] + j[d]) * stride[d];
      std::memcpy(target + at, source + done, static_cast<std::size_t>(row) * sizeof(double));
      for (std::size_t d = n - 1; d-- > 0;) {
        if (++j[d] < extent[d]) break;
        j[d] = 0;
      }
    }
  }
  return out;
}

const array_task_functions functions{
    detail::register_typed_function_at_startup("troupe.array.eval", eval_task, true),
    detail::register_typed_function_at_startup("troupe.array.reduce", reduce_task, true),
    detail::register_typed_function_at_startup("troupe.array.combine", combine_task, true),
    detail::register_typed_function_at_startup("troupe.array.concatenate", concatenate_task, true),
};

}  // namespace

const array_task_functions& array_tasks() { return functions; }

Value plan_value(array_plan plan) { return make_value(std::move(plan)); }

}  // namespace troupe::kernels
