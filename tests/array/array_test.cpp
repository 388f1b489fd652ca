// The array collection (collections/array.hpp) against independent computations: brute-force
// loops over the same numbers, Python's slice rules simulated index by index, the published
// Philox4x32-10 answers, and the same arrays under other chunkings and schedulers.

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <thread>
#include <vector>

#include "collections/array.hpp"
#include "collections/client.hpp"
#include "core/config.hpp"
#include "kernels/philox.hpp"

namespace da = troupe::array;
using troupe::ndarray;
using Catch::Contains;

namespace {

const troupe::compute_options on_sync{.scheduler = "sync"};
const troupe::compute_options on_threads{.scheduler = "threads", .num_workers = 2};

/// Python's range(*slice(start, stop, step).indices(n)), by walking every candidate index.
std::vector<std::int64_t> python_slice(std::int64_t n, std::optional<std::int64_t> start,
                                       std::optional<std::int64_t> stop, std::int64_t step) {
  auto resolve = [&](std::optional<std::int64_t> v, bool is_start) -> std::int64_t {
    if (!v) return step > 0 ? (is_start ? 0 : n) : (is_start ? n - 1 : -1);
    std::int64_t x = *v < 0 ? *v + n : *v;
    if (step > 0) return x < 0 ? 0 : (x > n ? n : x);
    return x < -1 ? -1 : (x > n - 1 ? n - 1 : x);
  };
  std::vector<std::int64_t> out;
  const auto first = resolve(start, true), end = resolve(stop, false);
  for (std::int64_t i = first; step > 0 ? i < end : i > end; i += step) out.push_back(i);
  return out;
}

std::vector<double> ramp(std::size_t n) {
  std::vector<double> xs(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = 0.5 * static_cast<double>(i) - 7;
  return xs;
}

}  // namespace

TEST_CASE("philox4x32-10 gives Random123's known answers", "[array]") {
  using troupe::kernels::philox4x32_10;
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        troupe::kernels::philox_counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}) ==
        troupe::kernels::philox_counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        troupe::kernels::philox_counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("the normals' own log, cos and sin agree with libm", "[array]") {
  // They are plain arithmetic (so loops over them vectorise and every CPU gets the same bits);
  // against glibc over a sweep of their whole input ranges: a few units in the last place.
  double worst_log = 0, worst_trig = 0;
  for (std::uint64_t i = 1; i <= 2'000'000; ++i) {
    const double x = static_cast<double>(i) / 2'000'000.0;  // (0, 1]
    const double tiny = std::ldexp(1.0, -static_cast<int>(i % 53)) * (1 + x) / 2;
    for (double v : {x, tiny}) {
      const double want = std::log(v);
      if (want != 0)
        worst_log = std::max(worst_log, std::abs(troupe::kernels::log_of_positive(v) - want) / std::abs(want));
    }
    double c = 0, s = 0;
    troupe::kernels::cos_sin_of_turn(x - 1.0 / 4'000'000.0, c, s);
    const double angle = 6.283185307179586 * (x - 1.0 / 4'000'000.0);
    worst_trig = std::max({worst_trig, std::abs(c - std::cos(angle)), std::abs(s - std::sin(angle))});
  }
  CHECK(troupe::kernels::log_of_positive(1.0) == 0);
  INFO("worst relative log error " << worst_log << ", worst cos/sin error " << worst_trig);
  CHECK(worst_log < 1e-15);
  CHECK(worst_trig < 2e-15);
}

TEST_CASE("array: elementwise chains and reductions match a loop", "[array]") {
  const auto a = ramp(37 * 23), b = ramp(37 * 23 + 5);
  std::vector<double> b_part(b.begin() + 5, b.end());
  auto x = da::from_vector(a, {37, 23}, {10, 7});  // chunks that do not divide the shape
  auto y = da::from_vector(b_part, {37, 23}, {4, 23});
  auto expr = (x + 1) * y - 2.5 / (x * x + 1) + (-x) / 4;
  auto got = expr.compute(on_sync);
  REQUIRE(got.shape() == ndarray::shape_type{37, 23});
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double want = (a[i] + 1) * b_part[i] - 2.5 / (a[i] * a[i] + 1) + (-a[i]) / 4;
    REQUIRE(got.data<double>()[i] == want);
    sum += want;
    lo = std::min(lo, want);
    hi = std::max(hi, want);
  }
  CHECK(expr.sum().compute(on_sync) == Approx(sum).epsilon(1e-12));
  CHECK(expr.mean().compute(on_threads) == Approx(sum / a.size()).epsilon(1e-12));
  CHECK(expr.min().compute(on_threads) == lo);
  CHECK(expr.max().compute(on_sync) == hi);
  // The same on on_threads, bit for bit: the chunk and tree order do not depend on the scheduler.
  CHECK(expr.compute(on_threads) == got);
  CHECK(expr.sum().compute(on_threads) == expr.sum().compute(on_sync));
  // Eigen in and out.
  Eigen::MatrixXd m = Eigen::MatrixXd::Random(9, 4);
  CHECK((da::from_eigen(m, {4, 3}) * 2).to_eigen(on_sync) == m * 2);
  CHECK(da::arange(3, 20, 2.5, {2}).compute(on_sync).to_vector<double>() ==
        std::vector<double>{3, 5.5, 8, 10.5, 13, 15.5, 18});
  CHECK(da::ones({5, 6}, {2, 4}).sum().compute(on_sync) == 30);
  CHECK(da::ones({1000, 1000}, {100, 100}).describe() ==
        "troupe.array<float64, shape=(1000, 1000), bytes=7.6 MiB, chunks=(100, 100) "
        "(78.1 KiB each), 100 chunks, 100 tasks, 1 fused operations>");
  // A reduction of data in 3 chunks: the 3 literal chunks, the plan (a value under a key of
  // its own, as in Dask's graphs), 3 partial folds and 1 combine.
  auto three = da::from_vector(std::vector<double>(9, 1.0), {9}, {3});
  CHECK(three.task_count() == 3);
  CHECK(three.sum().array().task_count() == 3 + 3 + 1 + 1);
  CHECK(da::zeros({0, 6}).sum().compute(on_sync) == 0);
}

