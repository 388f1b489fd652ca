// The loops that fill runs of random arrays: plain loops, and vector loops for AVX2 and for
// AVX-512, all of the same bits (tests/array/random_fill_test.cpp).
//
// This file is read three times: as itself, and then twice more where it includes itself with
// TROUPE_RANDOM_FILL_LANES set, for the vector loops of each instruction set (4: AVX2, 8:
// AVX-512). The instructions gcc may use in a function are fixed where the function is defined
// (by a target attribute or #pragma GCC target), and cannot follow a template parameter: the
// one text of the vector loops (the second part of this file) is defined once for each set,
// under that set's #pragma GCC target, in a namespace of its own (avx2, avx512), as Highway's
// foreach_target.h does. (A template over the vector type does not do: its functions, built
// for no target or for AVX2, cannot inline AVX-512 intrinsics; and written in gcc's vector
// extensions, gcc 12 makes parts of their 8-lane code scalar.)

#ifndef TROUPE_RANDOM_FILL_LANES

#include "kernels/random_fill.hpp"

#include <cmath>
#include <cstring>

#include "kernels/philox.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// gcc 12.2's AVX-512 intrinsics start from an "undefined" vector initialised from itself,
// which -Wuninitialized reports wherever they are inlined (gcc bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define TROUPE_VECTOR_LOOPS 1
#endif

namespace troupe::kernels {

namespace {

// The plain loops: the reference, and the path of CPUs without AVX2. Each is a loop of its
// own, with no branch inside, so that it vectorises for the baseline CPU.

void normal_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t pairs,
                  double* out) noexcept {
  for (std::uint64_t k = 0; k < pairs; ++k)
    normal_pair_into(key, first_pair + k, out[2 * k], out[2 * k + 1]);
}

void uniform_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t pairs,
                   double* out) noexcept {
  for (std::uint64_t k = 0; k < pairs; ++k)
    uniform_pair_into(key, first_pair + k, out[2 * k], out[2 * k + 1]);
}

/// Elements first, first + step, ... (count of them), each from its own pair.
void plain_strided(bool normal, philox_key key, std::int64_t first, std::int64_t step,
                   std::int64_t count, double* out) noexcept {
  if (normal) {
    for (std::int64_t i = 0; i < count; ++i) {
      const auto index = static_cast<std::uint64_t>(first + step * i);
      double z0, z1;
      normal_pair_into(key, index / 2, z0, z1);
      out[i] = index % 2 == 0 ? z0 : z1;
    }
  } else {
    for (std::int64_t i = 0; i < count; ++i) {
      const auto index = static_cast<std::uint64_t>(first + step * i);
      double u0, u1;
      uniform_pair_into(key, index / 2, u0, u1);
      out[i] = index % 2 == 0 ? u0 : u1;
    }
  }
}

#ifdef TROUPE_VECTOR_LOOPS

/// The key words of Philox's ten rounds, 64 bits wide, so that a vector loop can read one
/// into all its lanes as it uses it (vpbroadcastq, or AVX-512's {1to8}).
struct round_keys {
  std::uint64_t k0[10], k1[10];
};

round_keys round_keys_of(philox_key key) noexcept {
  round_keys keys;
  for (int round = 0; round < 10; ++round) {
    keys.k0[round] = key[0];
    keys.k1[round] = key[1];
    key[0] += philox_w0;
    key[1] += philox_w1;
  }
  return keys;
}

#endif

}  // namespace

}  // namespace troupe::kernels

#ifdef TROUPE_VECTOR_LOOPS
// The vector loops: namespace avx2, then namespace avx512 (the second part of this file).
#define TROUPE_RANDOM_FILL_LANES 4
#include "kernels/random_fill.cpp"
#undef TROUPE_RANDOM_FILL_LANES
#define TROUPE_RANDOM_FILL_LANES 8
#include "kernels/random_fill.cpp"
#undef TROUPE_RANDOM_FILL_LANES
#endif

