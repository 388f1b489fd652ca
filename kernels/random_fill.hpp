#pragma once
// Runs of a seeded array's random elements (kernels/philox.hpp): the loops that make the
// numbers of random arrays, kept apart so that they can be tuned on their own. On x86-64 CPUs
// with AVX2 they are vector code written by hand; every CPU gets the same bits, those of
// standard_normal_at and uniform_at (tests/array/random_fill_test.cpp).

#include <cstdint>

namespace troupe::kernels {

/// Elements first .. first + count - 1 of the standard normal (`normal`) or uniform [0, 1)
/// array seeded with `seed`, into out.
void fill_random_row(bool normal, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                     double* out) noexcept;

/// Elements first, first + step, ... (count of them) of the same arrays.
void fill_random_strided(bool normal, std::uint64_t seed, std::int64_t first, std::int64_t step,
                         std::int64_t count, double* out) noexcept;

}  // namespace troupe::kernels