TEST_CASE("array: slices follow Python's rules, negative steps included", "[array]") {
  const std::int64_t rows = 11, cols = 7;
  const auto values = ramp(rows * cols);
  auto x = da::from_vector(values, {rows, cols}, {3, 4});
  std::vector<std::optional<std::int64_t>> bounds{std::nullopt, 0, 1, 3, 6, 10, 11, 50,
                                                  -1, -3, -11, -12, -50};
  std::size_t checked = 0;
  for (std::int64_t step : {1, 2, 3, -1, -2, -4}) {
    for (auto start : bounds) {
      for (auto stop : bounds) {
        auto want_rows = python_slice(rows, start, stop, step);
        auto want_cols = python_slice(cols, stop, start, -step);
        auto got = x.slice({{start, stop, step}, {stop, start, -step}}).compute(on_sync);
        REQUIRE(got.shape() == ndarray::shape_type{static_cast<std::int64_t>(want_rows.size()),
                                                   static_cast<std::int64_t>(want_cols.size())});
        std::size_t k = 0;
        for (auto r : want_rows)
          for (auto c : want_cols) REQUIRE(got.data<double>()[k++] == values[r * cols + c]);
        ++checked;
      }
    }
  }
  CHECK(checked == 6 * 13 * 13);
  // dask#3579: x[0::-1] is the first element alone.
  CHECK(x.slice({{0, {}, -1}}).compute(on_sync).shape() == ndarray::shape_type{1, cols});
  // Slices of slices, and a reduction over a slice.
  auto twice = x.slice({{1, {}, 2}, {{}, {}, -1}}).slice({{{}, {}, -1}, {1, 5, 3}});
  auto got = twice.compute(on_threads);
  double total = 0;
  std::vector<double> want;
  for (auto r : std::vector<std::int64_t>{9, 7, 5, 3, 1})
    for (auto c : std::vector<std::int64_t>{5, 2}) want.push_back(values[r * cols + c]), total += want.back();
  CHECK(got.to_vector<double>() == want);
  CHECK(twice.sum().compute(on_sync) == Approx(total));
  CHECK(x.slice({{5, 2}}).sum().compute(on_sync) == 0);  // empty
}

TEST_CASE("array: random numbers do not depend on chunking, slicing or scheduler", "[array]") {
  da::random::RandomState rs(2026);
  auto whole = rs.normal(10, 2, {60, 45}, {60, 45}).compute(on_sync);
  for (auto chunking : std::vector<da::chunks>{{{7, 5}}, {{1, 45}}, {{60, 1}}, "auto"}) {
    auto x = rs.normal(10, 2, {60, 45}, chunking);
    CHECK(x.compute(on_threads) == whole);
  }
  // A slice makes just the elements it needs, and they are the same numbers.
  auto part = rs.normal(10, 2, {60, 45}, {8, 8}).slice({{-1, 3, -4}, {2, {}, 5}}).compute(on_sync);
  std::size_t k = 0;
  for (auto r : python_slice(60, -1, 3, -4))
    for (auto c : python_slice(45, 2, {}, 5)) CHECK(part.data<double>()[k++] == whole.data<double>()[r * 45 + c]);
  // Element i is a pure function of (seed, i); another seed gives other numbers.
  CHECK(whole.data<double>()[1234] == 10 + 2 * troupe::kernels::standard_normal_at(2026, 1234));
  CHECK_FALSE(da::random::RandomState(2027).normal(10, 2, {60, 45}).compute(on_sync) == whole);
  // Moments of 10^6 draws: within 5 standard errors.
  auto big = rs.normal(3, 0.5, {1000, 1000}, {250, 400});
  const double n = 1e6;
  CHECK(std::abs(big.mean().compute(on_threads) - 3) < 5 * 0.5 / std::sqrt(n));
  auto centered = big - 3;
  const double variance = (centered * centered).mean().compute(on_threads);
  CHECK(std::abs(variance - 0.25) < 5 * 0.25 * std::sqrt(2 / n));
  auto u = rs.uniform(-1, 3, {1000, 1000}, {300, 300});
  CHECK(u.min().compute(on_threads) >= -1);
  CHECK(u.max().compute(on_threads) < 3);
  CHECK(std::abs(u.mean().compute(on_threads) - 1) < 5 * (4 / std::sqrt(12.0)) / std::sqrt(n));
}

TEST_CASE("array: bad input is refused with a clear error", "[array]") {
  auto x = da::ones({4, 5}, {2, 2});
  CHECK_THROWS_WITH(x + da::ones({5, 4}), Contains("shapes (4, 5) and (5, 4)"));
  CHECK_THROWS_WITH(x.slice({{0, 3, 0}}), Contains("step cannot be zero"));
  CHECK_THROWS_WITH(x.slice({{}, {}, {}}), Contains("3 slices for a 2-d array"));
  CHECK_THROWS_WITH(da::ones({4, 5}, {0, 2}), Contains("at least 1"));
  CHECK_THROWS_WITH(da::ones({4, 5}, {2}), Contains("do not match the 2 dimensions"));
  CHECK_THROWS_WITH(da::ones({4, -5}), Contains("negative extent"));
  CHECK_THROWS_WITH(da::ones({4}, "big"), Contains("give \"auto\""));
  CHECK_THROWS_WITH(da::arange(0, 1, 0), Contains("step not 0"));
  CHECK(std::isnan(da::zeros({0}).mean().compute(on_sync)));  // as numpy's
  CHECK(std::isnan(da::zeros({0, 3}).var().compute(on_sync)));
  CHECK(da::zeros({0, 3}, {2, 2}).var({1}).shape() == da::shape_type{0});
  CHECK_THROWS_WITH(da::from_vector({1, 2, 3}, {2, 2}), Contains("do not fill the shape"));
  troupe::config::set("array.chunk-size", "lots");
  CHECK_THROWS_WITH(da::ones({4, 5}), Contains("array.chunk-size"));
  troupe::config::set("array.chunk-size", "800");  // 100 float64s: 10 x 10 chunks
  CHECK(da::ones({95, 1000}).chunk_shape() == da::shape_type{10, 10});
  CHECK(da::ones({3, 1000}).chunk_shape() == da::shape_type{3, 33});
  troupe::config::unset("array.chunk-size");
  CHECK(da::ones({200000, 200000}).chunk_shape() == da::shape_type{4096, 4096});
  CHECK_THROWS_WITH(da::ones({2, 3, 4}).to_eigen(on_sync), Contains("needs a 2-d array"));
}

TEST_CASE("array: computed on a cluster of worker processes, the same numbers",
          "[array][cluster][processes]") {
  da::random::RandomState rs(7);
  auto x = (rs.normal(1, 3, {300, 200}, {64, 64}) * 2 + da::arange(0, 200, 1, {64}).sum().compute(on_sync))
               .slice({{{}, {}, -1}, {10, -10, 3}});
  auto local = x.compute(on_sync);
  auto sum = x.sum().compute(on_sync);
  // int64 chunks given as lists, through windows across chunk boundaries.
  std::vector<std::int64_t> counts(7 * 5);
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] = static_cast<std::int64_t>(i * 31 % 17);
  auto ints = da::from_vector(counts, {7, 5}, da::chunk_lists{{2, 5}, {1, 4}});
  auto folded = (ints.reversed() * 3).sum({0}).compute(on_sync);
  troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  CHECK(x.compute() == local);
  CHECK(x.sum().compute() == sum);
  CHECK((ints.reversed() * 3).sum({0}).compute() == folded);
  CHECK(folded.type() == troupe::dtype::int64);
}