namespace troupe::kernels {

namespace {

/// The loops for `count` pairs or strided elements: the vector loops of the widest vectors
/// the CPU has, for three or more (for fewer, the plain loop is quicker than a vector of four).
random_fill_loops loops_for(std::uint64_t count) noexcept {
  static const random_fill_loops widest =
      random_fill_loops_here(random_fill_loops::avx512) ? random_fill_loops::avx512
      : random_fill_loops_here(random_fill_loops::avx2) ? random_fill_loops::avx2
                                                        : random_fill_loops::plain;
  return count >= 3 ? widest : random_fill_loops::plain;
}

/// Pairs first_pair, first_pair + 1, ... into out, two values each.
void random_pairs(random_fill_loops loops, bool normal, philox_key key, std::uint64_t first_pair,
                  std::uint64_t pairs, double* out) noexcept {
  switch (loops) {
#ifdef TROUPE_VECTOR_LOOPS
    case random_fill_loops::avx512:
      avx512::fill_pairs(normal, key, first_pair, pairs, out);
      return;
    case random_fill_loops::avx2:
      avx2::fill_pairs(normal, key, first_pair, pairs, out);
      return;
#endif
    default:
      if (normal)
        normal_pairs(key, first_pair, pairs, out);
      else
        uniform_pairs(key, first_pair, pairs, out);
  }
}

}  // namespace

bool random_fill_loops_here(random_fill_loops loops) noexcept {
  switch (loops) {
    case random_fill_loops::plain:
      return true;
#ifdef TROUPE_VECTOR_LOOPS
    case random_fill_loops::avx2: {
      static const bool avx2 = __builtin_cpu_supports("avx2");
      return avx2;
    }
    case random_fill_loops::avx512: {
      static const bool avx512 = __builtin_cpu_supports("avx512f") &&
                                 __builtin_cpu_supports("avx512dq") &&
                                 __builtin_cpu_supports("avx512vl");
      return avx512;
    }
#endif
    default:
      return false;
  }
}

void fill_random_row(bool normal, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                     double* out) noexcept {
  fill_random_row(loops_for(count / 2), normal, seed, first, count, out);
}

void fill_random_row(random_fill_loops loops, bool normal, std::uint64_t seed, std::uint64_t first,
                     std::uint64_t count, double* out) noexcept {
  const auto key = philox_key_of(seed);
  auto pair_of = [&](std::uint64_t p) {
    return normal ? normal_pair(key, p) : uniform_pair(key, p);
  };
  std::uint64_t i = 0;
  if (count > 0 && first % 2 == 1) out[i++] = pair_of(first / 2)[1];
  const std::uint64_t pairs = (count - i) / 2;
  random_pairs(loops, normal, key, (first + i) / 2, pairs, out + i);
  i += 2 * pairs;
  if (i < count) out[i] = pair_of((first + i) / 2)[0];
}

void fill_random_strided(bool normal, std::uint64_t seed, std::int64_t first, std::int64_t step,
                         std::int64_t count, double* out) noexcept {
  fill_random_strided(loops_for(static_cast<std::uint64_t>(count)), normal, seed, first, step,
                      count, out);
}

void fill_random_strided(random_fill_loops loops, bool normal, std::uint64_t seed,
                         std::int64_t first, std::int64_t step, std::int64_t count,
                         double* out) noexcept {
  const auto key = philox_key_of(seed);
  switch (loops) {
#ifdef TROUPE_VECTOR_LOOPS
    case random_fill_loops::avx512:
      avx512::fill_strided(normal, key, first, step, count, out);
      return;
    case random_fill_loops::avx2:
      avx2::fill_strided(normal, key, first, step, count, out);
      return;
#endif
    default:
      plain_strided(normal, key, first, step, count, out);
  }
}

}  // namespace troupe::kernels

#else  // TROUPE_RANDOM_FILL_LANES: the vector loops of one instruction set.

