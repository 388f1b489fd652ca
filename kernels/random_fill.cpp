#include "kernels/random_fill.hpp"

#include "kernels/philox.hpp"
#include "kernels/simd_clones.hpp"

namespace troupe::kernels {

namespace {

/// Pairs of normals (or uniforms) first_pair, first_pair + 1, ... into out, two each. Kept
/// apart from the odd ends so that the loop vectorises (in the AVX2 clone, four pairs a step).
TROUPE_SIMD_CLONES void normal_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t pairs,
                                     double* out) noexcept {
  for (std::uint64_t k = 0; k < pairs; ++k)
    normal_pair_into(key, first_pair + k, out[2 * k], out[2 * k + 1]);
}

TROUPE_SIMD_CLONES void uniform_pairs(philox_key key, std::uint64_t first_pair, std::uint64_t pairs,
                                      double* out) noexcept {
  for (std::uint64_t k = 0; k < pairs; ++k)
    uniform_pair_into(key, first_pair + k, out[2 * k], out[2 * k + 1]);
}

/// Elements first, first + step, ... (count of them) of a seeded standard normal (or
/// uniform) array: each from its own pair, in a loop that vectorises as the contiguous one.
TROUPE_SIMD_CLONES void strided_random(bool normal, philox_key key, std::int64_t first,
                                       std::int64_t step, std::int64_t count, double* out) noexcept {
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

}  // namespace

void fill_random_row(bool normal, std::uint64_t seed, std::uint64_t first, std::uint64_t count,
                     double* out) noexcept {
  const auto key = philox_key_of(seed);
  auto pair_of = [&](std::uint64_t p) { return normal ? normal_pair(key, p) : uniform_pair(key, p); };
  std::uint64_t i = 0;
  if (count > 0 && first % 2 == 1) out[i++] = pair_of(first / 2)[1];
  const std::uint64_t pairs = (count - i) / 2;
  if (normal)
    normal_pairs(key, (first + i) / 2, pairs, out + i);
  else
    uniform_pairs(key, (first + i) / 2, pairs, out + i);
  i += 2 * pairs;
  if (i < count) out[i] = pair_of((first + i) / 2)[0];
}


void fill_random_strided(bool normal, std::uint64_t seed, std::int64_t first, std::int64_t step,
                         std::int64_t count, double* out) noexcept {
  strided_random(normal, philox_key_of(seed), first, step, count, out);
}

}  // namespace troupe::kernels