namespace {

/// A brute-force fold of a C-order rows x cols x depth block along the axes in `mask`.
std::vector<double> fold_3d(const std::vector<double>& v, const std::vector<std::int64_t>& shape,
                            const std::vector<bool>& mask, const std::string& op) {
  std::vector<std::int64_t> out_shape;
  for (std::size_t d = 0; d < 3; ++d) out_shape.push_back(mask[d] ? 1 : shape[d]);
  const auto out_size = out_shape[0] * out_shape[1] * out_shape[2];
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(out_size));
  for (std::int64_t i = 0; i < shape[0]; ++i)
    for (std::int64_t j = 0; j < shape[1]; ++j)
      for (std::int64_t k = 0; k < shape[2]; ++k) {
        const auto o = ((mask[0] ? 0 : i) * out_shape[1] + (mask[1] ? 0 : j)) * out_shape[2] +
                       (mask[2] ? 0 : k);
        groups[static_cast<std::size_t>(o)].push_back(v[(i * shape[1] + j) * shape[2] + k]);
      }
  std::vector<double> out;
  for (const auto& g : groups) {
    double r = op == "prod" ? 1 : op == "min" ? INFINITY : op == "max" ? -INFINITY : 0;
    for (double x : g) {
      if (op == "sum" || op == "mean" || op == "var") r += x;
      if (op == "prod") r *= x;
      if (op == "min") r = std::min(r, x);
      if (op == "max") r = std::max(r, x);
    }
    if (op == "mean") r /= static_cast<double>(g.size());
    if (op == "var") {
      const double mean = r / static_cast<double>(g.size());
      r = 0;
      for (double x : g) r += (x - mean) * (x - mean);
      r /= static_cast<double>(g.size());
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("array: reductions along axes match a brute-force fold", "[array]") {
  const std::vector<std::int64_t> shape{7, 6, 5};
  std::vector<double> v(7 * 6 * 5);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i)) * 3 + 0.5;
  auto x = da::from_vector(v, shape, {3, 4, 2});
  const std::vector<std::vector<std::int64_t>> axis_sets{{0}, {1}, {2}, {0, 2}, {-1, -2}, {0, 1, 2}};
  for (const auto& axes : axis_sets) {
    std::vector<bool> mask(3, false);
    for (auto a : axes) mask[static_cast<std::size_t>(a < 0 ? a + 3 : a)] = true;
    for (std::string op : {"sum", "mean", "min", "max", "prod", "var"}) {
      INFO(op << " over " << axes.size() << " axes, first " << axes.front());
      auto want = fold_3d(v, shape, mask, op);
      for (bool keepdims : {false, true}) {
        da::Array r = op == "sum"    ? x.sum(axes, keepdims)
                      : op == "mean" ? x.mean(axes, keepdims)
                      : op == "min"  ? x.min(axes, keepdims)
                      : op == "max"  ? x.max(axes, keepdims)
                      : op == "prod" ? x.prod(axes, keepdims)
                                     : x.var(axes, 0, keepdims);
        auto got = r.compute(keepdims ? on_threads : on_sync);
        ndarray::shape_type want_shape;
        for (std::size_t d = 0; d < 3; ++d)
          if (!mask[d] || keepdims) want_shape.push_back(mask[d] ? 1 : shape[d]);
        REQUIRE(got.shape() == want_shape);
        for (std::size_t i = 0; i < want.size(); ++i)
          REQUIRE(got.data<double>()[i] == Approx(want[i]).epsilon(1e-12).margin(1e-12));
      }
    }
  }
  // std with ddof, and the whole-array forms.
  double mean = 0, m2 = 0;
  for (double e : v) mean += e;
  mean /= static_cast<double>(v.size());
  for (double e : v) m2 += (e - mean) * (e - mean);
  CHECK(x.stddev(1).compute(on_sync) == Approx(std::sqrt(m2 / (v.size() - 1))).epsilon(1e-12));
  CHECK(x.var().compute(on_threads) == Approx(m2 / v.size()).epsilon(1e-12));
  // A reduction's result feeds further work: the mean of each row's maximum, minus 1.
  auto rows = da::from_vector(v, {35, 6}, {8, 4});
  double expected = 0;
  for (std::size_t r = 0; r < 35; ++r)
    expected += *std::max_element(v.begin() + r * 6, v.begin() + r * 6 + 6) - 1;
  CHECK((rows.max({1}) - 1).mean().compute(on_sync) == Approx(expected / 35).epsilon(1e-12));
  // Empty and out-of-range axes.
  CHECK(da::zeros({0, 3}).sum({0}).compute(on_sync).to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK_THROWS_WITH(x.sum({3}), Contains("axis 3 is out of range"));
  CHECK_THROWS_WITH(x.sum({1, -2}), Contains("given twice"));
  CHECK_THROWS_WITH(da::zeros({0, 3}).max({0}), Contains("empty array"));
}

TEST_CASE("array: transpose, dot and elementwise functions match Eigen", "[array]") {
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(23, 17), b = Eigen::MatrixXd::Random(17, 11);
  auto x = da::from_eigen(a, {5, 4});
  auto y = da::from_eigen(b, {6, 3});  // inner chunks differ from x's: boxes line them up
  CHECK(x.transpose().to_eigen(on_sync) == a.transpose());
  CHECK(x.transpose().shape() == da::shape_type{17, 23});
  Eigen::MatrixXd product = x.dot(y).to_eigen(on_threads);
  CHECK(product.isApprox(a * b, 1e-12));
  CHECK(x.dot(x.transpose()).to_eigen(on_sync).isApprox(a * a.transpose(), 1e-12));
  // A product of generated and sliced operands, and its reduction.
  auto r = da::random::RandomState(5).normal(0, 1, {40, 30}, {16, 16});
  Eigen::MatrixXd rm = r.to_eigen(on_sync);
  auto rr = r.slice({{{}, {}, -1}}).transpose().dot(r);
  Eigen::MatrixXd want = rm.colwise().reverse().transpose() * rm;
  CHECK(rr.to_eigen(on_sync).isApprox(want, 1e-12));
  CHECK(rr.mean({0}).compute(on_sync).size() == 30);
  // Elementwise functions, comparisons and where against a loop.
  auto g = da::arange(-3, 5, 0.5, {5});
  auto got = da::where(g > 0.0, da::sqrt(da::abs(g)) + da::exp(g * 0.1), da::log(1.0 - g)).compute(on_sync);
  auto gv = da::arange(-3, 5, 0.5, {16}).compute(on_sync).to_vector<double>();
  for (std::size_t i = 0; i < gv.size(); ++i) {
    const double e = gv[i];
    CHECK(got.data<double>()[i] == (e > 0 ? std::sqrt(std::abs(e)) + std::exp(e * 0.1) : std::log(1.0 - e)));
  }
  CHECK((g == g).sum().compute(on_sync) == 16);
  CHECK((g < 0.0).sum().compute(on_sync) == 6);
  CHECK(da::linalg::norm(g).compute(on_sync) == Approx(std::sqrt([&] {
    double s = 0;
    for (double e : gv) s += e * e;
    return s;
  }())));
  CHECK_THROWS_WITH(x.dot(x), Contains("do not make a product"));
  // With vectors, as numpy.dot.
  Eigen::VectorXd v = Eigen::VectorXd::Random(17), w = Eigen::VectorXd::Random(23);
  auto vx = da::from_vector(std::vector<double>(v.data(), v.data() + 17), {17}, {5});
  auto wx = da::from_vector(std::vector<double>(w.data(), w.data() + 23), {23}, {7});
  auto av = x.dot(vx).compute(on_sync);
  auto wa = wx.dot(x).compute(on_threads);
  Eigen::VectorXd want_av = a * v, want_wa = a.transpose() * w;
  for (int i = 0; i < 23; ++i) CHECK(av.data<double>()[i] == Approx(want_av(i)).epsilon(1e-12));
  for (int i = 0; i < 17; ++i) CHECK(wa.data<double>()[i] == Approx(want_wa(i)).epsilon(1e-12));
  CHECK(vx.dot(vx).compute(on_sync).data<double>()[0] == Approx(v.dot(v)).epsilon(1e-12));
  CHECK_THROWS_WITH(x.transpose({0, 0}), Contains("given twice"));
  CHECK(da::zeros_like(x).sum().compute(on_sync) == 0);
  CHECK(da::full_like(x, 2).chunk_shape() == x.chunk_shape());
}

TEST_CASE("array: rows longer than a tile are worked through in pieces", "[array]") {
  // Chunks of 2 x 15,000: a row is more than one tile, so tiles are pieces of single rows.
  const std::int64_t rows = 3, cols = 20000;
  std::vector<double> v(rows * cols);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.001 * static_cast<double>(i)) + 0.25;
  auto x = da::from_vector(v, {rows, cols}, {2, 15000});
  auto reversed = x.reversed().compute(on_sync);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      REQUIRE(reversed.data<double>()[r * cols + c] == v[(rows - 1 - r) * cols + (cols - 1 - c)]);
  auto column_sums = x.sum({0}).compute(on_threads);
  auto row_vars = x.var({1}, 1).compute(on_sync);
  for (std::int64_t c = 0; c < cols; ++c)
    REQUIRE(column_sums.data<double>()[c] == Approx(v[c] + v[cols + c] + v[2 * cols + c]));
  for (std::int64_t r = 0; r < rows; ++r) {
    double mean = 0, m2 = 0;
    for (std::int64_t c = 0; c < cols; ++c) mean += v[r * cols + c];
    mean /= cols;
    for (std::int64_t c = 0; c < cols; ++c) m2 += (v[r * cols + c] - mean) * (v[r * cols + c] - mean);
    CHECK(row_vars.data<double>()[r] == Approx(m2 / (cols - 1)).epsilon(1e-12));
  }
  CHECK(x.max().compute(on_sync) == *std::max_element(v.begin(), v.end()));
}

namespace {

/// A registered block function for map_blocks: x -> 2x + 1.
ndarray twice_plus_one(const ndarray& block) {
  ndarray out(troupe::dtype::float64, block.shape());
  for (std::size_t i = 0; i < block.size(); ++i)
    out.mutable_data<double>()[i] = 2 * block.data<double>()[i] + 1;
  return out;
}
TROUPE_FUNCTION(twice_plus_one);

}  // namespace

TEST_CASE("array: broadcasting, integer indexing, rechunk, map_blocks and store", "[array]") {
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(9, 7);
  auto x = da::from_eigen(a, {4, 3});
  // Rows centred by their means: (9, 7) - (9, 1), as numpy broadcasts.
  auto centred = (x - x.mean({1}, true)).to_eigen(on_sync);
  Eigen::MatrixXd want = a.colwise() - a.rowwise().mean();
  CHECK(centred.isApprox(want, 1e-12));
  // (7,) against (9, 7), and a (9, 1) column against a (1, 7) row.
  auto row = da::arange(0, 7, 1, {3});
  Eigen::MatrixXd sum_rows = (x + row).to_eigen(on_threads);
  auto column = da::arange(0, 9, 1, {2}).broadcast_to({1, 9}).transpose();
  Eigen::MatrixXd outer = (column * row.broadcast_to({1, 7})).to_eigen(on_sync);
  for (int r = 0; r < 9; ++r)
    for (int c = 0; c < 7; ++c) {
      CHECK(sum_rows(r, c) == a(r, c) + c);
      CHECK(outer(r, c) == r * c);
    }
  CHECK(da::where(x > 0.0, x, 0.0 * row).min().compute(on_sync) >= 0);
  CHECK_THROWS_WITH(x + da::ones({9}), Contains("do not broadcast"));
  CHECK_THROWS_WITH(x.broadcast_to({7}), Contains("cannot broadcast"));
  // Integer indexing and squeeze.
  auto third_row = x.select(0, 2).compute(on_sync);
  auto last_column = x.select(1, -1).compute(on_sync);
  REQUIRE(third_row.shape() == ndarray::shape_type{7});
  REQUIRE(last_column.shape() == ndarray::shape_type{9});
  for (int c = 0; c < 7; ++c) CHECK(third_row.data<double>()[c] == a(2, c));
  for (int r = 0; r < 9; ++r) CHECK(last_column.data<double>()[r] == a(r, 6));
  CHECK(x.select(0, 4).select(0, 5).compute(on_sync).data<double>()[0] == a(4, 5));
  CHECK_THROWS_WITH(x.select(0, 9), Contains("out of range"));
  CHECK_THROWS_WITH(x.squeeze({0}), Contains("not 1"));
  CHECK(x.sum({1}, true).squeeze().shape() == da::shape_type{9});
  // Rechunk: the same numbers in other chunks.
  auto again = x.rechunk({2, 7});
  CHECK(again.chunk_shape() == da::shape_type{2, 7});
  CHECK(again.to_eigen(on_threads) == a);
  CHECK(x.reversed().rechunk({5, 5}).to_eigen(on_sync) == a.reverse());
  // map_blocks with a registered function, and an unknown name.
  Eigen::MatrixXd mapped = ((2 * a).array() + 1).matrix();
  CHECK(x.map_blocks("twice_plus_one").to_eigen(on_sync) == mapped);
  CHECK_THROWS_WITH(x.map_blocks("no_such_block_function"), Contains("TROUPE_FUNCTION"));
  // store: the raw file holds the elements in C order.
  const std::string path = "/tmp/troupe-array-store-test-" + std::to_string(::getpid()) + ".f64";
  x.transpose().store(path, on_threads);
  std::vector<double> back(9 * 7);
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    CHECK(std::fread(back.data(), sizeof(double), back.size(), f) == back.size());
    CHECK(std::fgetc(f) == EOF);
    std::fclose(f);
  }
  std::remove(path.c_str());
  for (int c = 0; c < 7; ++c)
    for (int r = 0; r < 9; ++r) CHECK(back[c * 9 + r] == a(r, c));
  CHECK_THROWS_WITH(x.store("/nonexistent-dir/x.f64"), Contains("cannot create /nonexistent-dir/x.f64"));
}

