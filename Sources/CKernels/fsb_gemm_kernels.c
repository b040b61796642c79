// GEMM micro-kernels (AVX-512, AVX2+FMA, portable C) and their run-time selection.
//
// Each kernel keeps its whole mr x nr accumulator tile in registers and walks the packed
// panels once. The AVX-512 kernel is 8x32 (16 zmm accumulators, two B vectors and one
// broadcast A value per step); the AVX2 kernel is 6x16 (12 ymm accumulators).
#include "fsb_internal.h"
#include "fsb_kernels.h"
#include "fsb_tile.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,fma")))
static void micro_kernel_avx512_8x32(long kc, const float *a, const float *b,
                                     float *c, long ldc, float alpha, float beta) {
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    for (long p = 0; p < kc; p++) {
        __m512 b0 = _mm512_load_ps(b);
        __m512 b1 = _mm512_load_ps(b + 16);
        _mm_prefetch((const char *)(b + 512), _MM_HINT_T0);
        fsb_tile_step_avx512(acc, a, b0, b1);
        a += 8;
        b += 32;
    }
    fsb_store_tile_avx512(acc, 8, c, ldc, alpha, beta);
}

/// 16x16 transpose in registers: unpack pairs, then pairs of pairs, then 128-bit lanes twice.
__attribute__((target("avx512f")))
static void transpose16_avx512(const float *src, long lds, float *dst, long ldd) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);      // per lane: r_i[0] r_i+1[0] r_i[1] r_i+1[1]
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);  // per lane: r_i[2] r_i+1[2] r_i[3] r_i+1[3]
    }
    for (int i = 0; i < 16; i += 4) {                  // r[i+e]: rows i..i+3, element e of each lane
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    for (int e = 0; e < 4; e++) {
        __m512 ac_even = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88);      // A0 A2 B0 B2
        __m512 ac_odd = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xDD);       // A1 A3 B1 B3
        __m512 cd_even = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88); // C0 C2 D0 D2
        __m512 cd_odd = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xDD);  // C1 C3 D1 D3
        _mm512_storeu_ps(dst + (0 + e) * ldd, _mm512_shuffle_f32x4(ac_even, cd_even, 0x88));
        _mm512_storeu_ps(dst + (8 + e) * ldd, _mm512_shuffle_f32x4(ac_even, cd_even, 0xDD));
        _mm512_storeu_ps(dst + (4 + e) * ldd, _mm512_shuffle_f32x4(ac_odd, cd_odd, 0x88));
        _mm512_storeu_ps(dst + (12 + e) * ldd, _mm512_shuffle_f32x4(ac_odd, cd_odd, 0xDD));
    }
}

__attribute__((target("avx2,fma")))
static void micro_kernel_avx2_6x16(long kc, const float *a, const float *b,
                                   float *c, long ldc, float alpha, float beta) {
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
    for (long p = 0; p < kc; p++) {
        __m256 b0 = _mm256_load_ps(b);
        __m256 b1 = _mm256_load_ps(b + 8);
        fsb_tile_step_avx2(acc, a, b0, b1);
        a += 6;
        b += 16;
    }
    fsb_store_tile_avx2(acc, 6, c, ldc, alpha, beta);
}
#endif

// Portable 4x16 kernel in plain C (the compiler vectorizes the j loops with baseline SIMD).
// Multiplies and adds are separate statements, so no fused multiply-add is formed.
static void micro_kernel_portable_4x16(long kc, const float *a, const float *b,
                                       float *c, long ldc, float alpha, float beta) {
    float acc[4][16];
    memset(acc, 0, sizeof acc);
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < 4; i++) {
            float ai = a[i];
            for (int j = 0; j < 16; j++) {
                float product = ai * b[j];
                acc[i][j] = acc[i][j] + product;
            }
        }
        a += 4;
        b += 16;
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 16; j++) {
            float t = alpha * acc[i][j];
            if (beta == 0.0f) {
                c[i * ldc + j] = t;
            } else {
                float scaled = beta * c[i * ldc + j];
                c[i * ldc + j] = scaled + t;
            }
        }
}

static const fsb_micro_kernel kernels[] = {
#if defined(__x86_64__)
    {"avx512", 8, 32, micro_kernel_avx512_8x32, transpose16_avx512, FSB_ISA_AVX512},
    {"avx2", 6, 16, micro_kernel_avx2_6x16, NULL, FSB_ISA_AVX2},
#endif
    {"portable", 4, 16, micro_kernel_portable_4x16, NULL, FSB_ISA_PLAIN_C},
};
static const int kernel_count = (int)(sizeof kernels / sizeof kernels[0]);

static int cpu_supports(const char *name) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(name, "avx512") == 0) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return strcmp(name, "portable") == 0;
}

static _Atomic(const fsb_micro_kernel *) selected = NULL;

const fsb_micro_kernel *fsb_selected_micro_kernel(void) {
    const fsb_micro_kernel *kernel = atomic_load_explicit(&selected, memory_order_acquire);
    if (kernel) return kernel;
    for (int i = 0; i < kernel_count; i++)
        if (cpu_supports(kernels[i].name)) { kernel = &kernels[i]; break; }
    atomic_store_explicit(&selected, kernel, memory_order_release);
    return kernel;
}

const char *fsb_gemm_kernel_name(void) { return fsb_selected_micro_kernel()->name; }

int fsb_set_gemm_kernel(const char *name) {
    if (name == NULL) {
        atomic_store(&selected, (const fsb_micro_kernel *)NULL);
        fsb_selected_micro_kernel();
        return 1;
    }
    for (int i = 0; i < kernel_count; i++)
        if (strcmp(kernels[i].name, name) == 0 && cpu_supports(name)) {
            atomic_store(&selected, &kernels[i]);
            return 1;
        }
    return 0;
}
