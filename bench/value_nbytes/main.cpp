// Time to build values with shared parts and ask their nbytes(), as the executor does for
// every task result:
//   doubling D: x_0 = list(1), x_i = list(x_{i-1}, x_{i-1}) for i = 1..D, nbytes of each x_i
//   chain N:    c_0 = list(1), c_i = list(c_{i-1}) for i = 1..N, nbytes of each c_i
// Prints the case, the seconds taken and the last nbytes. Exits without destroying the value
// (so that the timing is of nbytes alone).
//   bench_value_nbytes doubling 40
//   bench_value_nbytes chain 100000

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/value.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s doubling|chain N\n", argv[0]);
    return 2;
  }
  const std::string shape = argv[1];
  const long n = std::atol(argv[2]);
  const auto start = std::chrono::steady_clock::now();
  troupe::Value x(std::vector<troupe::Value>{troupe::Value(1)});
  std::size_t bytes = x.nbytes();
  for (long i = 1; i <= n; ++i) {
    if (shape == "doubling")
      x = troupe::Value(std::vector<troupe::Value>{x, x});
    else
      x = troupe::Value(std::vector<troupe::Value>{x});
    bytes = x.nbytes();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %ld: %.6f s, nbytes %zu\n", shape.c_str(), n, seconds, bytes);
  std::fflush(stdout);
  std::_Exit(0);
}
