// Seed 004: two loops turned into graphs with delayed.
//
//   independent:  times10(0) times10(1) ... times10(9)   (ten tasks that can run at once)
//   dependent:    1 -> add(1, 1) -> add(2, 2) -> add(4, 4) = 8   (each step waits for the last)
//
// Prints the ten products and the end of the dependent chain.

#include <cstdio>
#include <troupe/troupe.hpp>

std::int64_t times10(std::int64_t x) { return x * 10; }
TROUPE_FUNCTION(times10);

std::int64_t add(std::int64_t a, std::int64_t b) { return a + b; }
TROUPE_NAMED_FUNCTION("add_int64", add);

int main() {
  // Independent: each call is its own task; compute() runs them in one graph.
  auto scale = troupe::delayed(times10);
  std::vector<troupe::Delayed> products;
  for (std::int64_t x = 0; x < 10; ++x) products.push_back(scale(x));
  std::printf("independent loop:");
  for (const auto& v : troupe::compute(products)) std::printf(" %lld", static_cast<long long>(v.as<std::int64_t>()));
  std::printf("\n");

  // Dependent: each step takes the previous step's result twice.
  auto plus = troupe::delayed(add);
  troupe::Delayed x = troupe::delayed_value(1);
  for (int step = 0; step < 3; ++step) x = plus(x, x);
  std::printf("dependent add loop: %lld\n", static_cast<long long>(x.compute().as<std::int64_t>()));
  return 0;
}
