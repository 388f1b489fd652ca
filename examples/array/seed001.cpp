// Seed 001: the chunk-size study. (x * x[::-1, ::-1]).sum() over an N x N array of ones, for
// several chunk sizes, on the threads scheduler. The answer is N² whatever the chunks; what
// changes is the number of tasks and the time. Nothing is constant-folded: every chunk task
// generates its ones, reverses them and multiplies them tile by tile. A progress line (on
// standard error) follows computes of a second or more.
//
//   seed001 [N]     (default 40000; the seed's full study is 200000, about 298 GiB of ones
//                    that never exist at once)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "collections/array.hpp"

namespace da = troupe::array;

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 40000;
  if (n < 1) {
    std::fprintf(stderr, "usage: seed001 [N] with N >= 1\n");
    return 2;
  }
  bool right = true;
  for (const std::string chunking : {"n/20", "n/4", "auto", "n/2"}) {
    const std::int64_t side = chunking == "n/20" ? n / 20 : chunking == "n/4" ? n / 4 : n / 2;
    auto x = chunking == "auto" ? da::ones({n, n}) : da::ones({n, n}, {std::max<std::int64_t>(side, 1), std::max<std::int64_t>(side, 1)});
    const auto start = std::chrono::steady_clock::now();
    const double total =
        (x * x.reversed()).sum().compute({.scheduler = "threads", .progress = true});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("chunks %-6s %6lld x %-6lld %5lld chunks: sum = %.0f in %.2f s (%.2f G elements/s)\n",
                chunking.c_str(), static_cast<long long>(x.chunk_shape()[0]),
                static_cast<long long>(x.chunk_shape()[1]), static_cast<long long>(x.chunk_count()),
                total, seconds, static_cast<double>(n) * static_cast<double>(n) / seconds / 1e9);
    right = right && total == static_cast<double>(n) * static_cast<double>(n);
  }
  std::printf("seed001: %s\n", right ? "every chunking gives N²" : "WRONG sums");
  return right ? 0 : 1;
}
