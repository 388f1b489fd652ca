// Seed 003: the row means of a normal(0, 1) array, chunked in squares and in whole rows, on the
// threads scheduler. The numbers are the same either way (random arrays do not depend on their
// chunking), so the means agree to rounding (a row's sum adds its parts in another order when
// the row is split across chunks); each is near 0, with a standard deviation of 1 / sqrt(N).
//
//   seed003 [N [C]]     (default 20000 5000: square chunks of C x C, row chunks of C² / N rows)

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "collections/array.hpp"

namespace da = troupe::array;

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 20000;
  const std::int64_t c = argc > 2 ? std::atoll(argv[2]) : 5000;
  if (n < 2 || c < 1) {
    std::fprintf(stderr, "usage: seed003 [N [C]] with N >= 2, C >= 1\n");
    return 2;
  }
  const da::random::RandomState rs(3);
  troupe::ndarray results[2];
  const char* names[2] = {"square", "rows"};
  const da::chunks chunkings[2] = {{c, c}, {std::max<std::int64_t>(1, c * c / n), n}};
  for (int k = 0; k < 2; ++k) {
    auto x = rs.normal(0, 1, {n, n}, chunkings[k]);
    const auto start = std::chrono::steady_clock::now();
    results[k] = x.mean({1}).compute({.scheduler = "threads"});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double worst = 0;
    for (std::size_t i = 0; i < results[k].size(); ++i)
      worst = std::max(worst, std::abs(results[k].data<double>()[i]));
    std::printf("%-6s chunks %6lld x %-6lld: %lld row means, largest |mean| %.2f / sqrt(N), in %.2f s\n",
                names[k], static_cast<long long>(x.chunk_shape()[0]),
                static_cast<long long>(x.chunk_shape()[1]), static_cast<long long>(n),
                worst * std::sqrt(static_cast<double>(n)), seconds);
  }
  double largest_difference = 0;
  for (std::size_t i = 0; i < results[0].size(); ++i)
    largest_difference = std::max(largest_difference, std::abs(results[0].data<double>()[i] -
                                                               results[1].data<double>()[i]));
  const bool same = largest_difference < 1e-12;
  std::printf("seed003: %s (largest difference %.1e)\n",
              same ? "the same means for both chunkings" : "DIFFERENT means", largest_difference);
  return same ? 0 : 1;
}
