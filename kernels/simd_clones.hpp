#pragma once
// The inner loops are built three times, for AVX-512 (x86-64-v4), for AVX2 + FMA
// (x86-64-v3) and for the baseline, and the loader picks one for the CPU it runs on (GCC's
// function multiversioning): AVX2 made a fused generate-multiply-sum 1.5x faster here, and
// AVX-512 another 14% (seed001_40k 0.120 -> 0.104 s); a worker host without them still runs.
// With -ffp-contract=off every clone rounds alike (a /tmp program compared 13 reductions to
// the bit across the v3 and v4 builds).
// Not under ThreadSanitizer: the loader runs the clones' resolver before TSan's runtime is
// up, and the instrumented resolver crashes the program before main (`make tsan`).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define TROUPE_SIMD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TROUPE_SIMD_CLONES
#endif
