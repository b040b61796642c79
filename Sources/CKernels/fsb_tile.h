// Private to the micro-kernels (fsb_gemm_kernels.c) and the direct convolution tiles
// (fsb_im2col_direct.c): the arithmetic of an accumulator tile of two vectors per row, so
// that a tile whose B comes straight from the images gives the packed kernel's bits.
//   step:  acc[i] += a[i] * (b0, b1) for each row i, one fused multiply-add per vector;
//   store: c = alpha * acc (beta 0), or c = beta * c + alpha * acc as two multiplies and
//          one add, never fused.
#ifndef FSB_TILE_H
#define FSB_TILE_H

#if defined(__x86_64__)
#include <immintrin.h>

/// One reduction step of the AVX-512 8x32 tile: packed A values a[0..7], B row (b0, b1).
__attribute__((target("avx512f,fma"))) static inline __attribute__((always_inline))
void fsb_tile_step_avx512(__m512 (*acc)[2], const float *a, __m512 b0, __m512 b1) {
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
}

/// Stores rows [0, rows) of a tile of 2 x 16 floats per row (AVX-512 8x32 kernel).
__attribute__((target("avx512f"))) static inline __attribute__((always_inline))
void fsb_store_tile_avx512(__m512 (*acc)[2], int rows, float *c, long ldc, float alpha, float beta) {
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
        for (int i = 0; i < rows; i++) {
            _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i][0]));
            _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, acc[i][1]));
        }
        return;
    }
    const __m512 vb = _mm512_set1_ps(beta);
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        const __m512 t0 = _mm512_mul_ps(va, acc[i][0]), t1 = _mm512_mul_ps(va, acc[i][1]);
        _mm512_storeu_ps(row, _mm512_add_ps(_mm512_mul_ps(vb, _mm512_loadu_ps(row)), t0));
        _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_mul_ps(vb, _mm512_loadu_ps(row + 16)), t1));
    }
}

/// One reduction step of the AVX2 6x16 tile: packed A values a[0..5], B row (b0, b1).
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline))
void fsb_tile_step_avx2(__m256 (*acc)[2], const float *a, __m256 b0, __m256 b1) {
#pragma clang loop unroll(full)
    for (int i = 0; i < 6; i++) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
}

/// Stores rows [0, rows) of a tile of 2 x 8 floats per row (AVX2 6x16 kernel).
__attribute__((target("avx"))) static inline __attribute__((always_inline))
void fsb_store_tile_avx2(__m256 (*acc)[2], int rows, float *c, long ldc, float alpha, float beta) {
    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
        for (int i = 0; i < rows; i++) {
            _mm256_storeu_ps(c + i * ldc, _mm256_mul_ps(va, acc[i][0]));
            _mm256_storeu_ps(c + i * ldc + 8, _mm256_mul_ps(va, acc[i][1]));
        }
        return;
    }
    const __m256 vb = _mm256_set1_ps(beta);
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        const __m256 t0 = _mm256_mul_ps(va, acc[i][0]), t1 = _mm256_mul_ps(va, acc[i][1]);
        _mm256_storeu_ps(row, _mm256_add_ps(_mm256_mul_ps(vb, _mm256_loadu_ps(row)), t0));
        _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_mul_ps(vb, _mm256_loadu_ps(row + 8)), t1));
    }
}
#endif

#endif
