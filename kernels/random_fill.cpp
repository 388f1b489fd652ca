#include "kernels/random_fill.hpp"

#include <cstring>

#include "kernels/philox.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
// The AVX2 loops are built for AVX2 whatever the compiler's flags, and taken only on CPUs
// that have it (use_avx2). Their helpers are always inlined, so that no vector value crosses
// a call: in a function so built, gcc 12 puts a vzeroupper between computing a struct of one
// __m256d and returning it, losing the value's upper half.
#define TROUPE_AVX2 __attribute__((target("avx2")))
#define TROUPE_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline
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

#ifdef TROUPE_AVX2

// The AVX2 loops give the plain loops' bits: they do the IEEE operations of philox.hpp's
// functions in the same order, four counters to a vector, one in each 64-bit lane. Their
// target is AVX2 alone, without FMA, so no multiply and add can be fused.
//
// They step `wide` vectors at once (doubles<wide>), one operation on all of them before the
// next: Philox's rounds and the series are long chains of dependent operations, and one chain
// at a time leaves most of the CPU idle. On one core of the 2-core Zen 5 test machine, gcc's
// own vectorisation of the plain loops made 0.18 G normals/s; these loops 0.19 a vector at a
// time, 0.36 four at a time, 0.41-0.44 eight at a time; twelve were no faster.
namespace avx2 {

constexpr int wide = 8;

// Steps on one vector, for each<> below.
TROUPE_AVX2_INLINE __m256d toward_zero(__m256d x) noexcept {
  return _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
template <int Predicate>
TROUPE_AVX2_INLINE __m256d holds(__m256d x, __m256d y) noexcept {
  return _mm256_cmp_pd(x, y, Predicate);
}
TROUPE_AVX2_INLINE __m256d blend(__m256d mask, __m256d x, __m256d y) noexcept {
  return _mm256_blendv_pd(y, x, mask);
}
TROUPE_AVX2_INLINE __m256d negate(__m256d mask, __m256d x) noexcept {
  return _mm256_xor_pd(x, _mm256_and_pd(mask, _mm256_set1_pd(-0.0)));
}

template <int Width>
struct doubles;

/// F of the vectors of x..., vector by vector.
template <auto F, int Width, class... More>
TROUPE_AVX2_INLINE doubles<Width> each(const doubles<Width>& x, const More&... more) noexcept;

/// Width vectors of four doubles, with the arithmetic of doubles lane by lane. A double
/// converts to all lanes, so that the functions below read as their originals in philox.hpp.
template <int Width>
struct doubles {
  __m256d v[Width];

  doubles() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): constants, as written in the scalar code
  TROUPE_AVX2_INLINE doubles(double x) noexcept {
    for (auto& vector : v) vector = _mm256_set1_pd(x);
  }

  friend TROUPE_AVX2_INLINE doubles operator+(const doubles& a, const doubles& b) noexcept {
    return each<_mm256_add_pd>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles operator-(const doubles& a, const doubles& b) noexcept {
    return each<_mm256_sub_pd>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles operator*(const doubles& a, const doubles& b) noexcept {
    return each<_mm256_mul_pd>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles operator/(const doubles& a, const doubles& b) noexcept {
    return each<_mm256_div_pd>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles sqrt(const doubles& a) noexcept {
    return each<_mm256_sqrt_pd>(a);
  }
  friend TROUPE_AVX2_INLINE doubles truncate(const doubles& a) noexcept {
    return each<toward_zero>(a);
  }

  // Masks: all bits set in the lanes where a comparison holds.
  friend TROUPE_AVX2_INLINE doubles equal(const doubles& a, const doubles& b) noexcept {
    return each<holds<_CMP_EQ_OQ>>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles greater(const doubles& a, const doubles& b) noexcept {
    return each<holds<_CMP_GT_OQ>>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles at_least(const doubles& a, const doubles& b) noexcept {
    return each<holds<_CMP_GE_OQ>>(a, b);
  }
  friend TROUPE_AVX2_INLINE doubles operator|(const doubles& a, const doubles& b) noexcept {
    return each<_mm256_or_pd>(a, b);
  }
  /// mask ? a : b, lane by lane.
  friend TROUPE_AVX2_INLINE doubles select(const doubles& mask, const doubles& a,
                                           const doubles& b) noexcept {
    return each<blend>(mask, a, b);
  }
  /// mask ? -a : a, lane by lane, flipping the sign bit alone (as the scalar negation does).
  friend TROUPE_AVX2_INLINE doubles negate_where(const doubles& mask, const doubles& a) noexcept {
    return each<negate>(mask, a);
  }
};

template <auto F, int Width, class... More>
TROUPE_AVX2_INLINE doubles<Width> each(const doubles<Width>& x, const More&... more) noexcept {
  doubles<Width> result;
  for (int g = 0; g < Width; ++g) result.v[g] = F(x.v[g], more.v[g]...);
  return result;
}

/// kernels::horner, lane by lane. The loop over the coefficients stays a loop: unrolled, it
/// made a block's code too big for the CPU's cache of decoded instructions (12% slower).
template <int Width, std::size_t N>
TROUPE_AVX2_INLINE doubles<Width> horner(const doubles<Width>& x,
                                         const std::array<double, N>& c) noexcept {
  doubles<Width> p = c[0];
#pragma GCC unroll 1
  for (std::size_t i = 1; i < N; ++i) p = p * x + c[i];
  return p;
}

/// log_of_positive's exponent of x as a double (the 2^52 trick, before the bias is taken off)
/// and mantissa of x in [1, 2).
TROUPE_AVX2_INLINE __m256d exponent_field(__m256d x) noexcept {
  const __m256i bits = _mm256_srli_epi64(_mm256_castpd_si256(x), 52);
  return _mm256_castsi256_pd(_mm256_or_si256(bits, _mm256_set1_epi64x(0x4330000000000000ll)));
}
TROUPE_AVX2_INLINE __m256d mantissa_field(__m256d x) noexcept {
  const __m256i bits =
      _mm256_and_si256(_mm256_castpd_si256(x), _mm256_set1_epi64x(0x000fffffffffffffll));
  return _mm256_castsi256_pd(_mm256_or_si256(bits, _mm256_set1_epi64x(0x3ff0000000000000ll)));
}

/// kernels::log_of_positive, lane by lane.
template <int Width>
TROUPE_AVX2_INLINE doubles<Width> log_of_positive(const doubles<Width>& x) noexcept {
  doubles<Width> e = each<exponent_field>(x);
  e = e - (4503599627370496.0 + 1023.0);
  doubles<Width> m = each<mantissa_field>(x);
  const doubles<Width> high = select(greater(m, series::sqrt2), 1.0, 0.0);
  m = m * (1.0 - 0.5 * high);
  e = e + high;
  const doubles<Width> s = (m - 1.0) / (m + 1.0);
  const doubles<Width> p = horner(s * s, series::atanh);
  return e * series::ln2_high + (e * series::ln2_low + 2.0 * s * p);
}

/// The first and second values of 4 * Width pairs: lane l of vector g is pair 4 g + l.
template <int Width>
struct pair_values {
  doubles<Width> first, second;
};

/// kernels::cos_sin_of_turn, lane by lane: first the cosines, second the sines.
template <int Width>
TROUPE_AVX2_INLINE pair_values<Width> cos_sin_of_turn(const doubles<Width>& u) noexcept {
  const doubles<Width> x = u * 4.0;
  // Truncation, as the scalar conversion to int32 and back (x is in [0, 4)).
  const doubles<Width> quarter = truncate(x);
  const doubles<Width> a = (x - quarter) * series::half_pi;
  const doubles<Width> a2 = a * a;
  const doubles<Width> s = a + a * (a2 * horner(a2, series::sine));
  const doubles<Width> c = 1.0 - a2 * horner(a2, series::cosine);
  // Rotate by the quarter turns: (c, s) -> (-s, c) -> (-c, -s) -> (s, -c).
  const doubles<Width> swap = equal(quarter, 1.0) | equal(quarter, 3.0);
  const doubles<Width> c0 = select(swap, s, c), s0 = select(swap, c, s);
  return {negate_where(equal(quarter, 1.0) | equal(quarter, 2.0), c0),
          negate_where(at_least(quarter, 2.0), s0)};
}

/// normal_pair_into's Box-Muller, lane by lane.
template <int Width>
TROUPE_AVX2_INLINE pair_values<Width> box_muller(const pair_values<Width>& u) noexcept {
  const doubles<Width> radius = sqrt(-2.0 * log_of_positive(1.0 - u.first));
  const pair_values<Width> turn = cos_sin_of_turn(u.second);
  return {radius * turn.first, radius * turn.second};
}

/// The keys of Philox's ten rounds, each word broadcast.
struct round_keys {
  __m256i k0[10], k1[10];
};

TROUPE_AVX2_INLINE round_keys round_keys_of(philox_key key) noexcept {
  round_keys keys;
  for (int round = 0; round < 10; ++round) {
    keys.k0[round] = _mm256_set1_epi32(static_cast<int>(key[0]));
    keys.k1[round] = _mm256_set1_epi32(static_cast<int>(key[1]));
    key[0] += philox_w0;
    key[1] += philox_w1;
  }
  return keys;
}

/// uniform_pair_into's uniform of words high and low: the top 52 bits of high:low as the
/// mantissa of a number in [1, 2), less 1. Only the words' low halves count.
TROUPE_AVX2_INLINE __m256d unit_interval(__m256i high, __m256i low) noexcept {
  const __m256i joined = _mm256_blend_epi32(low, _mm256_slli_epi64(high, 32), 0b10101010);
  const __m256i bits =
      _mm256_or_si256(_mm256_srli_epi64(joined, 12), _mm256_set1_epi64x(0x3ff0000000000000ll));
  return _mm256_sub_pd(_mm256_castsi256_pd(bits), _mm256_set1_pd(1.0));
}

/// uniform_pair_into for 4 * Width counters (64 bits each, one a lane). Word j of a counter
/// lives in the low half of its lane in c[j]; the high halves carry junk that nothing reads
/// (vpmuludq multiplies low halves, unit_interval keeps low halves).
template <int Width>
TROUPE_AVX2_INLINE pair_values<Width> uniform_values(const __m256i (&counters)[Width],
                                                     const round_keys& keys) noexcept {
  const __m256i m0 = _mm256_set1_epi64x(philox_m0), m1 = _mm256_set1_epi64x(philox_m1);
  __m256i c[4][Width];
  for (int g = 0; g < Width; ++g) {
    c[0][g] = counters[g];
    c[1][g] = _mm256_srli_epi64(counters[g], 32);
    c[2][g] = c[3][g] = _mm256_setzero_si256();
  }
#pragma GCC unroll 10
  for (int round = 0; round < 10; ++round) {
    for (int g = 0; g < Width; ++g) {
      const __m256i p0 = _mm256_mul_epu32(m0, c[0][g]), p1 = _mm256_mul_epu32(m1, c[2][g]);
      c[0][g] =
          _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c[1][g]), keys.k0[round]);
      c[1][g] = p1;
      c[2][g] =
          _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c[3][g]), keys.k1[round]);
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
TROUPE_AVX2_INLINE pair_values<Width> random_values(const __m256i (&counters)[Width],
                                                    const round_keys& keys) noexcept {
  const pair_values<Width> u = uniform_values(counters, keys);
  if constexpr (Normal) return box_muller(u);
  return u;
}

/// Pairs first_pair .. first_pair + 4 * Width - 1 into out, two values each.
template <int Width, bool Normal>
TROUPE_AVX2 void block_of_pairs(const round_keys& keys, std::uint64_t first_pair,
                                double* out) noexcept {
  __m256i counters[Width];
  for (int g = 0; g < Width; ++g)
    counters[g] = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(first_pair + 4 * g)),
                                   _mm256_setr_epi64x(0, 1, 2, 3));
  const pair_values<Width> z = random_values<Width, Normal>(counters, keys);
  for (int g = 0; g < Width; ++g) {
    const __m256d low = _mm256_unpacklo_pd(z.first.v[g], z.second.v[g]);   // pairs 0 and 2
    const __m256d high = _mm256_unpackhi_pd(z.first.v[g], z.second.v[g]);  // pairs 1 and 3
    _mm256_storeu_pd(out + 8 * g, _mm256_permute2f128_pd(low, high, 0x20));
    _mm256_storeu_pd(out + 8 * g + 4, _mm256_permute2f128_pd(low, high, 0x31));
  }
}

/// Elements first, first + step, ... (4 * Width of them) into out. Unsigned: the indices past
/// the end of a short run wrap, where signed ones could overflow.
template <int Width, bool Normal>
TROUPE_AVX2 void block_of_strided(const round_keys& keys, std::uint64_t first, std::uint64_t step,
                                  double* out) noexcept {
  __m256i index[Width], pair[Width];
  for (int g = 0; g < Width; ++g) {
    const std::uint64_t start = first + 4 * g * step;
    index[g] = _mm256_setr_epi64x(
        static_cast<long long>(start), static_cast<long long>(start + step),
        static_cast<long long>(start + 2 * step), static_cast<long long>(start + 3 * step));
    pair[g] = _mm256_srli_epi64(index[g], 1);
  }
  const pair_values<Width> z = random_values<Width, Normal>(pair, keys);
  for (int g = 0; g < Width; ++g) {
    // An odd index takes its pair's second value: the low bit moved to the sign bit, which
    // is the bit blendv reads.
    const __m256d odd = _mm256_castsi256_pd(_mm256_slli_epi64(index[g], 63));
    _mm256_storeu_pd(out + 4 * g, _mm256_blendv_pd(z.first.v[g], z.second.v[g], odd));
  }
}

/// normal_pairs or uniform_pairs: wide blocks while they fit, then single vectors, the last one
/// made whole in a buffer and the part asked for copied out.
template <bool Normal>
TROUPE_AVX2 void fill_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t count,
                            double* out) noexcept {
  const round_keys keys = round_keys_of(key);
  std::uint64_t k = 0;
  for (; k + 4 * wide <= count; k += 4 * wide)
    block_of_pairs<wide, Normal>(keys, first_pair + k, out + 2 * k);
  for (; k + 4 <= count; k += 4) block_of_pairs<1, Normal>(keys, first_pair + k, out + 2 * k);
  if (k < count) {
    double last[8];
    block_of_pairs<1, Normal>(keys, first_pair + k, last);
    std::memcpy(out + 2 * k, last, 2 * (count - k) * sizeof(double));
  }
}

/// plain_strided, in blocks as fill_pairs.
template <bool Normal>
TROUPE_AVX2 void fill_strided(philox_key key, std::int64_t first, std::int64_t step,
                              std::int64_t count, double* out) noexcept {
  const round_keys keys = round_keys_of(key);
  const auto s = static_cast<std::uint64_t>(step);
  auto index = static_cast<std::uint64_t>(first);
  std::int64_t i = 0;
  for (; i + 4 * wide <= count; i += 4 * wide, index += 4 * wide * s)
    block_of_strided<wide, Normal>(keys, index, s, out + i);
  for (; i + 4 <= count; i += 4, index += 4 * s)
    block_of_strided<1, Normal>(keys, index, s, out + i);
  if (i < count) {
    double last[4];
    block_of_strided<1, Normal>(keys, index, s, last);
    std::memcpy(out + i, last, static_cast<std::size_t>(count - i) * sizeof(double));
  }
}

}  // namespace avx2

/// Whether to take the AVX2 loops for `count` pairs or strided elements: on CPUs with AVX2,
/// and for three or more (for fewer, the plain loop is quicker than a vector of four).
bool use_avx2(std::uint64_t count) noexcept {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 && count >= 3;
}

#endif

/// Pairs first_pair, first_pair + 1, ... into out, two values each.
void random_pairs(bool normal, philox_key key, std::uint64_t first_pair, std::uint64_t pairs,
                  double* out) noexcept {
#ifdef TROUPE_AVX2
  if (use_avx2(pairs)) {
    if (normal)
      avx2::fill_pairs<true>(key, first_pair, pairs, out);
    else
      avx2::fill_pairs<false>(key, first_pair, pairs, out);
    return;
  }
#endif
  if (normal)
    normal_pairs(key, first_pair, pairs, out);
  else
    uniform_pairs(key, first_pair, pairs, out);
}

}  // namespace

void fill_random_row(bool normal, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                     double* out) noexcept {
  const auto key = philox_key_of(seed);
  auto pair_of = [&](std::uint64_t p) {
    return normal ? normal_pair(key, p) : uniform_pair(key, p);
  };
  std::uint64_t i = 0;
  if (count > 0 && first % 2 == 1) out[i++] = pair_of(first / 2)[1];
  const std::uint64_t pairs = (count - i) / 2;
  random_pairs(normal, key, (first + i) / 2, pairs, out + i);
  i += 2 * pairs;
  if (i < count) out[i] = pair_of((first + i) / 2)[0];
}

void fill_random_strided(bool normal, std::uint64_t seed, std::int64_t first, std::int64_t step,
                         std::int64_t count, double* out) noexcept {
  const auto key = philox_key_of(seed);
#ifdef TROUPE_AVX2
  if (use_avx2(static_cast<std::uint64_t>(count))) {
    if (normal)
      avx2::fill_strided<true>(key, first, step, count, out);
    else
      avx2::fill_strided<false>(key, first, step, count, out);
    return;
  }
#endif
  plain_strided(normal, key, first, step, count, out);
}

}  // namespace troupe::kernels