// The vector loops give the plain loops' bits: they do the IEEE operations of philox.hpp's
// functions in the same order, one counter in each 64-bit lane of a vector, and fuse no
// multiply and add: AVX2 is built without FMA, and AVX-512F, which has fused multiply-adds of
// its own, under fp-contract=off, here as in the library's flags (kernels/CMakeLists.txt;
// without either, gcc makes 162 vfmadd of the AVX-512 loops; with both, the same code as with
// the flags alone). Their helpers are always inlined, so that no vector value crosses a call:
// in a function so built, gcc 12 puts a vzeroupper between computing a struct of one __m256d
// and returning it, losing the value's upper half.
//
// They step `wide` vectors at once (doubles<wide>), one operation on all of them before the
// next: Philox's rounds and the series are long chains of dependent operations, and one chain
// at a time leaves most of the CPU idle. On one core of the 2-core Zen 5 test machine, gcc's
// own vectorisation of the plain loops made 0.18 G normals/s; the AVX2 loops 0.19 a vector at
// a time, 0.36 four at a time, 0.41-0.44 eight at a time, twelve no faster; the AVX-512 loops
// about 0.80 four at a time, 0.88 six, 0.90-0.92 eight, 0.90 ten (uniforms: 2.6 from six to
// eight).

#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#if TROUPE_RANDOM_FILL_LANES == 4
#pragma GCC target("avx2")
#define TROUPE_RANDOM_FILL_SET avx2
#else
#pragma GCC target("avx512f,avx512dq,avx512vl")
#define TROUPE_RANDOM_FILL_SET avx512
#endif
#define TROUPE_LANES_INLINE __attribute__((always_inline)) inline

namespace troupe::kernels {

namespace {

namespace TROUPE_RANDOM_FILL_SET {

constexpr int lanes = TROUPE_RANDOM_FILL_LANES;

// Vectors of doubles and of 64-bit words, with gcc's vector extensions: their operators work
// lane by lane, a double or an integer as an operand in all lanes; a cast from one vector type
// to another of the same size keeps the bits; a comparison gives a mask, all bits set in the
// lanes where it holds.
typedef double vector __attribute__((vector_size(8 * lanes)));
typedef std::uint64_t words __attribute__((vector_size(8 * lanes)));
typedef std::int64_t mask __attribute__((vector_size(8 * lanes)));

// What the extensions do not have, and the constants of the counters and the stores.
#if TROUPE_RANDOM_FILL_LANES == 4
TROUPE_LANES_INLINE vector all_lanes(double x) noexcept {
  return _mm256_set1_pd(x);
}
TROUPE_LANES_INLINE vector square_root(vector x) noexcept {
  return _mm256_sqrt_pd(x);
}
TROUPE_LANES_INLINE vector toward_zero(vector x) noexcept {
  return _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
/// The low halves of the lanes of x times m, 32 x 32 -> 64 bits (vpmuludq).
TROUPE_LANES_INLINE words low_halves_times(words x, std::uint32_t m) noexcept {
  return (words)_mm256_mul_epu32((__m256i)x, _mm256_set1_epi64x(m));
}
constexpr words lane_numbers = {0, 1, 2, 3};
/// For __builtin_shuffle(a, b, ...): a0 b0 a1 b1, then a2 b2 a3 b3.
constexpr words first_halves_interleaved = {0, 4, 1, 5}, second_halves_interleaved = {2, 6, 3, 7};
#else
TROUPE_LANES_INLINE vector all_lanes(double x) noexcept {
  return _mm512_set1_pd(x);
}
TROUPE_LANES_INLINE vector square_root(vector x) noexcept {
  return _mm512_sqrt_pd(x);
}
TROUPE_LANES_INLINE vector toward_zero(vector x) noexcept {
  return _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
TROUPE_LANES_INLINE words low_halves_times(words x, std::uint32_t m) noexcept {
  return (words)_mm512_mul_epu32((__m512i)x, _mm512_set1_epi64(m));
}
constexpr words lane_numbers = {0, 1, 2, 3, 4, 5, 6, 7};
constexpr words first_halves_interleaved = {0, 8, 1, 9, 2, 10, 3, 11},
                second_halves_interleaved = {4, 12, 5, 13, 6, 14, 7, 15};
#endif

/// Vectors a block: see above.
constexpr int wide = 8;

template <int Width>
struct masks;

/// Width vectors of doubles, with the arithmetic of doubles lane by lane. A double converts to
/// all lanes, so that the functions below read as their originals in philox.hpp.
template <int Width>
struct doubles {
  vector v[Width];

  doubles() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): constants, as written in the scalar code
  TROUPE_LANES_INLINE doubles(double x) noexcept {
    for (auto& each : v) each = all_lanes(x);
  }

  friend TROUPE_LANES_INLINE doubles operator+(const doubles& a, const doubles& b) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] + b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE doubles operator-(const doubles& a, const doubles& b) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] - b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE doubles operator*(const doubles& a, const doubles& b) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] * b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE doubles operator/(const doubles& a, const doubles& b) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] / b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE doubles sqrt(const doubles& a) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = square_root(a.v[g]);
    return result;
  }
  friend TROUPE_LANES_INLINE doubles truncate(const doubles& a) noexcept {
    doubles result;
    for (int g = 0; g < Width; ++g) result.v[g] = toward_zero(a.v[g]);
    return result;
  }

  friend TROUPE_LANES_INLINE masks<Width> equal(const doubles& a, const doubles& b) noexcept {
    masks<Width> result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] == b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE masks<Width> greater(const doubles& a, const doubles& b) noexcept {
    masks<Width> result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] > b.v[g];
    return result;
  }
  friend TROUPE_LANES_INLINE masks<Width> at_least(const doubles& a, const doubles& b) noexcept {
    masks<Width> result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] >= b.v[g];
    return result;
  }
};

