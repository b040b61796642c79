// The fused multiply-add peak of one core: 12 independent accumulator chains (more than
// latency x throughput on Zen 3/4 and Sapphire Rapids: 4 cycles x 2 pipes), no memory
// traffic, so the loop runs at the FMA units' issue rate.
#include "fsb_fma_peak.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum { CHAINS = 12 };

__attribute__((target("avx512f")))
static double run_avx512(long iterations, float *sink) {
    __m512 acc[CHAINS];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iterations; n++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 total = acc[0];
    for (int i = 1; i < CHAINS; i++) total = _mm512_add_ps(total, acc[i]);
    *sink = _mm512_reduce_add_ps(total);
    return 2.0 * 16 * CHAINS * (double)iterations;
}

/// vdpbf16ps: each instruction is 32 bf16 multiply-adds into 16 float32 lanes. Its latency
/// is longer than an FMA's, so twice the chains keep it busy.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static double run_avx512bf16(long iterations, float *sink) {
    enum { BF16_CHAINS = 2 * CHAINS };
    __m512 acc[BF16_CHAINS];
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f7f3f7f), b = (__m512bh)_mm512_set1_epi32(0x33d633d6);
    for (int i = 0; i < BF16_CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iterations; n++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < BF16_CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    }
    __m512 total = acc[0];
    for (int i = 1; i < BF16_CHAINS; i++) total = _mm512_add_ps(total, acc[i]);
    *sink = _mm512_reduce_add_ps(total);
    return 2.0 * 32 * BF16_CHAINS * (double)iterations;
}

__attribute__((target("avx2,fma")))
static double run_avx2(long iterations, float *sink) {
    __m256 acc[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long n = 0; n < iterations; n++) {
#pragma clang loop unroll(full)
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    __m256 total = acc[0];
    for (int i = 1; i < CHAINS; i++) total = _mm256_add_ps(total, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    float sum = 0;
    for (int i = 0; i < 8; i++) sum += lanes[i];
    *sink = sum;
    return 2.0 * 8 * CHAINS * (double)iterations;
}

int fsb_fma_peak_available(const char *isa) {
    __builtin_cpu_init();
    if (strcmp(isa, "avx512") == 0) return __builtin_cpu_supports("avx512f");
    if (strcmp(isa, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (strcmp(isa, "avx512-bf16") == 0) return __builtin_cpu_supports("avx512bf16");
    return 0;
}

double fsb_fma_peak_run(const char *isa, long iterations, float *sink) {
    if (!fsb_fma_peak_available(isa)) return 0;
    if (strcmp(isa, "avx512") == 0) return run_avx512(iterations, sink);
    if (strcmp(isa, "avx512-bf16") == 0) return run_avx512bf16(iterations, sink);
    return run_avx2(iterations, sink);
}
#else
int fsb_fma_peak_available(const char *isa) {
    (void)isa;
    return 0;
}

double fsb_fma_peak_run(const char *isa, long iterations, float *sink) {
    (void)isa; (void)iterations;
    *sink = 0;
    return 0;
}
#endif