TEST_CASE("array: a task that cannot fit is refused before anything runs", "[array]") {
  troupe::config::set("array.task-memory", std::to_string(1 << 20));  // 1 MiB a task
  auto x = da::ones({1000, 1000}, {1000, 1000});
  // A reduction folds its chunk tile by tile: it fits.
  CHECK(x.sum().compute(on_sync) == 1e6);
  // Materialising 8 MB chunks does not, and the error says which chunks would.
  CHECK_THROWS_WITH(x.map_blocks("twice_plus_one"),
                    Contains("computing a chunk of shape (1000, 1000) needs about") &&
                        Contains("rechunk to chunks of at most (") && Contains("array.task-memory"));
  CHECK_THROWS_WITH(x.dot(x), Contains("a block product of (1000, 1000) by (1000, 1000)"));
  CHECK_THROWS_WITH(x.compute(on_sync), Contains("compute() joins the whole array"));
  // The suggested chunking fits.
  std::string message;
  try {
    (void)x.map_blocks("twice_plus_one");
  } catch (const troupe::ArgumentError& e) {
    message = e.what();
  }
  const auto at = message.find("at most (") + 9;
  const auto side = std::stoll(message.substr(at));
  CHECK(side < 400);
  CHECK(x.rechunk({side, side}).map_blocks("twice_plus_one").sum().compute(on_sync) == 3e6);
  troupe::config::set("array.task-memory", "lots");
  CHECK_THROWS_WITH(x.map_blocks("twice_plus_one"), Contains("give a positive number of bytes"));
  troupe::config::unset("array.task-memory");
}

