// Seed 004: recursive Fibonacci where every task computes a smaller graph itself.
//
//   fib(8) -> compute(add(fib(7), fib(6))) -> ... -> fib(1), fib(0)
//
// A task that calls compute() secedes from its worker's thread pool while it waits, so the
// nested graphs run even with a single thread. Prints fib(8) = 21 on 1 and 2 threads.

#include <cstdio>
#include <troupe/troupe.hpp>

std::int64_t fib(std::int64_t n);
TROUPE_FUNCTION(fib);

std::int64_t fib(std::int64_t n) {
  if (n < 2) return n;
  auto f = troupe::delayed(fib);
  return troupe::delayed("troupe.add")(f(n - 1), f(n - 2)).compute().as<std::int64_t>();
}

int main() {
  for (std::size_t threads : {1, 2}) {
    // The computes inside fib run on the same threads (the runtime of the task that calls them).
    auto result = troupe::delayed(fib)(8).compute({"threads", threads});
    std::printf("fib(8) = %lld with %zu thread%s\n", static_cast<long long>(result.as<std::int64_t>()),
                threads, threads == 1 ? "" : "s");
  }
  return 0;
}
