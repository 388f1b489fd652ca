#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; the
// Random123 generator): a counter-based generator, so the numbers of an array are pure
// functions of (seed, element index) — the same for every chunking, slice and scheduler.
//
// Element i of a seeded array uses counter (i / 2, 0, 0, 0) with the seed as key: the four
// 32-bit words make two 64-bit uniforms, which give elements 2c and 2c + 1 (uniform: each
// word pair's top 53 bits; normal: Box-Muller on the pair).

#include <array>
#include <cmath>
#include <cstdint>

namespace troupe::kernels {

using philox_counter = std::array<std::uint32_t, 4>;
using philox_key = std::array<std::uint32_t, 2>;

inline philox_counter philox4x32_10(philox_counter c, philox_key k) noexcept {
  constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += w0;
      k[1] += w1;
    }
    const std::uint64_t p0 = std::uint64_t{m0} * c[0];
    const std::uint64_t p1 = std::uint64_t{m1} * c[2];
    c = {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
         static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
  }
  return c;
}

inline philox_key philox_key_of(std::uint64_t seed) noexcept {
  return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
}

/// Two uniforms in [0, 1) from counter `pair` (elements 2 * pair and 2 * pair + 1).
inline std::array<double, 2> uniform_pair(philox_key key, std::uint64_t pair) noexcept {
  auto r = philox4x32_10({static_cast<std::uint32_t>(pair), static_cast<std::uint32_t>(pair >> 32),
                          0, 0},
                         key);
  constexpr double scale = 1.0 / 9007199254740992.0;  // 2^-53
  const std::uint64_t a = (std::uint64_t{r[0]} << 32 | r[1]) >> 11;
  const std::uint64_t b = (std::uint64_t{r[2]} << 32 | r[3]) >> 11;
  return {static_cast<double>(a) * scale, static_cast<double>(b) * scale};
}

/// Two standard normals from counter `pair`, by Box-Muller.
inline std::array<double, 2> normal_pair(philox_key key, std::uint64_t pair) noexcept {
  auto u = uniform_pair(key, pair);
  const double radius = std::sqrt(-2.0 * std::log1p(-u[0]));  // 1 - u0 is in (0, 1]
  const double angle = 6.283185307179586 * u[1];
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

/// Element `index` of the uniform [0, 1) array seeded with `seed`.
inline double uniform_at(std::uint64_t seed, std::uint64_t index) noexcept {
  return uniform_pair(philox_key_of(seed), index / 2)[index % 2];
}

/// Element `index` of the standard normal array seeded with `seed`.
inline double standard_normal_at(std::uint64_t seed, std::uint64_t index) noexcept {
  return normal_pair(philox_key_of(seed), index / 2)[index % 2];
}

/// Elements first .. first + count - 1 of a seeded uniform or standard normal array.
template <bool Normal>
void fill_random(std::uint64_t seed, std::uint64_t first, std::uint64_t count, double* out) noexcept {
  const auto key = philox_key_of(seed);
  auto pair_of = [&](std::uint64_t p) { return Normal ? normal_pair(key, p) : uniform_pair(key, p); };
  std::uint64_t i = 0;
  if (count > 0 && first % 2 == 1) out[i++] = pair_of(first / 2)[1];
  for (; i + 1 < count; i += 2) {
    auto two = pair_of((first + i) / 2);
    out[i] = two[0];
    out[i + 1] = two[1];
  }
  if (i < count) out[i] = pair_of((first + i) / 2)[0];
}

}  // namespace troupe::kernels
