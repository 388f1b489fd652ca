// The array collection (collections/array.hpp) against independent computations: brute-force
// loops over the same numbers, Python's slice rules simulated index by index, the published
// Philox4x32-10 answers, and the same arrays under other chunkings and schedulers.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
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
        "(78.1 KiB each), 100 chunks, 1 fused operations>");
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
  CHECK_THROWS_WITH(da::zeros({0}).mean(), Contains("mean of an empty array"));
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
  troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1});
  CHECK(x.compute() == local);
  CHECK(x.sum().compute() == sum);
}
