// Convolution weight gradient without packing or transposing anything, for the small
// convolutions where that overhead dominates (LeNet-5's, ResNet-20's 16- and 32-channel layers):
//   dW[o, r] = sum over columns j = b*P + q of dY[b, o, q] * columns[r, j],
// columns being the implicit im2col matrix of the input (row r = (c, ky, kx)).
//
// The GEMM formulation (fsb_sgemm_im2col_transposed) must transpose both operands into panels,
// because the reduction runs along the contiguous pixel axis of both. Here the reduction is
// vectorised along that axis instead: a 4 x 6 tile of dW keeps 24 vectors of 16 partial sums
// (lane l sums the pixels at lane l of every chunk), fed per chunk of up to 16 pixels of one
// output row by 4 loads of dY and 6 masked loads of the input (the lane masks of
// fsb_describe_chunks: zero where a tap falls into the padding; lanes past a short chunk's
// end are zero in both); each partial-sum vector is reduced to one number at the end. Tiles
// that overhang the last output channels or rows compute duplicates that are not written.
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
    BLOCK_COLUMNS = 2048,                   // columns per cache block
    MIN_ROW_WIDTH = 10,                     // narrower output rows waste too many of the 16 lanes
    BLOCK_CHUNKS = BLOCK_COLUMNS / 8 + 4,   // bound on the chunks of a block (rows >= 10 wide)
    MAX_OUTPUTS = 64, MAX_ROWS = 576,       // beyond (VGG-sized layers) the packed GEMM is faster
};

typedef struct {
    fsb_conv_geometry g;
    const float *dy, *images;
    long outputs, rows, pixels, columns, o_blocks, r_blocks, tiles;
    float *dw;
    long ldw;
    long row_source[MAX_ROWS];  // offset of row r's tap in an image: plane + ky * width + kx
    long row_tap[MAX_ROWS];
} weight_gradient_job;

/// Adds the chunks of one column block to tile t's partial sums (parked in `sums`).
/// dy_offset[i], dy_lanes[i]: where chunk i's dY starts (for output channel 0) and its lanes.
__attribute__((target("avx512f,fma")))
static void tile_block(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                       const long *dy_offset, const uint32_t *dy_lanes) {
    const long o0 = (t % job->o_blocks) * TILE_O, r0 = (t / job->o_blocks) * TILE_R, pixels = job->pixels;
    __m512 acc[TILE_O][TILE_R];
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < TILE_R; r++) acc[k][r] = _mm512_load_ps(sums + (k * TILE_R + r) * 16);
    const float *dy[TILE_O];  // channels past the last one repeat it (results not written)
    for (int k = 0; k < TILE_O; k++) dy[k] = job->dy + (o0 + k < job->outputs ? o0 + k : job->outputs - 1) * pixels;
    const float *source[TILE_R];
    const uint32_t *masks[TILE_R];
    for (int r = 0; r < TILE_R; r++) {
        const long row = r0 + r < job->rows ? r0 + r : job->rows - 1;
        source[r] = job->images + job->row_source[row];
        masks[r] = chunks->masks + job->row_tap[row] * chunks->capacity;
    }
    for (long i = 0; i < chunks->count; i++) {
        const long at = dy_offset[i];
        const __mmask16 lanes = (__mmask16)dy_lanes[i];
        const __m512 d0 = _mm512_maskz_loadu_ps(lanes, dy[0] + at), d1 = _mm512_maskz_loadu_ps(lanes, dy[1] + at);
        const __m512 d2 = _mm512_maskz_loadu_ps(lanes, dy[2] + at), d3 = _mm512_maskz_loadu_ps(lanes, dy[3] + at);
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
    enum { CAPACITY = BLOCK_CHUNKS };
    // chunk offsets, sources and dY offsets (longs), then the per-tap masks and the dY lanes
    long *described = (long *)fsb_thread_scratch(
        4, (3 * CAPACITY * sizeof(long) + (TAPS_MAX + 1) * CAPACITY * sizeof(uint32_t)) / sizeof(float) + 1);
    chunk_set chunks = {0, CAPACITY, described, described + CAPACITY, (uint32_t *)(described + 3 * CAPACITY)};
    long *dy_offset = described + 2 * CAPACITY;
    uint32_t *dy_lanes = chunks.masks + TAPS_MAX * CAPACITY;
    const long pixels = job->pixels;
    for (long p0 = 0; p0 < job->columns; p0 += BLOCK_COLUMNS) {
        const long count = job->columns - p0 < BLOCK_COLUMNS ? job->columns - p0 : BLOCK_COLUMNS;
        fsb_describe_chunks(&job->g, fsb_locate_column(&job->g, p0), count, 16, &chunks);
        for (long i = 0; i < chunks.count; i++) {
            const long j = p0 + chunks.offset[i];
            const long width = (i + 1 < chunks.count ? chunks.offset[i + 1] : count) - chunks.offset[i];
            dy_offset[i] = (j / pixels) * job->outputs * pixels + j % pixels;
            dy_lanes[i] = (1u << width) - 1u;
        }
        for (long t = t0; t < t1; t++)
            tile_block(job, t, sums + (t - t0) * TILE_FLOATS, &chunks, dy_offset, dy_lanes);
    }
    for (long t = t0; t < t1; t++) {
        const long o0 = (t % job->o_blocks) * TILE_O, r0 = (t / job->o_blocks) * TILE_R;
        for (int k = 0; k < TILE_O && o0 + k < job->outputs; k++)
            for (int r = 0; r < TILE_R && r0 + r < job->rows; r++)
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
    if (kernel->isa != FSB_ISA_AVX512 || g->stride_h != 1 || g->stride_w != 1 || g->out_w < MIN_ROW_WIDTH ||
        g->out_h < 1 || g->batch < 1 || taps > TAPS_MAX || outputs < 1 || outputs > MAX_OUTPUTS ||
        rows > MAX_ROWS || rows < 1) {
        free(job);
        return 0;
    }
    job->dy = dy;
    job->images = images;
    job->outputs = outputs;
    job->rows = rows;
    job->pixels = g->out_h * g->out_w;
    job->columns = g->batch * job->pixels;
    job->o_blocks = (outputs + TILE_O - 1) / TILE_O;
    job->r_blocks = (rows + TILE_R - 1) / TILE_R;
    job->tiles = job->o_blocks * job->r_blocks;
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
