#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; the
// Random123 generator): a counter-based generator, so the numbers of an array are pure
// functions of (seed, element index) — the same for every chunking, slice and scheduler.
//
// Element i of a seeded array uses counter (i / 2, 0, 0, 0) with the seed as key: the four
// 32-bit words make two uniforms in [0, 1) of 52 bits each, which give elements 2c and 2c + 1
// (uniform: as they are; normal: Box-Muller on the pair).

#include <array>
#include <cmath>
#include <cstdint>
#include <bit>

namespace troupe::kernels {

using philox_counter = std::array<std::uint32_t, 4>;
using philox_key = std::array<std::uint32_t, 2>;

/// Philox4x32's multipliers and key increments (named for the vector code of random_fill.cpp).
inline constexpr std::uint32_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;

/// One Philox round.
inline philox_counter philox_round(const philox_counter& c, const philox_key& k) noexcept {
  const std::uint64_t p0 = std::uint64_t{philox_m0} * c[0];
  const std::uint64_t p1 = std::uint64_t{philox_m1} * c[2];
  return {static_cast<std::uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<std::uint32_t>(p1),
          static_cast<std::uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<std::uint32_t>(p0)};
}

/// Ten rounds, the key bumped between them (written out, so that a loop over counters has
/// no inner loop and vectorises).
inline philox_counter philox4x32_10(philox_counter c, philox_key k) noexcept {
  c = philox_round(c, k);
#pragma GCC unroll 9
  for (int round = 1; round < 10; ++round) {
    k[0] += philox_w0;
    k[1] += philox_w1;
    c = philox_round(c, k);
  }
  return c;
}

inline philox_key philox_key_of(std::uint64_t seed) noexcept {
  return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
}

/// Two uniforms in [0, 1) from counter `pair` (elements 2 * pair and 2 * pair + 1).
inline void uniform_pair_into(philox_key key, std::uint64_t pair, double& u0, double& u1) noexcept {
  auto r = philox4x32_10({static_cast<std::uint32_t>(pair), static_cast<std::uint32_t>(pair >> 32),
                          0, 0},
                         key);
  // The top 52 bits of each word pair as the mantissa of a number in [1, 2), less 1: exact,
  // and no integer -> double conversion (which AVX2 cannot do four at a time).
  constexpr std::uint64_t one = 0x3ff0000000000000ull;
  u0 = std::bit_cast<double>(((std::uint64_t{r[0]} << 32 | r[1]) >> 12) | one) - 1.0;
  u1 = std::bit_cast<double>(((std::uint64_t{r[2]} << 32 | r[3]) >> 12) | one) - 1.0;
}

inline std::array<double, 2> uniform_pair(philox_key key, std::uint64_t pair) noexcept {
  std::array<double, 2> u;
  uniform_pair_into(key, pair, u[0], u[1]);
  return u;
}

/// c[0] x^(N-1) + ... + c[N-1], by Horner's rule (in this order: the same bits on every CPU).
template <std::size_t N>
constexpr double horner(double x, const std::array<double, N>& c) noexcept {
  double p = c[0];
  for (std::size_t i = 1; i < N; ++i) p = p * x + c[i];
  return p;
}

/// The constants of log_of_positive and cos_sin_of_turn, named so that the vector versions of
/// those functions (kernels/random_fill.cpp) compute with the very same numbers.
namespace series {

inline constexpr double sqrt2 = 1.4142135623730951;
/// 1/21, 1/19, ..., 1/3, 1: atanh(s) / s in s^2, highest first.
inline constexpr std::array<double, 11> atanh{1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15,
                                              1.0 / 13, 1.0 / 11, 1.0 / 9,  1.0 / 7,
                                              1.0 / 5,  1.0 / 3,  1.0};
inline constexpr double ln2_high = 0.6931471803691238;     // 1.62e-10 below ln 2 ...
inline constexpr double ln2_low = 1.9082149292705877e-10;  // ... and the rest
inline constexpr double half_pi = 1.5707963267948966;
/// Taylor coefficients of sin(a) / a - 1 and (1 - cos(a)) / a^2 in a^2, highest first.
inline constexpr std::array<double, 11> sine{
    -1.0 / 25852016738884976640000.0, 1.0 / 51090942171709440000.0,  // 1/23!, 1/21!
    -1.0 / 121645100408832000.0,      1.0 / 355687428096000.0,       // 1/19!, 1/17!
    -1.0 / 1307674368000.0,           1.0 / 6227020800.0,            // 1/15!, 1/13!
    -1.0 / 39916800.0,                1.0 / 362880.0,                // 1/11!, 1/9!
    -1.0 / 5040.0,                    1.0 / 120.0,                   // 1/7!, 1/5!
    -1.0 / 6.0};                                                     // 1/3!
inline constexpr std::array<double, 11> cosine{
    1.0 / 1124000727777607680000.0,  -1.0 / 2432902008176640000.0,  // 1/22!, 1/20!
    1.0 / 6402373705728000.0,        -1.0 / 20922789888000.0,       // 1/18!, 1/16!
    1.0 / 87178291200.0,             -1.0 / 479001600.0,            // 1/14!, 1/12!
    1.0 / 3628800.0,                 -1.0 / 40320.0,                // 1/10!, 1/8!
    1.0 / 720.0,                     -1.0 / 24.0,                   // 1/6!, 1/4!
    0.5};                                                           // 1/2!

}  // namespace series

/// log(x) for a normal double x > 0, in plain arithmetic (no libm call, no branch), so that
/// loops over it vectorise and every CPU computes the same bits: x = m * 2^e with m in
/// [sqrt(1/2), sqrt(2)), log m = 2 atanh(s) for s = (m - 1) / (m + 1), |s| <= 0.172, as its
/// odd series to s^21 (the next term is below 2^-60 of the result).
inline double log_of_positive(double x) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  // The exponent as a double, exactly, by the 2^52 trick (no int64 -> double conversion).
  double e = std::bit_cast<double>((bits >> 52) | 0x4330000000000000ull);
  e -= 4503599627370496.0 + 1023.0;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  const double high = m > series::sqrt2 ? 1.0 : 0.0;  // a blend, not a branch
  m = m * (1.0 - 0.5 * high);
  e = e + high;
  const double s = (m - 1.0) / (m + 1.0);
  const double p = horner(s * s, series::atanh);
  return e * series::ln2_high + (e * series::ln2_low + 2.0 * s * p);
}

