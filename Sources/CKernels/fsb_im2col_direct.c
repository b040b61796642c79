// Forward implicit-im2col GEMM without packing B, for convolutions with few output rows
// (ResNet-20's 16- and 32-channel layers, and their stride-1 input gradients).
//
// With few rows of A (output channels), each packed B value feeds only a few multiply-adds,
// so packing B (a masked load and a store per 16 columns, the stores going to L2) costs
// almost half as much as the multiply-adds themselves. Here the 8x32 AVX-512 tile loads its
// two B vectors straight from the images with the same lane masks the packing uses
// (fsb_describe_chunks): the same values in the same order through the same fused
// multiply-adds, so the same bits as the packed path.
//
// Applies when the chunks of every 32-column panel are exactly two full 16-lane vectors
// (stride 1, output width a multiple of 16) and the C panels never straddle a column group.
#include "fsb_im2col_block.h"

#if defined(__x86_64__)
#include <immintrin.h>

enum { DIRECT_MAX_ROWS = 32 };  // above this many rows of A, packing B once pays for itself

int fsb_im2col_direct_applies(const fsb_im2col_block *block, long rows, int mr, int nr) {
    const fsb_conv_geometry *g = &block->geometry;
    return !block->transposed && block->chunked && block->isa == FSB_ISA_AVX512 && mr == 8 && nr == 32 &&
           g->stride_w == 1 && g->out_w % 16 == 0 && rows % 8 == 0 && rows <= DIRECT_MAX_ROWS;
}

/// The 8x32 tile of micro_kernel_avx512_8x32 (fsb_gemm_kernels.c) with B row p read as two
/// masked loads from images + rows[p].source + source[0 or 1]; the store is the same.
__attribute__((target("avx512f,fma")))
static void direct_tile_8x32(long kc, const float *a, const row_info *rows, const float *images,
                             const long source[2], const uint32_t *masks, long capacity,
                             float *c, long ldc, float alpha, float beta) {
    __m512 acc[8][2];
    for (int i = 0; i < 8; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
    const float *src0 = images + source[0], *src1 = images + source[1];
    for (long p = 0; p < kc; p++) {
        const uint32_t *lanes = masks + rows[p].tap * capacity;
        __m512 b0 = _mm512_maskz_loadu_ps((__mmask16)lanes[0], src0 + rows[p].source);
        __m512 b1 = _mm512_maskz_loadu_ps((__mmask16)lanes[1], src1 + rows[p].source);
#pragma clang loop unroll(full)
        for (int i = 0; i < 8; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += 8;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
        for (int i = 0; i < 8; i++) {
            _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, acc[i][0]));
            _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, acc[i][1]));
        }
    } else {
        __m512 vb = _mm512_set1_ps(beta);
        for (int i = 0; i < 8; i++) {
            float *row = c + i * ldc;
            __m512 t0 = _mm512_mul_ps(va, acc[i][0]), t1 = _mm512_mul_ps(va, acc[i][1]);
            _mm512_storeu_ps(row, _mm512_add_ps(_mm512_mul_ps(vb, _mm512_loadu_ps(row)), t0));
            _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_mul_ps(vb, _mm512_loadu_ps(row + 16)), t1));
        }
    }
}

void fsb_im2col_direct_multiply(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                long mc, long j0, long nc, float *c, long ldc, long c_group,
                                long c_group_stride, float alpha, float beta) {
    const fsb_conv_geometry *g = &block->geometry;
    long offset[PANEL_CHUNKS_MAX], source[PANEL_CHUNKS_MAX];
    uint32_t masks[TAPS_MAX * PANEL_CHUNKS_MAX];
    chunk_set chunks = {0, PANEL_CHUNKS_MAX, offset, source, masks};
    for (long jr = 0; jr < nc; jr += 32) {
        const long column = j0 + jr;
        fsb_describe_chunks(g, fsb_locate_column(g, column), 32, 16, &chunks);  // two chunks: offsets 0, 16
        float *c_panel = c + (column / c_group) * c_group_stride + column % c_group;
        for (long ir = 0; ir < mc; ir += 8)
            direct_tile_8x32(block->kc, packed_a + ir * block->kc, block->rows, images, source, masks,
                             chunks.capacity, c_panel + ir * ldc, ldc, alpha, beta);
    }
}
#else
int fsb_im2col_direct_applies(const fsb_im2col_block *block, long rows, int mr, int nr) {
    (void)block; (void)rows; (void)mr; (void)nr;
    return 0;
}

void fsb_im2col_direct_multiply(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                long mc, long j0, long nc, float *c, long ldc, long c_group,
                                long c_group_stride, float alpha, float beta) {
    (void)block; (void)images; (void)packed_a; (void)mc; (void)j0; (void)nc; (void)c; (void)ldc;
    (void)c_group; (void)c_group_stride; (void)alpha; (void)beta;
}
#endif