namespace {

std::atomic<int> blocks_made{0};

/// A block function that counts its calls (in this process: an in-process cluster).
ndarray counted_square(const ndarray& block) {
  ++blocks_made;
  ndarray out(troupe::dtype::float64, block.shape());
  for (std::size_t i = 0; i < block.size(); ++i)
    out.mutable_data<double>()[i] = block.data<double>()[i] * block.data<double>()[i];
  return out;
}
TROUPE_FUNCTION(counted_square);

}  // namespace

TEST_CASE("array: persist keeps the chunks, here or on a cluster", "[array][cluster]") {
  auto x = da::arange(0.0, 60, 1, {7}).map_blocks("counted_square");  // 9 chunks
  const double want = 59.0 * 60 * 119 / 6;                        // sum of squares below 60
  blocks_made = 0;
  auto local = x.persist(on_sync);
  CHECK(blocks_made == 9);
  CHECK(local.sum().compute(on_threads) == want);
  CHECK((local * 2.0).sum().compute(on_sync) == 2 * want);
  CHECK(blocks_made == 9);  // computed once
  {
    troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1,
                                               .processes = false});
    blocks_made = 0;
    int made = 0;
    {
      auto kept = x.persist();
      CHECK(kept.sum().compute() == want);
      // Each chunk made once (a steal takes only tasks that have not started), and not again.
      made = blocks_made;
      CHECK(made == 9);
      CHECK(kept.max().compute() == 59.0 * 59.0);
      // The same chunks by recipe have the same keys: while kept, they are reused.
      CHECK(x.sum().compute() == want);
      CHECK(blocks_made == made);
    }
    // Released with the last handle: computing x again makes them again.
    CHECK(x.sum().compute() == want);
    CHECK(blocks_made == made + 9);
  }
}

TEST_CASE("array: edges — 0-d arrays, NaN, and sizes past what fits", "[array]") {
  CHECK(da::ones({}).sum().compute(on_sync) == 1);
  auto scalar_plus_row = (da::full({}, 3) + da::arange(0, 3)).compute(on_sync);
  CHECK(scalar_plus_row.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 4, 5});
  // NaN wins min and max, as in numpy, wherever it sits in the chunks.
  auto with_nan = da::from_vector({1, NAN, 3, 0.5, 7}, {5}, {2});
  CHECK(std::isnan(with_nan.max().compute(on_sync)));
  CHECK(std::isnan(with_nan.min().compute(on_threads)));
  CHECK(da::from_vector({1, 7, 3}, {3}, {2}).max().compute(on_sync) == 7);
  // Shapes and chunk counts past what troupe can hold are refused, not attempted.
  CHECK_THROWS_WITH(da::ones({1LL << 40, 1LL << 40}), Contains("more elements than"));
  CHECK_THROWS_WITH(da::arange(0, 1e30, 1e-30), Contains("more than an array can hold"));
  // A reduction of a generated array makes a bounded graph whatever its chunk count
  // (1e8 chunks: 1,526 tasks of 16^4 chunks each, their 103 combines, the plan and the
  // chunk lists).
  CHECK(da::ones({100000, 100000}, {10, 10}).sum().array().task_count() == 1526 + 103 + 2);
  CHECK_THROWS_WITH(da::ones({100000, 100000}, {10, 10}).map_blocks("twice_plus_one"),
                    Contains("makes 100000000 tasks,") && Contains("use larger chunks"));
  // A file larger than its file system's free space is refused before anything is written
  // (8 TiB here).
  const std::string never = "/tmp/troupe-never-made-" + std::to_string(::getpid());
  CHECK_THROWS_WITH(da::ones({1 << 20, 1 << 20}, {1 << 10, 1 << 10}).store(never),
                    Contains("free") && Contains(never));
  CHECK(std::fopen(never.c_str(), "rb") == nullptr);
}

namespace {

/// A block function slow enough for a worker to be killed while a computation runs.
ndarray slow_copy(const ndarray& block) {
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ndarray out(troupe::dtype::float64, block.shape());
  std::copy_n(block.data<double>(), block.size(), out.mutable_data<double>());
  return out;
}
TROUPE_FUNCTION(slow_copy);

}  // namespace

TEST_CASE("array: a worker process killed mid-reduction, the result is still exact",
          "[array][cluster][processes]") {
  // 64 chunks of 25 ms each on 2 worker processes: worker-0 is killed (kill -9) part-way; its
  // chunks and partials are made again elsewhere, and the fixed reduction tree gives the same
  // bits as the sync scheduler.
  auto x = da::random::RandomState(11).normal(0, 1, {800, 800}, {100, 100}).map_blocks("slow_copy");
  const double want = (x * 2.0).sum().compute(on_sync);
  troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  const auto victim = client.info().workers.at(0).pid;
  std::thread killer([victim] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(static_cast<pid_t>(victim), SIGKILL);
  });
  const double got = (x * 2.0).sum().compute();
  killer.join();
  CHECK(got == want);
}