/// cos and sin of 2 pi u for u in [0, 1), in plain arithmetic as log_of_positive: the quarter
/// turn u * 4 falls in, then Taylor series of the angle within it (to degree 23 and 22; the
/// next terms are below 1e-18).
inline void cos_sin_of_turn(double u, double& cosine, double& sine) noexcept {
  const double x = u * 4.0;
  const double quarter = static_cast<double>(static_cast<std::int32_t>(x));  // 0, 1, 2 or 3
  const double a = (x - quarter) * series::half_pi;  // in [0, pi/2)
  const double a2 = a * a;
  const double s = a + a * (a2 * horner(a2, series::sine));
  const double c = 1.0 - a2 * horner(a2, series::cosine);
  // Rotate by the quarter turns: (c, s) -> (-s, c) -> (-c, -s) -> (s, -c).
  const bool swap = quarter == 1.0 || quarter == 3.0;
  const double c0 = swap ? s : c, s0 = swap ? c : s;
  cosine = quarter == 1.0 || quarter == 2.0 ? -c0 : c0;
  sine = quarter >= 2.0 ? -s0 : s0;
}

/// Two standard normals from counter `pair`, by Box-Muller.
inline void normal_pair_into(philox_key key, std::uint64_t pair, double& z0, double& z1) noexcept {
  double u0, u1;
  uniform_pair_into(key, pair, u0, u1);
  const double radius = std::sqrt(-2.0 * log_of_positive(1.0 - u0));  // 1 - u0 is in (0, 1]
  double c, s;
  cos_sin_of_turn(u1, c, s);
  z0 = radius * c;
  z1 = radius * s;
}

inline std::array<double, 2> normal_pair(philox_key key, std::uint64_t pair) noexcept {
  std::array<double, 2> z;
  normal_pair_into(key, pair, z[0], z[1]);
  return z;
}

/// Element `index` of the uniform [0, 1) array seeded with `seed`.
inline double uniform_at(std::uint64_t seed, std::uint64_t index) noexcept {
  return uniform_pair(philox_key_of(seed), index / 2)[index % 2];
}

/// Element `index` of the standard normal array seeded with `seed`.
inline double standard_normal_at(std::uint64_t seed, std::uint64_t index) noexcept {
  return normal_pair(philox_key_of(seed), index / 2)[index % 2];
}

}  // namespace troupe::kernels
