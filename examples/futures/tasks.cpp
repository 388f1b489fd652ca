// The task functions of the futures example (seed 002), as in the Dask futures tutorial.
// Built twice: into the example program, and as libfutures_tasks.so for workers started from
// the command line (`troupe worker ... --preload libfutures_tasks.so`). In the library the
// troupe symbols stay undefined and bind to the `troupe` program that loads it.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <thread>

#include "core/function.hpp"
#include "tasks.hpp"

namespace futures_tasks {

namespace {
void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
}  // namespace

std::int64_t inc(std::int64_t x) {
  pause_ms(100);
  return x + 1;
}

std::int64_t double_it(std::int64_t x) {
  pause_ms(200);
  return 2 * x;
}

std::int64_t add(std::int64_t x, std::int64_t y) {
  pause_ms(100);
  return x + y;
}

// The tutorial's slow function: one second each, so ten of them on ten threads take a second.
std::int64_t slow_pow(std::int64_t x, std::int64_t y) {
  pause_ms(1000);
  std::int64_t result = 1;
  for (std::int64_t i = 0; i < y; ++i) result *= x;
  return result;
}

std::int64_t sum_all(const std::vector<std::int64_t>& xs) {
  std::int64_t total = 0;
  for (auto x : xs) total += x;
  return total;
}

double safe_inverse(double x) {
  if (x == 0) throw std::domain_error("cannot invert zero");
  return 1.0 / x;
}

}  // namespace futures_tasks

using namespace futures_tasks;
TROUPE_FUNCTION(inc);
TROUPE_NAMED_FUNCTION("double", double_it);
TROUPE_FUNCTION(add);
TROUPE_FUNCTION(slow_pow);
TROUPE_FUNCTION(sum_all);
TROUPE_FUNCTION(safe_inverse);
