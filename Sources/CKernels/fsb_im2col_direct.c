// Forward implicit-im2col GEMM without packing B, for convolutions with few output rows
// (ResNet-20's 16- and 32-channel layers, and their stride-1 input gradients; with AVX2 and
// staged images its 64-channel layers too).
//
// With few rows of A (output channels), each packed B value feeds only a few multiply-adds,
// so packing B (a masked load and a store per vector, the stores going to L2) costs almost
// half as much as the multiply-adds themselves. Here the micro-kernel's tile loads its two B
// vectors straight from the images with the same lane masks the packing uses
// (fsb_describe_chunks): the same values in the same order through the same fused
// multiply-adds, so the same bits as the packed path. Two variants, one per micro-kernel:
//   AVX-512: the 8x32 tile, two 16-lane chunks per panel (output width a multiple of 16,
//            whole 8-row panels);
//   AVX2:    the 6x16 tile, two 8-lane chunks per panel (output width a multiple of 8); the
//            last panel may have fewer than 6 rows (packed A is zero there; only real rows
//            are stored). The input rows a block of columns reads are first copied with their
//            zero padding written out ("staged": rows of width + 2 pad_w floats, at most a few
//            hundred KiB, which stay in L2; fsb_staged_window), so the tile reads B with plain
//            loads instead of masked ones (and from planes whose stride is no longer a
//            multiple of 4 KiB); the zeros loaded are those the masks would give, so the bits
//            are the same. Blocks whose staged copy would exceed FSB_STAGED_MAX_FLOATS
//            keep the masked loads (as do all after fsb_set_direct_staging(0)); on a Zen 3
//            staging made these products 1.2-1.3x faster in process CPU time (`fsb-bench gemm
//            --im2col-compare`, rows forward-staged).
// Applies at stride 1, when the C panels never straddle a column group.
#include "fsb_im2col_block.h"
#include "fsb_tile.h"

#include <stdatomic.h>
#include <string.h>

static atomic_int staging_enabled = 1;

int fsb_set_direct_staging(int enabled) { return atomic_exchange(&staging_enabled, enabled != 0); }

int fsb_direct_staging_enabled(void) { return atomic_load_explicit(&staging_enabled, memory_order_relaxed); }

fsb_staged_window fsb_staged_window_of(const fsb_conv_geometry *g, long j0, long count, long c0, long channels) {
    const column_position first = fsb_locate_column(g, j0), last = fsb_locate_column(g, j0 + count - 1);
    fsb_staged_window w = {first.b, last.b, first.oy, last.oy, c0, channels, g->width + 2 * g->pad_w, 0, 0};
    // Output rows [from, to] of an image read padded rows [from * stride_h, to * stride_h + kernel_h).
    const long to_first = w.b0 == w.b1 ? w.oy1 : g->out_h - 1;  // image b0's last output row
    w.rows = (to_first - w.oy0) * g->stride_h + g->kernel_h;
    if (w.b1 > w.b0) {
        const long last_rows = w.oy1 * g->stride_h + g->kernel_h;
        const long middle_rows = w.b1 > w.b0 + 1 ? (g->out_h - 1) * g->stride_h + g->kernel_h : 0;
        if (last_rows > w.rows) w.rows = last_rows;
        if (middle_rows > w.rows) w.rows = middle_rows;
    }
    w.plane_size = w.rows * w.padded_w;
    return w;
}