TEST_CASE("array: dtypes follow numpy's rules, int64 exact or refused", "[array]") {
  using troupe::dtype;
  // Values beyond double's exact integers (2^53 + 1 and neighbours), checked in a plain loop.
  std::vector<std::int64_t> ints(37);
  for (std::size_t i = 0; i < ints.size(); ++i)
    ints[i] = static_cast<std::int64_t>(i * i) * (i % 2 == 0 ? 1 : -1) - 400;
  auto xi = da::from_vector(ints, {37}, {5});
  CHECK(xi.dtype() == dtype::int64);
  CHECK(xi.nbytes() == 37 * 8);
  std::int64_t sum = 0, max = ints[0];
  std::vector<std::int64_t> tripled;
  for (auto v : ints) {
    sum += v;
    max = std::max(max, v);
    tripled.push_back(v * 3 - 1);
  }
  for (const auto& options : {on_sync, on_threads}) {
    auto t = (xi * 3 - 1).compute(options);
    CHECK(t.type() == dtype::int64);
    CHECK(t.to_vector<std::int64_t>() == tripled);
    CHECK(xi.sum().dtype() == dtype::int64);
    CHECK(xi.sum().compute(options) == static_cast<double>(sum));
    CHECK(xi.max().compute(options) == static_cast<double>(max));
    CHECK(xi.reversed().compute(options).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>(ints.rbegin(), ints.rend()));
  }
  // Past 2^53 an int64 computation stops with an error instead of rounding.
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  auto beyond = da::from_vector(std::vector<std::int64_t>{1, big}, {2});
  CHECK(beyond.compute(on_sync).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, big});
  CHECK_THROWS_WITH((beyond + 1).compute(on_sync), Contains("2^53"));
  CHECK_THROWS_WITH((xi * 300000000000000).sum().compute(on_sync), Contains("astype(float64)"));
  CHECK_THROWS_WITH(xi + big, Contains("2^53"));
  CHECK_THROWS_WITH(((xi > 0) - (xi < 0)), Contains("cannot subtract bool arrays"));
  CHECK_THROWS_WITH(-(xi > 0), Contains("cannot negate bool arrays"));
  CHECK_THROWS_WITH(da::from_vector({1.0, NAN}, {2}).astype(dtype::int64).compute(on_sync),
                    Contains("not a number"));

  // bool: comparisons, and + and * as or and and; sums count.
  std::vector<bool> flags{true, false, true, true, false, false, true};
  auto b = da::from_vector(flags, {7}, {3});
  CHECK(b.dtype() == dtype::boolean);
  CHECK((b + !flags.empty()).dtype() == dtype::boolean);
  CHECK(b.sum().compute(on_threads) == 4);
  CHECK(b.sum().dtype() == dtype::int64);
  auto both = (b * b.reversed()).compute(on_sync);
  auto either = (b + b.reversed()).compute(on_sync);
  REQUIRE(both.type() == dtype::boolean);
  for (std::size_t i = 0; i < flags.size(); ++i) {
    CHECK(both.data<bool>()[i] == (flags[i] && flags[6 - i]));
    CHECK(either.data<bool>()[i] == (flags[i] || flags[6 - i]));
  }
  CHECK((b + 1).dtype() == dtype::int64);
  CHECK((b + 0.5).dtype() == dtype::float64);
  CHECK((da::ones({3}) > 0).dtype() == dtype::boolean);

  // float32: every operation rounds to float, as numpy's float32 arithmetic does.
  std::vector<float> floats{0.1f, 1.7f, -3.25f, 1e-3f, 12345.678f};
  auto xf = da::from_vector(floats, {5}, {2});
  CHECK(xf.dtype() == dtype::float32);
  auto scaled = (xf * 0.1 + xf / 3).compute(on_sync);
  REQUIRE(scaled.type() == dtype::float32);
  for (std::size_t i = 0; i < floats.size(); ++i)
    CHECK(scaled.data<float>()[i] == floats[i] * 0.1f + floats[i] / 3.0f);
  CHECK((xf + xi.slice({{0, 5}})).dtype() == dtype::float64);
  CHECK(da::sqrt(xi).dtype() == dtype::float64);
  CHECK(da::sqrt(xf).dtype() == dtype::float32);
  CHECK(xi.mean().dtype() == dtype::float64);
  CHECK(xf.var().dtype() == dtype::float32);

  // Creation: the value's kind picks the dtype, or the one given.
  CHECK(da::full({2}, 3).dtype() == dtype::int64);
  CHECK(da::full({2}, true).dtype() == dtype::boolean);
  CHECK(da::full({2}, 2.5, "auto", dtype::int64).compute(on_sync).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{2, 2});
  CHECK(da::ones({4}, {3}, dtype::float32).compute(on_sync).to_vector<float>() ==
        std::vector<float>{1, 1, 1, 1});
  CHECK(da::arange(0, 10, 3).dtype() == dtype::int64);
  CHECK(da::arange(0, 10, 2.5).dtype() == dtype::float64);
  CHECK(da::zeros_like(xi).dtype() == dtype::int64);
  CHECK_THAT(xi.describe(), Contains("int64") && Contains("40 B each"));

  // The file store writes holds elements of the array's dtype.
  const std::string path = "/tmp/troupe-array-store-int-" + std::to_string(::getpid()) + ".i64";
  xi.store(path, on_threads);
  std::vector<std::int64_t> back(ints.size());
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  CHECK(std::fread(back.data(), sizeof(std::int64_t), back.size(), f) == back.size());
  CHECK(std::fgetc(f) == EOF);
  std::fclose(f);
  std::remove(path.c_str());
  CHECK(back == ints);
}

TEST_CASE("array: linspace, matmul, unseeded random and var along an axis", "[array]") {
  // numpy.linspace's formula, element by element, with stop exactly last.
  auto l = da::linspace(-1, 2.5, 13, {4}).compute(on_sync).to_vector<double>();
  REQUIRE(l.size() == 13);
  for (int i = 0; i < 12; ++i) CHECK(l[i] == -1 + i * (3.5 / 12));
  CHECK(l[12] == 2.5);
  CHECK(da::linspace(3, 4, 1).compute(on_sync).to_vector<double>() == std::vector<double>{3});
  CHECK(da::linspace(3, 4, 0).size() == 0);
  CHECK(da::linspace(0, 1, 4, "auto", false).compute(on_sync).to_vector<double>() ==
        std::vector<double>{0, 0.25, 0.5, 0.75});
  CHECK_THROWS_WITH(da::linspace(0, 1, -1), Contains("at least 0"));

  Eigen::MatrixXd a = Eigen::MatrixXd::Random(6, 4), c = Eigen::MatrixXd::Random(4, 5);
  CHECK(da::matmul(da::from_eigen(a, {4, 3}), da::from_eigen(c, {2, 2})).to_eigen(on_sync)
            .isApprox(a * c, 1e-14));

  // Unseeded: a fresh seed each call, each array still the same on recompute.
  auto r1 = da::random::normal(0, 1, {50}), r2 = da::random::normal(0, 1, {50});
  CHECK(r1.compute(on_sync) == r1.compute(on_threads));
  CHECK_FALSE(r1.compute(on_sync) == r2.compute(on_sync));

  // x.var({0}) is the variance along axis 0 (not the whole array's with ddof 0).
  auto x = da::from_eigen(a, {4, 3});
  auto v0 = x.var({0}).compute(on_sync).to_vector<double>();
  REQUIRE(v0.size() == 4);
  for (int j = 0; j < 4; ++j) {
    const double mean = a.col(j).mean();
    CHECK(v0[j] == Approx((a.col(j).array() - mean).square().mean()).epsilon(1e-12));
  }
  CHECK(x.stddev(1).compute(on_sync) ==
        Approx(std::sqrt((a.array() - a.mean()).square().sum() / 23)).epsilon(1e-12));
}

