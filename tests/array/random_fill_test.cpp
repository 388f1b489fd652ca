// kernels/random_fill.hpp against the element-by-element definition in kernels/philox.hpp:
// a run of a seeded array is the same bits as standard_normal_at / uniform_at of each of its
// indices, whatever its start, length or step, by each set of loops the CPU runs (plain, AVX2,
// AVX-512: each in wide blocks, single vectors and a last short vector) and by the fills' own
// choice among them.

#include "kernels/random_fill.hpp"

#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "kernels/philox.hpp"

namespace {

using troupe::kernels::fill_random_row;
using troupe::kernels::fill_random_strided;
using troupe::kernels::random_fill_loops;
using troupe::kernels::random_fill_loops_here;

const std::uint64_t seeds[] = {0, 1, 2026, 0x8000000000000005ull, ~0ull};

/// The loops to check: each set this CPU runs, and the fills' own choice (nullopt).
std::vector<std::optional<random_fill_loops>> loops_here() {
  std::vector<std::optional<random_fill_loops>> here{std::nullopt};
  for (auto loops : {random_fill_loops::plain, random_fill_loops::avx2, random_fill_loops::avx512})
    if (random_fill_loops_here(loops)) here.emplace_back(loops);
  return here;
}

const char* name_of(std::optional<random_fill_loops> loops) {
  if (!loops) return "the fills' choice";
  switch (*loops) {
    case random_fill_loops::plain:
      return "plain";
    case random_fill_loops::avx2:
      return "AVX2";
    case random_fill_loops::avx512:
      return "AVX-512";
  }
  return "?";
}

void fill_row(std::optional<random_fill_loops> loops, bool normal, std::uint64_t seed,
              std::uint64_t first, std::uint64_t count, double* out) {
  if (loops)
    fill_random_row(*loops, normal, seed, first, count, out);
  else
    fill_random_row(normal, seed, first, count, out);
}

void fill_strided(std::optional<random_fill_loops> loops, bool normal, std::uint64_t seed,
                  std::int64_t first, std::int64_t step, std::int64_t count, double* out) {
  if (loops)
    fill_random_strided(*loops, normal, seed, first, step, count, out);
  else
    fill_random_strided(normal, seed, first, step, count, out);
}

double element(bool normal, std::uint64_t seed, std::uint64_t index) {
  return normal ? troupe::kernels::standard_normal_at(seed, index)
                : troupe::kernels::uniform_at(seed, index);
}

/// Room for count values and a guard after them, which a fill must leave alone.
constexpr std::size_t guard = 16;
constexpr double untouched = -12345.5;

/// How many of out[0..count) differ in their bits from the elements at index(0), index(1),
/// ..., plus how many guard values after them were written over.
template <class Index>
std::size_t wrong_values(bool normal, std::uint64_t seed, const std::vector<double>& out,
                         std::size_t count, Index index) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i)
    wrong += std::bit_cast<std::uint64_t>(out[i]) !=
             std::bit_cast<std::uint64_t>(element(normal, seed, index(i)));
  for (std::size_t i = count; i < count + guard; ++i) wrong += out[i] != untouched;
  return wrong;
}

std::size_t wrong_in_row(std::optional<random_fill_loops> loops, bool normal, std::uint64_t seed,
                         std::uint64_t first, std::uint64_t count) {
  std::vector<double> out(count + guard, untouched);
  fill_row(loops, normal, seed, first, count, out.data());
  return wrong_values(normal, seed, out, count, [&](std::size_t i) { return first + i; });
}

std::size_t wrong_in_strided(std::optional<random_fill_loops> loops, bool normal,
                             std::uint64_t seed, std::int64_t first, std::int64_t step,
                             std::int64_t count) {
  std::vector<double> out(static_cast<std::size_t>(count) + guard, untouched);
  fill_strided(loops, normal, seed, first, step, count, out.data());
  return wrong_values(normal, seed, out, static_cast<std::size_t>(count), [&](std::size_t i) {
    return static_cast<std::uint64_t>(first + step * static_cast<std::int64_t>(i));
  });
}

}  // namespace

TEST_CASE(
    "random_fill: the plain loops run everywhere, and the vector loops where the CPU has them",
    "[array]") {
  CHECK(random_fill_loops_here(random_fill_loops::plain));
  for (auto loops : {random_fill_loops::avx2, random_fill_loops::avx512})
    if (!random_fill_loops_here(loops))
      WARN("SKIP: this CPU (or build) has no " << name_of(loops) << " loops; not checked");
}

TEST_CASE("random_fill: a row is the bits of its elements, for every start and length", "[array]") {
  // Starts odd and even, and past 2^33, where a counter's high word is not 0. Lengths to 300
  // cover rows shorter than a vector, single vectors and wide blocks (64 pairs with AVX-512)
  // with every remainder.
  const std::uint64_t firsts[] = {0,          1, 2, 3, 10, 77, (1ull << 33) - 9, (1ull << 33) + 4,
                                  ~0ull - 400};
  for (auto loops : loops_here())
    for (bool normal : {true, false})
      for (auto seed : seeds)
        for (auto first : firsts)
          for (std::uint64_t count = 0; count <= 300; ++count) {
            INFO(name_of(loops) << ", normal " << normal << ", seed " << seed << ", first " << first
                                << ", count " << count);
            REQUIRE(wrong_in_row(loops, normal, seed, first, count) == 0);
          }
}

TEST_CASE("random_fill: a long row from an odd start is the bits of its elements", "[array]") {
  for (auto loops : loops_here())
    for (bool normal : {true, false}) {
      INFO(name_of(loops) << ", normal " << normal);
      CHECK(wrong_in_row(loops, normal, 2026, 12345, 100003) == 0);
    }
}

TEST_CASE("random_fill: a strided run is the bits of its elements, for steps either way",
          "[array]") {
  const std::int64_t steps[] = {1, -1, 2, -2, 3, -3, 7, -1000, 65537};
  for (auto loops : loops_here()) {
    for (bool normal : {true, false})
      for (auto seed : seeds)
        for (auto step : steps)
          for (std::int64_t count = 0; count <= 150; ++count) {
            // Start where the last element is index 5 (going down) or 5 the first (going up).
            const std::int64_t first = step < 0 ? 5 - step * (count - 1) : 5;
            INFO(name_of(loops) << ", normal " << normal << ", seed " << seed << ", first " << first
                                << ", step " << step << ", count " << count);
            REQUIRE(wrong_in_strided(loops, normal, seed, first, step, count) == 0);
          }
    INFO(name_of(loops));
    CHECK(wrong_in_strided(loops, true, 7, (1ll << 40) + 1, -3, 1000) == 0);
    CHECK(wrong_in_strided(loops, false, 7, 1, std::numeric_limits<std::int64_t>::max() / 4, 4) ==
          0);
  }
}
