#pragma once
// The inner loops are built twice, for AVX2 + FMA (x86-64-v3) and for the baseline, and the
// loader picks one for the CPU it runs on (GCC's function multiversioning): AVX2 made a fused
// generate-multiply-sum 1.5x faster here, and a worker host without it still runs.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TROUPE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TROUPE_SIMD_CLONES
#endif