void fsb_stage_window(const fsb_conv_geometry *g, const float *images, const fsb_staged_window *w, float *staged) {
    const long plane = g->height * g->width, width = g->width, padded_w = w->padded_w;
    // One memset for all the padding (rows are a few dozen floats: a call per border would
    // cost as much as the copy), then each input row copied into place.
    memset(staged, 0, sizeof(float) * (size_t)((w->b1 - w->b0 + 1) * w->channels * w->plane_size));
    for (long b = w->b0; b <= w->b1; b++) {
        const long first_row = fsb_staged_first_row(g, w, b);
        long i0 = g->pad_h - first_row, i1 = g->pad_h + g->height - first_row;  // rows holding input rows
        if (i0 < 0) i0 = 0;
        if (i1 > w->rows) i1 = w->rows;
        for (long c = w->c0; c < w->c0 + w->channels; c++) {
            const float *source = images + (b * g->channels + c) * plane + (first_row + i0 - g->pad_h) * width;
            float *row = staged + ((b - w->b0) * w->channels + c - w->c0) * w->plane_size + i0 * padded_w + g->pad_w;
            for (long i = i0; i < i1; i++, row += padded_w, source += width)
                memcpy(row, source, sizeof(float) * (size_t)width);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

enum {
    DIRECT_MAX_ROWS = 32,         // above this many rows of A, packing B once pays for itself...
    DIRECT_MAX_ROWS_STAGED = 64,  // ...or above this many, for AVX2 tiles reading staged images
};                                // (ResNet-20's 64-channel 8x8 layers: 1.07x, 1 thread, Zen 3)

int fsb_im2col_direct_applies(const fsb_im2col_block *block, long rows, int mr, int nr) {
    const fsb_conv_geometry *g = &block->geometry;
    if (block->transposed || !block->chunked || g->stride_w != 1) return 0;
    if (block->isa == FSB_ISA_AVX512)
        return rows <= DIRECT_MAX_ROWS && mr == 8 && nr == 32 && g->out_w % 16 == 0 && rows % 8 == 0;
    if (block->isa == FSB_ISA_AVX2)
        return rows <= (fsb_direct_staging_enabled() ? DIRECT_MAX_ROWS_STAGED : DIRECT_MAX_ROWS) && mr == 6 &&
               nr == 16 && g->out_w % 8 == 0;
    return 0;
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
        fsb_tile_step_avx512(acc, a, b0, b1);
        a += 8;
    }
    fsb_store_tile_avx512(acc, 8, c, ldc, alpha, beta);
}

static void direct_multiply_avx512(const fsb_im2col_block *block, const float *images, const float *packed_a,
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

/// The 6x16 tile of micro_kernel_avx2_6x16 (fsb_gemm_kernels.c) with B row p read as two
/// masked 8-lane loads from images + rows[p].source + source[0 or 1] (lane masks of tap t at
/// masks[2t], masks[2t+1]); stores the first `stored` rows exactly as the kernel (full tile)
/// or edge_tile (fewer rows) would.
__attribute__((target("avx2,fma")))
static void direct_tile_6x16(long kc, const float *a, const row_info *rows, const float *images,
                             const long source[2], const __m256i *masks, long stored,
                             float *c, long ldc, float alpha, float beta) {
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
    const float *src0 = images + source[0], *src1 = images + source[1];
    for (long p = 0; p < kc; p++) {
        const __m256i *lanes = masks + 2 * rows[p].tap;
        __m256 b0 = _mm256_maskload_ps(src0 + rows[p].source, lanes[0]);
        __m256 b1 = _mm256_maskload_ps(src1 + rows[p].source, lanes[1]);
        fsb_tile_step_avx2(acc, a, b0, b1);
        a += 6;
    }
    fsb_store_tile_avx2(acc, (int)stored, c, ldc, alpha, beta);
}

/// The 6x16 tile above with B row p read as two plain 8-lane loads from src0 + offset[p] and
/// src1 + offset[p] (staged images: the padding is in memory).
__attribute__((target("avx2,fma")))
static void staged_tile_6x16(long kc, const float *a, const long *offset, const float *src0, const float *src1,
                             long stored, float *c, long ldc, float alpha, float beta) {
    __m256 acc[6][2];
    for (int i = 0; i < 6; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
    for (long p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(src0 + offset[p]);
        const __m256 b1 = _mm256_loadu_ps(src1 + offset[p]);
        fsb_tile_step_avx2(acc, a, b0, b1);
        a += 6;
    }
    fsb_store_tile_avx2(acc, (int)stored, c, ldc, alpha, beta);
}

/// The staged variant of direct_multiply_avx2, or 0 (nothing done) when the block's staged
/// copy would be larger than FSB_STAGED_MAX_FLOATS.
__attribute__((target("avx2")))
static int staged_multiply_avx2(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                long mc, long j0, long nc, float *c, long ldc, long c_group,
                                long c_group_stride, float alpha, float beta) {
    const fsb_conv_geometry *g = &block->geometry;
    const long taps = g->kernel_h * g->kernel_w;
    const long c0 = block->p0 / taps, c1 = (block->p0 + block->kc - 1) / taps;
    const fsb_staged_window window = fsb_staged_window_of(g, j0, nc, c0, c1 - c0 + 1);
    const double floats = fsb_staged_floats(&window);
    if (floats > FSB_STAGED_MAX_FLOATS) return 0;
    float *staged = fsb_thread_scratch(7, (size_t)floats);
    fsb_stage_window(g, images, &window, staged);
    long offset[FSB_KC_MAX];  // row p: its plane, kernel row and kernel column in the staged copy
    for (long p = 0; p < block->kc; p++) {
        const long r = block->p0 + p, t = r % taps;
        offset[p] = (r / taps - c0) * window.plane_size + (t / g->kernel_w) * window.padded_w + t % g->kernel_w;
    }
    for (long jr = 0; jr < nc; jr += 16) {
        const long column = j0 + jr;
        const float *source[2];
        for (int i = 0; i < 2; i++)  // chunk i: columns column + 8i .. + 7, in one output row
            source[i] = staged + fsb_staged_offset(g, &window, fsb_locate_column(g, column + 8 * i));
        float *c_panel = c + (column / c_group) * c_group_stride + column % c_group;
        for (long ir = 0; ir < mc; ir += 6)
            staged_tile_6x16(block->kc, packed_a + ir * block->kc, offset, source[0], source[1],
                             mc - ir < 6 ? mc - ir : 6, c_panel + ir * ldc, ldc, alpha, beta);
    }
    return 1;
}

__attribute__((target("avx2")))
static void direct_multiply_avx2(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                 long mc, long j0, long nc, float *c, long ldc, long c_group,
                                 long c_group_stride, float alpha, float beta) {
    const fsb_conv_geometry *g = &block->geometry;
    const long taps = g->kernel_h * g->kernel_w;
    long offset[PANEL_CHUNKS_MAX], source[PANEL_CHUNKS_MAX];
    uint32_t masks[TAPS_MAX * PANEL_CHUNKS_MAX];
    chunk_set chunks = {0, PANEL_CHUNKS_MAX, offset, source, masks};
    __m256i lane_masks[2 * TAPS_MAX];
    const __m256i lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    for (long jr = 0; jr < nc; jr += 16) {
        const long column = j0 + jr;
        fsb_describe_chunks(g, fsb_locate_column(g, column), 16, 8, &chunks);  // two chunks: offsets 0, 8
        for (long t = 0; t < taps; t++)
            for (int i = 0; i < 2; i++) {
                const __m256i bits = _mm256_and_si256(_mm256_set1_epi32((int)masks[t * chunks.capacity + i]), lane_bits);
                lane_masks[2 * t + i] = _mm256_cmpeq_epi32(bits, lane_bits);
            }
        float *c_panel = c + (column / c_group) * c_group_stride + column % c_group;
        for (long ir = 0; ir < mc; ir += 6)
            direct_tile_6x16(block->kc, packed_a + ir * block->kc, block->rows, images, source, lane_masks,
                             mc - ir < 6 ? mc - ir : 6, c_panel + ir * ldc, ldc, alpha, beta);
    }
}

void fsb_im2col_direct_multiply(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                long mc, long j0, long nc, float *c, long ldc, long c_group,
                                long c_group_stride, float alpha, float beta) {
    if (block->isa == FSB_ISA_AVX512)
        direct_multiply_avx512(block, images, packed_a, mc, j0, nc, c, ldc, c_group, c_group_stride, alpha, beta);
    else if (!fsb_direct_staging_enabled() ||
             !staged_multiply_avx2(block, images, packed_a, mc, j0, nc, c, ldc, c_group, c_group_stride, alpha, beta))
        direct_multiply_avx2(block, images, packed_a, mc, j0, nc, c, ldc, c_group, c_group_stride, alpha, beta);
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
