// Convolution weight gradient without packing or transposing anything, for the small
// convolutions where that overhead dominates (ResNet-20's 16- and 32-channel layers):
//   dW[o, r] = sum over columns j = b*P + q of dY[b, o, q] * columns[r, j],
// columns being the implicit im2col matrix of the input (row r = (c, ky, kx)).
//
// The GEMM formulation (fsb_sgemm_im2col_transposed) must transpose both operands into panels,
// because the reduction runs along the contiguous pixel axis of both. Here the reduction is
// vectorised along that axis instead: a 4 x 6 tile of dW keeps 24 vectors of 16 partial sums
// (lane l sums the pixels j = l mod 16), fed per 16-pixel chunk by 4 plain loads of dY and
// 6 masked loads of the input (the lane masks of fsb_describe_chunks: zero where a tap falls
// into the padding); each partial-sum vector is reduced to one number at the end.
//
// Cache blocking: the columns are walked in blocks of BLOCK_COLUMNS, each block visiting every
// tile of the part (partial sums parked in a per-thread buffer between blocks), so the block's
// dY and input stay in L2 while all tiles use them.
//
// Determinism: every dW element is summed by one thread in a fixed order (blocks ascending,
// chunks ascending, then the fixed tree of the lane reduction); threads split the tiles only,
// so the result does not depend on the thread count. The order differs from the GEMM's, so the
// bits differ from fsb_sgemm_im2col_transposed (by float rounding).
#include "fsb_im2col_block.h"
#include "fsb_kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum {
    TILE_O = 4, TILE_R = 6,                 // dW tile: 4 output channels x 6 column-matrix rows
    TILE_FLOATS = TILE_O * TILE_R * 16,     // its 24 partial-sum vectors
    BLOCK_COLUMNS = 2048,                   // columns per cache block (a multiple of 16)
    BLOCK_CHUNKS = BLOCK_COLUMNS / 16,
    MAX_OUTPUTS = 64, MAX_ROWS = 576,       // beyond (VGG-sized layers) the packed GEMM is faster
};

typedef struct {
    fsb_conv_geometry g;
    const float *dy, *images;
    long outputs, rows, pixels, columns, o_blocks, tiles;
    float *dw;
    long ldw;
    long row_source[MAX_ROWS];  // offset of row r's tap in an image: plane + ky * width + kx
    long row_tap[MAX_ROWS];
} weight_gradient_job;

/// Adds the chunks of one column block to tile t's partial sums (parked in `sums`).
__attribute__((target("avx512f,fma")))
static void tile_block(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                       const long *dy_offset) {
    const long o0 = (t % job->o_blocks) * TILE_O, r0 = (t / job->o_blocks) * TILE_R, pixels = job->pixels;
    __m512 acc[TILE_O][TILE_R];
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < TILE_R; r++) acc[k][r] = _mm512_load_ps(sums + (k * TILE_R + r) * 16);
    const float *dy = job->dy + o0 * pixels;
    const float *source[TILE_R];
    const uint32_t *masks[TILE_R];
    for (int r = 0; r < TILE_R; r++) {
        source[r] = job->images + job->row_source[r0 + r];
        masks[r] = chunks->masks + job->row_tap[r0 + r] * chunks->capacity;
    }
    for (long i = 0; i < chunks->count; i++) {
        const float *d = dy + dy_offset[i];
        const __m512 d0 = _mm512_loadu_ps(d), d1 = _mm512_loadu_ps(d + pixels);
        const __m512 d2 = _mm512_loadu_ps(d + 2 * pixels), d3 = _mm512_loadu_ps(d + 3 * pixels);
        const long offset = chunks->source[i];
#pragma clang loop unroll(full)
        for (int r = 0; r < TILE_R; r++) {
            const __m512 c = _mm512_maskz_loadu_ps((__mmask16)masks[r][i], source[r] + offset);
            acc[0][r] = _mm512_fmadd_ps(d0, c, acc[0][r]);
            acc[1][r] = _mm512_fmadd_ps(d1, c, acc[1][r]);
            acc[2][r] = _mm512_fmadd_ps(d2, c, acc[2][r]);
            acc[3][r] = _mm512_fmadd_ps(d3, c, acc[3][r]);
        }
    }
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < TILE_R; r++) _mm512_store_ps(sums + (k * TILE_R + r) * 16, acc[k][r]);
}

__attribute__((target("avx512f")))
static float reduce16(const float *lanes) { return _mm512_reduce_add_ps(_mm512_load_ps(lanes)); }

