// Seed 003: the mean of many independent replicates, each a task with its own random stream.
//
//   calc_mean(0)  calc_mean(1)  ...  calc_mean(99)     <- 100 independent tasks
//         \            |                 /
//                  mean_of(means)                       <- one reduction
//
// Each replicate draws 10,000 normal samples from a generator seeded by (seed, replicate), so
// the result is the same on every scheduler and thread count. Prints the grand mean (close to
// 0) under the threads and sync schedulers and checks that they agree exactly.

#include <cstdio>
#include <random>
#include <troupe/troupe.hpp>

double calc_mean(std::int64_t replicate) {
  std::seed_seq seed{std::int64_t{2026}, replicate};
  std::mt19937_64 stream(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  double total = 0;
  for (int i = 0; i < 10000; ++i) total += normal(stream);
  return total / 10000;
}
TROUPE_FUNCTION(calc_mean);

double mean_of(const std::vector<double>& means) {
  double total = 0;
  for (double m : means) total += m;
  return total / static_cast<double>(means.size());
}
TROUPE_FUNCTION(mean_of);

int main() {
  auto replicate = troupe::delayed(calc_mean);
  std::vector<troupe::Delayed> means;
  for (std::int64_t i = 0; i < 100; ++i) means.push_back(replicate(i));
  auto grand_mean = troupe::delayed(mean_of)(means);

  double threaded = grand_mean.compute({"threads"}).as<double>();
  double sequential = grand_mean.compute({"sync"}).as<double>();
  std::printf("calc_mean: %zu replicates, grand mean %.6f (threads) %.6f (sync)\n", means.size(),
              threaded, sequential);
  if (threaded != sequential) {
    std::printf("calc_mean: schedulers disagree\n");
    return 1;
  }
  return 0;
}
