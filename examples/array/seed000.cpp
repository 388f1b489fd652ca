// Seed 000: (x + 1)[::2, ::2].sum() of normal(10, 1) over an N x N array in C x C chunks, on
// each scheduler. The sum is the same to the last bit everywhere (the numbers do not depend on
// where they are made, and the reduction tree is fixed); its mean is near 11.
//
//   seed000 [N [C]]     (default 10000 1000, as the seed)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "collections/array.hpp"
#include "collections/client.hpp"

namespace da = troupe::array;

namespace {

double seed000(std::int64_t n, std::int64_t chunk, const troupe::compute_options& options) {
  auto x = da::random::RandomState(42).normal(10, 1, {n, n}, {chunk, chunk});
  return (x + 1).slice({{{}, {}, 2}, {{}, {}, 2}}).sum().compute(options);
}

void report(const char* where, std::int64_t n, double total,
            std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double kept = static_cast<double>((n + 1) / 2) * static_cast<double>((n + 1) / 2);
  std::printf("%-9s sum = %.6f  mean = %.3f  in %.2f s\n", where, total, total / kept, seconds);
}

}  // namespace

int main(int argc, char** argv) {
  troupe::init(argc, argv);  // worker processes of the LocalCluster below run from here
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 10000;
  const std::int64_t chunk = argc > 2 ? std::atoll(argv[2]) : 1000;
  if (n < 1 || chunk < 1) {
    std::fprintf(stderr, "usage: seed000 [N [C]] with N, C >= 1\n");
    return 2;
  }
  double totals[3];
  auto start = std::chrono::steady_clock::now();
  totals[0] = seed000(n, chunk, {.scheduler = "sync"});
  report("sync", n, totals[0], start);
  start = std::chrono::steady_clock::now();
  totals[1] = seed000(n, chunk, {.scheduler = "threads"});
  report("threads", n, totals[1], start);
  {
    troupe::Client client(troupe::LocalCluster{.n_workers = 2, .threads_per_worker = 1});
    start = std::chrono::steady_clock::now();
    totals[2] = seed000(n, chunk, {});
    report("processes", n, totals[2], start);
  }
  const bool same = totals[0] == totals[1] && totals[1] == totals[2];
  std::printf("seed000: %s on every scheduler\n", same ? "the same sum" : "DIFFERENT sums");
  return same ? 0 : 1;
}