/// Width vectors of comparisons' results: all bits set in the lanes where they hold.
template <int Width>
struct masks {
  mask v[Width];

  friend TROUPE_LANES_INLINE masks operator|(const masks& a, const masks& b) noexcept {
    masks result;
    for (int g = 0; g < Width; ++g) result.v[g] = a.v[g] | b.v[g];
    return result;
  }
  /// m ? a : b, lane by lane.
  friend TROUPE_LANES_INLINE doubles<Width> select(const masks& m, const doubles<Width>& a,
                                                   const doubles<Width>& b) noexcept {
    doubles<Width> result;
    for (int g = 0; g < Width; ++g) result.v[g] = m.v[g] ? a.v[g] : b.v[g];
    return result;
  }
  /// m ? -a : a, lane by lane, flipping the sign bit alone (as the scalar negation does).
  friend TROUPE_LANES_INLINE doubles<Width> negate_where(const masks& m,
                                                         const doubles<Width>& a) noexcept {
    doubles<Width> result;
    for (int g = 0; g < Width; ++g)
      result.v[g] = (vector)((mask)a.v[g] ^ (m.v[g] & (mask)all_lanes(-0.0)));
    return result;
  }
};

/// kernels::horner, lane by lane. The loop over the coefficients stays a loop: unrolled, it
/// made a block's code too big for the CPU's cache of decoded instructions (12% slower).
template <int Width, std::size_t N>
TROUPE_LANES_INLINE doubles<Width> horner(const doubles<Width>& x,
                                          const std::array<double, N>& c) noexcept {
  doubles<Width> p = c[0];
#pragma GCC unroll 1
  for (std::size_t i = 1; i < N; ++i) p = p * x + c[i];
  return p;
}

