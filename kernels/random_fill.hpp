#pragma once
// Runs of a seeded array's random elements (kernels/philox.hpp): the loops that make the
// numbers of random arrays, kept apart so that they can be tuned on their own. On x86-64 CPUs
// with AVX2 or AVX-512 they are vector code written by hand; every CPU gets the same bits, those
// of standard_normal_at and uniform_at (tests/array/random_fill_test.cpp).

#include <cstdint>

namespace troupe::kernels {

/// Elements first .. first + count - 1 of the standard normal (`normal`) or uniform [0, 1)
/// array seeded with `seed`, into out.
void fill_random_row(bool normal, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                     double* out) noexcept;

/// Elements first, first + step, ... (count of them) of the same arrays.
void fill_random_strided(bool normal, std::uint64_t seed, std::int64_t first, std::int64_t step,
                         std::int64_t count, double* out) noexcept;

/// The loops that make the numbers, all of the same bits: plain C++, or vector code for AVX2
/// or AVX-512 (F, DQ and VL). The fills above take the widest the CPU has.
enum class random_fill_loops { plain, avx2, avx512 };

/// Whether this CPU (and this build: the vector loops are built for x86-64 by gcc) can run
/// `loops`.
[[nodiscard]] bool random_fill_loops_here(random_fill_loops loops) noexcept;

/// The fills above by `loops`, which must run here, whatever the count: for tests, which check
/// each set of loops against the elements one by one.
void fill_random_row(random_fill_loops loops, bool normal, std::uint64_t seed, std::uint64_t first,
                     std::uint64_t count, double* out) noexcept;
void fill_random_strided(random_fill_loops loops, bool normal, std::uint64_t seed,
                         std::int64_t first, std::int64_t step, std::int64_t count,
                         double* out) noexcept;

}  // namespace troupe::kernels