TEST_CASE("array: chunks given as per-dimension lists", "[array]") {
  std::vector<double> values(10 * 7);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i * i % 97) - 40;
  auto x = da::from_vector(values, {10, 7}, da::chunk_lists{{3, 1, 6}, {7}});
  CHECK(x.chunk_lists() == da::chunk_lists{{3, 1, 6}, {7}});
  CHECK(x.chunk_count() == 3);
  CHECK(x.chunk_shape() == da::shape_type{6, 7});
  CHECK(x.compute(on_sync).to_vector<double>() == values);
  // Sums along rows, by a loop.
  auto rows = x.sum({1}).compute(on_threads).to_vector<double>();
  REQUIRE(rows.size() == 10);
  for (int r = 0; r < 10; ++r) {
    double want = 0;
    for (int c = 0; c < 7; ++c) want += values[r * 7 + c];
    CHECK(rows[r] == want);
  }
  // Reduction results keep the lists of the dimensions they keep.
  CHECK(x.sum({1}).chunk_lists() == da::chunk_lists{{3, 1, 6}});
  // Operands of other chunkings combine; the result takes the first's lists.
  auto y = da::from_vector(values, {10, 7}, {4, 4});
  auto both = (x + y).compute(on_sync).to_vector<double>();
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(both[i] == 2 * values[i]);
  CHECK((x + y).chunk_lists() == x.chunk_lists());
  // rechunk to lists and back; transposes permute them.
  auto z = y.rechunk(da::chunk_lists{{1, 1, 8}, {2, 5}});
  CHECK(z.chunk_count() == 6);
  CHECK(z.compute(on_sync).to_vector<double>() == values);
  CHECK(z.transpose().chunk_lists() == da::chunk_lists{{2, 5}, {1, 1, 8}});
  CHECK(da::ones({0, 3}, da::chunk_lists{{}, {3}}).sum().compute(on_sync) == 0);
  // Lists that do not fit the shape are refused with what is wrong.
  CHECK_THROWS_WITH(da::ones({10}, da::chunk_lists{{3, 3}}), Contains("adds up to 6, not its length 10"));
  CHECK_THROWS_WITH(da::ones({10}, da::chunk_lists{{5, 0, 5}}), Contains("at least 1"));
  CHECK_THROWS_WITH(da::ones({10, 2}, da::chunk_lists{{10}}), Contains("1 chunk lists for the 2 dimensions"));
}

TEST_CASE("array: reductions over many chunks fold sixteen chunks a task", "[array]") {
  // 90,000 chunks of one element (past grouped_from, 16,384): 352 tasks of 256 chunks (at
  // most max_grid_tasks = 4,096), each folding its chunks as two levels of the combine tree.
  auto ones = da::ones({300, 300}, {1, 1});
  // The plan, the chunk lists, the folds, then the tree over them.
  CHECK(ones.sum().array().task_count() == 1 + 1 + 352 + 22 + 2 + 1);
  CHECK(ones.sum().compute(on_threads) == 90000);
  auto x = da::random::RandomState(3).normal(0, 1, {300, 300}, {1, 1});
  auto whole = x.compute(on_sync);  // one chunk task per element: 90,000 tasks
  const double* v = whole.data<double>();
  auto columns = x.sum({0}).compute(on_threads).to_vector<double>();
  auto maxima = x.max({1}).compute(on_sync).to_vector<double>();
  REQUIRE(columns.size() == 300);
  for (int c = 0; c < 300; ++c) {
    double sum = 0, max = -INFINITY;
    for (int r = 0; r < 300; ++r) {
      sum += v[r * 300 + c];
      max = std::max(max, v[c * 300 + r]);
    }
    CHECK(columns[c] == Approx(sum).margin(1e-12));
    CHECK(maxima[c] == max);
  }
  // The same numbers on every scheduler, and the same as one task a chunk (the persisted
  // array is data: its reduction reads each chunk in a task of its own).
  CHECK(x.var().compute(on_sync) == x.var().compute(on_threads));
  auto kept = x.persist(on_threads);
  CHECK(kept.sum().compute(on_sync) == x.sum().compute(on_sync));
  CHECK(kept.var({1}).compute(on_sync) == x.var({1}).compute(on_threads));
  CHECK(kept.max({0}, true).compute(on_sync) == x.max({0}, true).compute(on_sync));
}

TEST_CASE("array: constant operands as scalars and fused product sums give the same bits",
          "[array]") {
  auto rs = da::random::RandomState(19);
  auto x = rs.normal(0, 1, {130, 97}, {40, 33});
  auto y = rs.uniform(-2, 2, {130, 97}, {50, 20});
  // A constant operand (full, sliced or cast) is taken as a scalar; the same constant as
  // data is filled in as a tile. The numbers must not differ.
  auto three = da::full({130, 97}, 3.0, {40, 33});
  auto three_as_data = da::from_vector(std::vector<double>(130 * 97, 3.0), {130, 97}, {40, 33});
  for (const auto& [with_constant, with_data] :
       std::vector<std::pair<da::Array, da::Array>>{
           {x * three, x * three_as_data},
           {three.reversed() - x, three_as_data.reversed() - x},
           {x / three.astype(troupe::dtype::float32), x / three_as_data.astype(troupe::dtype::float32)},
           {three < x, three_as_data < x}}) {
    CHECK(with_constant.compute(on_sync) == with_data.compute(on_sync));
  }
  // Sums of products add the products as they are made: the same bits as summing a stored
  // product tile (+ 0.0 keeps the tile path), on every scheduler.
  const double fused = (x * y).sum().compute(on_sync);
  CHECK(fused == ((x * y) + 0.0).sum().compute(on_sync));
  CHECK(fused == (x * y).sum().compute(on_threads));
  CHECK((x * three).sum({1}).compute(on_sync) == ((x * three_as_data) + 0.0).sum({1}).compute(on_sync));
  CHECK((da::ones({90, 70}, {32, 32}) * da::ones({90, 70}, {32, 32}).reversed()).sum().compute(on_sync) ==
        90 * 70);
}

