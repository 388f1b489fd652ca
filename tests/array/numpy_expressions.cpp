// Prints troupe's results for the expressions tests/array/check_against_numpy.py evaluates
// with numpy on the same inputs, as one JSON object:
// {name: {"shape": [...], "dtype": "...", "values": [...]}}.
// The inputs are formulas of the element index, chunked so that chunks do not divide them.
//
//   array_numpy_expressions [sync|threads]

#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "collections/array.hpp"

namespace da = troupe::array;

namespace {

/// x[i] = sin(0.37 i) * 3 + 0.1 * (i % 7), shaped and chunked.
da::Array input(const da::shape_type& shape, const da::chunks& chunks, double phase) {
  std::int64_t n = 1;
  for (auto e : shape) n *= e;
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    values[static_cast<std::size_t>(i)] =
        std::sin(0.37 * static_cast<double>(i) + phase) * 3 + 0.1 * static_cast<double>(i % 7);
  return da::from_vector(values, shape, chunks);
}

/// xi[i] = (i * 7919) % 23 - 11, int64.
da::Array integer_input(const da::shape_type& shape, const da::shape_type& chunks) {
  std::int64_t n = 1;
  for (auto e : shape) n *= e;
  std::vector<std::int64_t> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = (i * 7919) % 23 - 11;
  return da::from_vector(values, shape, chunks);
}

/// The elements as JSON numbers (or booleans), whatever the dtype.
nlohmann::json values_of(const troupe::ndarray& a) {
  switch (a.type()) {
    case troupe::dtype::float32: return a.to_vector<float>();
    case troupe::dtype::int64: return a.to_vector<std::int64_t>();
    case troupe::dtype::boolean: {
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = 0; i < a.size(); ++i) out.push_back(a.data<bool>()[i]);
      return out;
    }
    default: return a.to_vector<double>();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const troupe::compute_options options{.scheduler = argc > 1 ? argv[1] : "sync"};
  const auto x = input({13, 11}, {4, 3}, 0.0);
  const auto y = input({13, 11}, {5, 4}, 1.0);
  const auto v = input({11}, {4}, 2.0);
  const auto row = input({11}, {3}, 3.0);
  const auto xi = integer_input({13, 11}, {4, 3});
  const auto xf = x.astype(troupe::dtype::float32);
  const auto xl = input({13, 11}, da::chunk_lists{{5, 1, 7}, {2, 9}}, 0.0);  // = x, other chunks
  const auto all = [](std::size_t n) {
    std::vector<std::int64_t> axes;
    for (std::size_t d = 0; d < n; ++d) axes.push_back(static_cast<std::int64_t>(d));
    return axes;
  };
  const std::vector<std::pair<std::string, std::function<da::Array()>>> expressions{
      {"arith", [&] { return x + y * 2.0 - 1.0 / (x * x + 1.0); }},
      {"slice_neg", [&] { return x.slice({{{}, {}, -1}, {2, -1, 3}}); }},
      {"slice_sum0", [&] { return x.slice({{1, {}, 2}, {{}, {}, -2}}).sum({0}); }},
      {"centred", [&] { return x - x.mean({1}, true); }},
      {"t_dot", [&] { return x.transpose().dot(y); }},
      {"var0_ddof1", [&] { return x.var({0}, 1.0); }},
      {"std_all", [&] { return x.stddev(all(2)); }},
      {"where", [&] { return da::where(x > 0.0, x, y); }},
      {"funcs", [&] { return da::sqrt(da::abs(x)) + da::exp(x / 10.0) + da::log(da::abs(y) + 1.0); }},
      {"max1", [&] { return x.max({1}); }},
      {"min_all", [&] { return x.min(all(2)); }},
      {"prod0", [&] { return (x / 3.0).prod({0}); }},
      {"select3", [&] { return x.select(0, 3); }},
      {"last_col", [&] { return x.select(1, -1); }},
      {"mat_vec", [&] { return x.dot(v); }},
      {"vec_vec", [&] { return v.dot(v); }},
      {"rechunk_rev", [&] { return x.reversed().rechunk({6, 6}); }},
      {"broadcast_row", [&] { return x * row + (x < y); }},
      {"mean_keep", [&] { return y.mean({0}, true); }},
      // dtypes, by numpy 2's rules
      {"int_arith", [&] { return xi * 3 + xi - 2; }},
      {"int_div", [&] { return xi / 4; }},
      {"int_sum0", [&] { return xi.sum({0}); }},
      {"int_mean1", [&] { return xi.mean({1}); }},
      {"int_max", [&] { return xi.max(all(2)); }},
      {"int_prod0", [&] { return xi.prod({0}); }},
      {"int_var0", [&] { return xi.var({0}); }},
      {"int_float", [&] { return xi + x; }},
      {"int_dot", [&] { return xi.transpose().dot(xi); }},
      {"int_neg_abs", [&] { return -da::abs(xi.slice({{{}, {}, -2}})); }},
      {"bool_and", [&] { return (x > 0.0) * (y > 0.0); }},
      {"bool_or", [&] { return (x > 0.0) + (y < 0.0); }},
      {"bool_sum1", [&] { return (x > y).sum({1}); }},
      {"bool_plus_int", [&] { return (x > 0.0) + 1; }},
      {"bool_min0", [&] { return (x > -2.0).min({0}); }},
      {"f32_arith", [&] { return xf * 0.1 + xf / 3; }},
      {"f32_sqrt", [&] { return da::sqrt(da::abs(xf)); }},
      {"f32_sum0", [&] { return xf.sum({0}); }},
      {"f32_mean1", [&] { return xf.mean({1}); }},
      {"f32_f64", [&] { return xf + x; }},
      {"f32_int", [&] { return xf + xi; }},
      {"astype_int", [&] { return (x * 3.0).astype(troupe::dtype::int64); }},
      {"astype_bool", [&] { return (x * 0.0 + xi).astype(troupe::dtype::boolean); }},
      {"where_mixed", [&] { return da::where(x > 0.0, xi, xf); }},
      {"linspace", [&] { return da::linspace(-1, 2.5, 13, {4}); }},
      {"linspace_open", [&] { return da::linspace(0, 1, 10, {3}, false); }},
      {"arange_int", [&] { return da::arange(-5, 40, 3, {4}); }},
      // chunks given as per-dimension lists
      {"lists_arith", [&] { return xl * 2.0 + y; }},
      {"lists_sum1", [&] { return xl.sum({1}); }},
      {"lists_var0", [&] { return xl.var({0}); }},
      {"lists_dot", [&] { return xl.transpose().dot(y.rechunk(da::chunk_lists{{1, 12}, {3, 3, 5}})); }},
      {"lists_slice", [&] { return xl.slice({{{}, {}, -2}, {1, {}}}); }},
      {"lists_rechunk", [&] { return y.rechunk(da::chunk_lists{{13}, {1, 1, 1, 8}}) - xl; }},
  };
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, make] : expressions) {
    auto result = make().compute(options);
    out[name] = {{"shape", result.shape()},
                 {"dtype", std::string(troupe::dtype_name(result.type()))},
                 {"values", values_of(result)}};
  }
  std::printf("%s\n", out.dump().c_str());
}