/// log_of_positive's exponent of x as a double (the 2^52 trick, before the bias is taken off)
/// and mantissa of x in [1, 2).
template <int Width>
TROUPE_LANES_INLINE doubles<Width> exponent_field(const doubles<Width>& x) noexcept {
  doubles<Width> e;
  for (int g = 0; g < Width; ++g) e.v[g] = (vector)((words)x.v[g] >> 52 | 0x4330000000000000ull);
  return e;
}
template <int Width>
TROUPE_LANES_INLINE doubles<Width> mantissa_field(const doubles<Width>& x) noexcept {
  doubles<Width> m;
  for (int g = 0; g < Width; ++g)
    m.v[g] = (vector)(((words)x.v[g] & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
  return m;
}

/// kernels::log_of_positive, lane by lane.
template <int Width>
TROUPE_LANES_INLINE doubles<Width> log_of_positive(const doubles<Width>& x) noexcept {
  doubles<Width> e = exponent_field(x);
  e = e - (4503599627370496.0 + 1023.0);
  doubles<Width> m = mantissa_field(x);
  const doubles<Width> high = select(greater(m, series::sqrt2), 1.0, 0.0);
  m = m * (1.0 - 0.5 * high);
  e = e + high;
  const doubles<Width> s = (m - 1.0) / (m + 1.0);
  const doubles<Width> p = horner(s * s, series::atanh);
  return e * series::ln2_high + (e * series::ln2_low + 2.0 * s * p);
}

/// The first and second values of lanes * Width pairs: lane l of vector g is pair lanes g + l.
template <int Width>
struct pair_values {
  doubles<Width> first, second;
};

/// kernels::cos_sin_of_turn, lane by lane: first the cosines, second the sines.
template <int Width>
TROUPE_LANES_INLINE pair_values<Width> cos_sin_of_turn(const doubles<Width>& u) noexcept {
  const doubles<Width> x = u * 4.0;
  // Truncation, as the scalar conversion to int32 and back (x is in [0, 4)).
  const doubles<Width> quarter = truncate(x);
  const doubles<Width> a = (x - quarter) * series::half_pi;
  const doubles<Width> a2 = a * a;
  const doubles<Width> s = a + a * (a2 * horner(a2, series::sine));
  const doubles<Width> c = 1.0 - a2 * horner(a2, series::cosine);
  // Rotate by the quarter turns: (c, s) -> (-s, c) -> (-c, -s) -> (s, -c).
  const masks<Width> swap = equal(quarter, 1.0) | equal(quarter, 3.0);
  const doubles<Width> c0 = select(swap, s, c), s0 = select(swap, c, s);
  return {negate_where(equal(quarter, 1.0) | equal(quarter, 2.0), c0),
          negate_where(at_least(quarter, 2.0), s0)};
}

/// normal_pair_into's Box-Muller, lane by lane.
template <int Width>
TROUPE_LANES_INLINE pair_values<Width> box_muller(const pair_values<Width>& u) noexcept {
  const doubles<Width> radius = sqrt(-2.0 * log_of_positive(1.0 - u.first));
  const pair_values<Width> turn = cos_sin_of_turn(u.second);
  return {radius * turn.first, radius * turn.second};
}

/// uniform_pair_into's uniform of words high and low: the top 52 bits of high:low as the
/// mantissa of a number in [1, 2), less 1. Only the words' low halves count.
TROUPE_LANES_INLINE vector unit_interval(words high, words low) noexcept {
  const words joined = high << 32 | (low & 0xffffffffull);
  return (vector)(joined >> 12 | 0x3ff0000000000000ull) - 1.0;
}

/// uniform_pair_into for lanes * Width counters (64 bits each, one a lane). Word j of a counter
/// lives in the low half of its lane in c[j]; the high halves carry junk that nothing reads
/// (low_halves_times and unit_interval read low halves).
template <int Width>
TROUPE_LANES_INLINE pair_values<Width> uniform_values(const words (&counters)[Width],
                                                      const round_keys& keys) noexcept {
  words c[4][Width];
  for (int g = 0; g < Width; ++g) {
    c[0][g] = counters[g];
    c[1][g] = counters[g] >> 32;
    c[2][g] = c[3][g] = words{};
  }
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    for (int g = 0; g < Width; ++g) {
      const words p0 = low_halves_times(c[0][g], philox_m0);
      const words p1 = low_halves_times(c[2][g], philox_m1);
      c[0][g] = (p1 >> 32) ^ c[1][g] ^ keys.k0[round];
      c[1][g] = p1;
      c[2][g] = (p0 >> 32) ^ c[3][g] ^ keys.k1[round];
      c[3][g] = p0;
    }
  }
  pair_values<Width> u;
  for (int g = 0; g < Width; ++g) {
    u.first.v[g] = unit_interval(c[0][g], c[1][g]);
    u.second.v[g] = unit_interval(c[2][g], c[3][g]);
  }
  return u;
}

template <int Width, bool Normal>
TROUPE_LANES_INLINE pair_values<Width> random_values(const words (&counters)[Width],
                                                     const round_keys& keys) noexcept {
  const pair_values<Width> u = uniform_values(counters, keys);
  if constexpr (Normal) return box_muller(u);
  return u;
}

// The blocks are functions of their own: inlined into fill_pairs's loop (as gcc 12 chose for
// one of them), a block kept more of its values on the stack (AVX2 uniforms 8% slower).

/// Pairs first_pair .. first_pair + lanes * Width - 1 into out, two values each.
template <int Width, bool Normal>
__attribute__((noinline)) void block_of_pairs(const round_keys& keys, std::uint64_t first_pair,
                                              double* out) noexcept {
  words counters[Width];
  for (int g = 0; g < Width; ++g) counters[g] = lane_numbers + (first_pair + lanes * g);
  const pair_values<Width> z = random_values<Width, Normal>(counters, keys);
  for (int g = 0; g < Width; ++g) {
    const vector pairs[2] = {
        __builtin_shuffle(z.first.v[g], z.second.v[g], first_halves_interleaved),
        __builtin_shuffle(z.first.v[g], z.second.v[g], second_halves_interleaved)};
    std::memcpy(out + 2 * lanes * g, pairs, sizeof pairs);
  }
}

/// Elements first, first + step, ... (lanes * Width of them) into out. Unsigned: the indices
/// past the end of a short run wrap, where signed ones could overflow.
template <int Width, bool Normal>
__attribute__((noinline)) void block_of_strided(const round_keys& keys, std::uint64_t first,
                                                std::uint64_t step, double* out) noexcept {
  const words steps = lane_numbers * step;
  words index[Width], pair[Width];
  for (int g = 0; g < Width; ++g) {
    index[g] = steps + (first + lanes * g * step);
    pair[g] = index[g] >> 1;
  }
  const pair_values<Width> z = random_values<Width, Normal>(pair, keys);
  for (int g = 0; g < Width; ++g) {
    // An odd index takes its pair's second value.
    const vector values = (index[g] & 1) != 0 ? z.second.v[g] : z.first.v[g];
    std::memcpy(out + lanes * g, &values, sizeof values);
  }
}

/// normal_pairs or uniform_pairs: wide blocks while they fit, then single vectors, the last one
/// made whole in a buffer and the part asked for copied out.
template <bool Normal>
void fill_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t count,
                double* out) noexcept {
  constexpr std::uint64_t block = lanes * wide;
  const round_keys keys = round_keys_of(key);
  std::uint64_t k = 0;
  for (; k + block <= count; k += block)
    block_of_pairs<wide, Normal>(keys, first_pair + k, out + 2 * k);
  for (; k + lanes <= count; k += lanes)
    block_of_pairs<1, Normal>(keys, first_pair + k, out + 2 * k);
  if (k < count) {
    double last[2 * lanes];
    block_of_pairs<1, Normal>(keys, first_pair + k, last);
    std::memcpy(out + 2 * k, last, 2 * (count - k) * sizeof(double));
  }
}

