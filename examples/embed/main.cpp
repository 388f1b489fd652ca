// embed: troupe used from another CMake project through find_package(troupe). Sums the squares
// of 0..99 with one delayed task per number on the threads scheduler and prints
// "embed: sum of squares 0..99 = 328350".

#include <cstdint>
#include <iostream>
#include <troupe/troupe.hpp>
#include <vector>

std::int64_t square(std::int64_t x) { return x * x; }
TROUPE_FUNCTION(square);

int main() {
  auto squared = troupe::delayed(square);
  std::vector<troupe::Delayed> parts;
  for (std::int64_t i = 0; i < 100; ++i) parts.push_back(squared(i));
  auto total = troupe::delayed("troupe.sum")(parts);
  std::cout << "embed: sum of squares 0..99 = "
            << total.compute({.scheduler = "threads", .num_workers = 2}).as<std::int64_t>() << "\n";
}