static void weight_gradient_part(void *context, int part, int parts) {
    const weight_gradient_job *job = context;
    const long t0 = job->tiles * part / parts, t1 = job->tiles * (part + 1) / parts;
    if (t0 >= t1) return;
    float *sums = fsb_thread_scratch(3, (size_t)(t1 - t0) * TILE_FLOATS);
    memset(sums, 0, sizeof(float) * (size_t)(t1 - t0) * TILE_FLOATS);
    enum { CAPACITY = BLOCK_CHUNKS + 2 };
    // chunk offsets, sources and dY offsets (longs), then the per-tap masks
    long *described = (long *)fsb_thread_scratch(4, (3 * CAPACITY * sizeof(long) + TAPS_MAX * CAPACITY * sizeof(uint32_t)) / sizeof(float));
    chunk_set chunks = {0, CAPACITY, described, described + CAPACITY, (uint32_t *)(described + 3 * CAPACITY)};
    long *dy_offset = described + 2 * CAPACITY;
    const long pixels = job->pixels;
    for (long p0 = 0; p0 < job->columns; p0 += BLOCK_COLUMNS) {
        const long count = job->columns - p0 < BLOCK_COLUMNS ? job->columns - p0 : BLOCK_COLUMNS;
        fsb_describe_chunks(&job->g, fsb_locate_column(&job->g, p0), count, 16, &chunks);
        for (long i = 0; i < chunks.count; i++) {
            const long j = p0 + chunks.offset[i];
            dy_offset[i] = (j / pixels) * job->outputs * pixels + j % pixels;
        }
        for (long t = t0; t < t1; t++) tile_block(job, t, sums + (t - t0) * TILE_FLOATS, &chunks, dy_offset);
    }
    for (long t = t0; t < t1; t++) {
        const long o0 = (t % job->o_blocks) * TILE_O, r0 = (t / job->o_blocks) * TILE_R;
        for (int k = 0; k < TILE_O; k++)
            for (int r = 0; r < TILE_R; r++)
                job->dw[(o0 + k) * job->ldw + r0 + r] = reduce16(sums + (t - t0) * TILE_FLOATS + (k * TILE_R + r) * 16);
    }
}

int fsb_conv_weight_gradient_direct(long outputs, const float *dy, const float *images, fsb_conv_shape shape,
                                    float *dw, long ldw) {
    const fsb_micro_kernel *kernel = fsb_selected_micro_kernel();
    weight_gradient_job *job = malloc(sizeof(weight_gradient_job));
    if (!job) return 0;
    job->g = fsb_make_conv_geometry(shape.batch, shape.channels, shape.height, shape.width, shape.kernel_h,
                                    shape.kernel_w, shape.pad_h, shape.pad_w, shape.stride_h, shape.stride_w);
    const fsb_conv_geometry *g = &job->g;
    const long taps = g->kernel_h * g->kernel_w, rows = g->channels * taps;
    if (kernel->isa != FSB_ISA_AVX512 || g->stride_h != 1 || g->stride_w != 1 || g->out_w % 16 != 0 ||
        g->out_h < 1 || g->batch < 1 || taps > TAPS_MAX || outputs % TILE_O != 0 || outputs > MAX_OUTPUTS ||
        rows % TILE_R != 0 || rows > MAX_ROWS || rows < 1) {
        free(job);
        return 0;
    }
    job->dy = dy;
    job->images = images;
    job->outputs = outputs;
    job->rows = rows;
    job->pixels = g->out_h * g->out_w;
    job->columns = g->batch * job->pixels;
    job->o_blocks = outputs / TILE_O;
    job->tiles = job->o_blocks * (rows / TILE_R);
    job->dw = dw;
    job->ldw = ldw;
    for (long r = 0; r < rows; r++) {
        const long c = r / taps, t = r % taps, ky = t / g->kernel_w, kx = t % g->kernel_w;
        job->row_source[r] = c * g->height * g->width + ky * g->width + kx;
        job->row_tap[r] = t;
    }
    int parts = fsb_get_num_threads();
    if (parts > job->tiles) parts = (int)job->tiles;
    fsb_parallel_run(parts, weight_gradient_part, job);
    free(job);
    return 1;
}
#else
int fsb_conv_weight_gradient_direct(long outputs, const float *dy, const float *images, fsb_conv_shape shape,
                                    float *dw, long ldw) {
    (void)outputs; (void)dy; (void)images; (void)shape; (void)dw; (void)ldw;
    return 0;
}
#endif