void fill_pairs(bool normal, philox_key key, std::uint64_t first_pair, std::uint64_t count,
                double* out) noexcept {
  if (normal)
    fill_pairs<true>(key, first_pair, count, out);
  else
    fill_pairs<false>(key, first_pair, count, out);
}

/// plain_strided, in blocks as fill_pairs.
template <bool Normal>
void fill_strided(philox_key key, std::int64_t first, std::int64_t step, std::int64_t count,
                  double* out) noexcept {
  constexpr std::int64_t block = lanes * wide;
  const round_keys keys = round_keys_of(key);
  const auto s = static_cast<std::uint64_t>(step);
  auto index = static_cast<std::uint64_t>(first);
  std::int64_t i = 0;
  for (; i + block <= count; i += block, index += block * s)
    block_of_strided<wide, Normal>(keys, index, s, out + i);
  for (; i + lanes <= count; i += lanes, index += lanes * s)
    block_of_strided<1, Normal>(keys, index, s, out + i);
  if (i < count) {
    double last[lanes];
    block_of_strided<1, Normal>(keys, index, s, last);
    std::memcpy(out + i, last, static_cast<std::size_t>(count - i) * sizeof(double));
  }
}

void fill_strided(bool normal, philox_key key, std::int64_t first, std::int64_t step,
                  std::int64_t count, double* out) noexcept {
  if (normal)
    fill_strided<true>(key, first, step, count, out);
  else
    fill_strided<false>(key, first, step, count, out);
}

}  // namespace TROUPE_RANDOM_FILL_SET

}  // namespace

}  // namespace troupe::kernels

#undef TROUPE_LANES_INLINE
#undef TROUPE_RANDOM_FILL_SET
#pragma GCC pop_options

#endif  // TROUPE_RANDOM_FILL_LANES