namespace {

ndarray to_float32(const ndarray& a) {
  ndarray out(troupe::dtype::float32, a.shape());
  for (std::size_t i = 0; i < a.size(); ++i)
    out.mutable_data<float>()[i] = static_cast<float>(a.data<double>()[i]);
  return out;
}
TROUPE_FUNCTION(to_float32);

ndarray first_row_only(const ndarray& a) {
  ndarray out(a.type(), {1, a.shape()[1]});
  std::copy_n(a.data<double>(), a.shape()[1], out.mutable_data<double>());
  return out;
}
TROUPE_FUNCTION(first_row_only);

}  // namespace

TEST_CASE("array: map_blocks with another dtype, and a block of the wrong shape", "[array]") {
  auto x = da::arange(0.0, 24, 1, {5}).broadcast_to({3, 24}).rechunk({2, 5}) * 0.1;
  auto as_float = x.map_blocks("to_float32", troupe::dtype::float32);
  CHECK(as_float.dtype() == troupe::dtype::float32);
  auto got = as_float.compute(on_sync);
  REQUIRE(got.type() == troupe::dtype::float32);
  auto want = x.compute(on_sync);
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(got.data<float>()[i] == static_cast<float>(want.data<double>()[i]));
  CHECK(as_float.sum().compute(on_threads) == Approx(0.1 * 3 * 276).epsilon(1e-6));
  // Not declared: the chunks disagree with the array's dtype, and the error says how to fix it.
  CHECK_THROWS_WITH(x.map_blocks("to_float32").compute(on_sync), Contains("map_blocks(name, dtype)"));
  // A block of another shape is refused where it is read, never read past or left unwritten.
  CHECK_THROWS_WITH(x.map_blocks("first_row_only").compute(on_sync), Contains("must return its block's shape") || Contains("elements for an array of"));
  CHECK_THROWS_WITH(x.map_blocks("first_row_only").reversed().sum().compute(on_sync),
                    Contains("must return its block's shape"));
}

TEST_CASE("array: a generated array is stored by tasks that make and write runs of chunks",
          "[array]") {
  auto read_back = [](const std::string& path, std::size_t bytes) {
    std::vector<char> data(bytes);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE(f != nullptr);
    CHECK(std::fread(data.data(), 1, bytes, f) == bytes);
    CHECK(std::fgetc(f) == EOF);
    std::fclose(f);
    std::remove(path.c_str());
    return data;
  };
  const std::string path = "/tmp/troupe-array-store-grid-" + std::to_string(::getpid());
  // Irregular chunks of a random array, then the same elements as compute() gives.
  auto x = da::random::RandomState(4).normal(1, 2, {37, 23}, da::chunk_lists{{5, 30, 2}, {7, 16}});
  x.store(path, on_threads);
  auto want = x.compute(on_sync);
  auto got = read_back(path, want.nbytes());
  CHECK(std::memcmp(got.data(), want.bytes(), want.nbytes()) == 0);
  // 15,000 one-element chunks: 3,750 tasks of 4 chunks each; int64 elements.
  auto r = da::arange(0, 15000, 1, {1});
  r.store(path, on_threads);
  auto values = read_back(path, 15000 * 8);
  std::vector<std::int64_t> ints(15000);
  std::memcpy(ints.data(), values.data(), values.size());
  for (std::int64_t i = 0; i < 15000; ++i) CHECK(ints[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("array: defects a new user's trial found stay fixed", "[array]") {
  using troupe::dtype;
  const std::int64_t p = std::int64_t{1} << 53;
  // An int64 sum whose partial passes 2^53 is an error, never a rounded sum (it was
  // 9007199254740987 for P - 4, silently).
  CHECK_THROWS_WITH(da::from_vector(std::vector<std::int64_t>{p - 1, 2, -5}, {3}, {1}).sum().compute(on_sync),
                    Contains("2^53") && Contains("astype(float64)"));
  CHECK(da::from_vector(std::vector<std::int64_t>{p - 1, -2, -5}, {3}, {1}).sum().compute(on_threads) ==
        static_cast<double>(p - 8));
  // Integer bounds beyond 2^53 are refused with the number given (it was an empty array).
  CHECK_THROWS_WITH(da::arange(std::int64_t{1} << 62, (std::int64_t{1} << 62) + 3, 1),
                    Contains(std::to_string(std::int64_t{1} << 62)));
  CHECK_THROWS_WITH(da::arange(0, 3) + (p + 1), Contains(std::to_string(p + 1)));
  // numpy's bool dot is bool for vectors too (it was int64).
  auto b3 = da::arange(0, 3, 1, {2}) > 0;
  auto flags = da::ones({3, 4}, {2, 3}, dtype::boolean);
  CHECK(b3.dot(b3).dtype() == dtype::boolean);
  CHECK(b3.dot(b3).compute(on_sync).data<bool>()[0]);
  CHECK(b3.dot(flags).dtype() == dtype::boolean);
  CHECK(flags.transpose().dot(b3).compute(on_sync).to_vector<bool>() == std::vector<bool>(4, true));
  // An empty array persists (it was "no keys requested").
  CHECK(da::ones({0, 3}, {2, 2}).persist(on_threads).compute(on_sync).size() == 0);
  // "auto" chunks count the dtype's bytes, as Dask's.
  CHECK(da::ones({20000, 20000}, "auto", dtype::boolean).chunk_shape() == da::shape_type{11585, 11585});
  CHECK(da::ones({20000, 20000}, "auto", dtype::float32).chunk_shape() == da::shape_type{5792, 5792});
  // A chunk count whose lists alone would not fit memory is refused with advice (it was
  // std::bad_alloc).
  CHECK_THROWS_WITH(da::ones({std::int64_t{1} << 40}, {1}), Contains("use larger chunks"));
}

namespace {

/// A block function with a bug: bool elements that are not 0 or 1.
ndarray corrupt_bools(const ndarray& a) {
  ndarray out(troupe::dtype::boolean, a.shape());
  std::fill_n(reinterpret_cast<unsigned char*>(out.mutable_bytes()), out.size(), 7);
  return out;
}
TROUPE_FUNCTION(corrupt_bools);

}  // namespace

TEST_CASE("array: a chunk that does not decode fails the computation instead of hanging",
          "[array][cluster][processes]") {
  troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  auto bad = da::ones({4}, {2}).map_blocks("corrupt_bools", troupe::dtype::boolean);
  CHECK_THROWS_WITH(bad.compute(), Contains("did not decode") && Contains("bool element"));
  // The cluster goes on serving.
  CHECK(da::ones({6}, {2}).sum().compute() == 6);
}
