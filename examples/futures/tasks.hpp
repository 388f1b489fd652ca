#pragma once
// The task functions of the futures example, registered with TROUPE_FUNCTION in tasks.cpp.

#include <cstdint>
#include <vector>

namespace futures_tasks {

std::int64_t inc(std::int64_t x);                      // 0.1 s
std::int64_t double_it(std::int64_t x);                // 0.2 s
std::int64_t add(std::int64_t x, std::int64_t y);      // 0.1 s
std::int64_t slow_pow(std::int64_t x, std::int64_t y); // 1 s
std::int64_t sum_all(const std::vector<std::int64_t>& xs);
double safe_inverse(double x);  // throws for 0

}  // namespace futures_tasks
