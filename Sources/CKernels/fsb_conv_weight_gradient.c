// Convolution weight gradient without packing or transposing anything, for the small
// convolutions where that overhead dominates (LeNet-5's, ResNet-20's 16- and 32-channel layers):
//   dW[o, r] = sum over columns j = b*P + q of dY[b, o, q] * columns[r, j],
// columns being the implicit im2col matrix of the input (row r = (c, ky, kx)).
//
// The GEMM formulation (fsb_sgemm_im2col_transposed) must transpose both operands into panels,
// because the reduction runs along the contiguous pixel axis of both. Here the reduction is
// vectorised along that axis instead: a tile of dW keeps one vector of partial sums per
// element (lane l sums the pixels at lane l of every chunk), fed per chunk of pixels of one
// output row by a load of dY per output channel and a masked load of the input per row (the
// lane masks of fsb_describe_chunks: zero where a tap falls into the padding; lanes past a
// short chunk's end are zero in both); each partial-sum vector is reduced to one number at
// the end. Tiles that overhang the last output channels or rows compute duplicates that are
// not written. Two variants:
//   AVX-512: 4 x 6 tiles of 16-lane sums (24 vectors), chunks of up to 16 pixels, output rows
//            at least 10 wide;
//   AVX2:    tiles of 2 output channels x 4 or 6 input channels at one tap (ky, kx), 8-lane
//            sums, chunks of exactly 8 pixels (output width a multiple of 8, so dY needs no
//            mask); one tap per tile means one lane mask per chunk, built once (AVX2 has no
//            mask registers, a mask is three vector instructions) — or none: each cache block's
//            images are first copied with their zero padding written out (staged, as the
//            forward direct tiles do, fsb_set_direct_staging), so the input is read with
//            plain loads (same values, same bits) unless the copy would be too large; at most
//            32 output channels (`fsb-bench gemm --im2col-compare`, rows dweight-direct, on a Zen 3: process CPU
//            time 1.4-1.6x the packed GEMM's for 16 channels, 1.05x for 32, 0.7x for 64).
//
// Cache blocking: the columns are walked in blocks (2048 columns for AVX-512, 1024 for AVX2,
// measured on Zen 4 and Zen 3), each block visiting every tile of the part (partial sums
// parked in a per-thread buffer between blocks), so the block's dY and input stay in L2 while
// all tiles use them, and consecutive tiles (output channels vary fastest) find their input
// rows in L1.
//
// Determinism: every dW element is summed by one thread in a fixed order (blocks ascending,
// chunks ascending, then the fixed tree of the lane reduction); threads split the tiles only,
// so the result does not depend on the thread count. The order differs from the GEMM's, so the
// bits differ from fsb_sgemm_im2col_transposed (by float rounding), and the AVX-512 and AVX2
// variants differ from each other.
#include "fsb_im2col_block.h"
#include "fsb_kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

enum {
    TILE_R = 6,                             // most column-matrix rows of a tile
    BLOCK_COLUMNS = 2048,                   // columns per cache block (AVX-512; AVX2 takes half)
    MIN_ROW_WIDTH = 10,                     // AVX-512: narrower output rows waste too many of the 16 lanes
    BLOCK_CHUNKS = BLOCK_COLUMNS / 8 + 4,   // bound on the chunks of a block (rows >= 10 wide, or 8-lane chunks)
    MAX_OUTPUTS = 64, MAX_ROWS = 576,       // beyond (VGG-sized layers) the packed GEMM is faster
    MAX_OUTPUTS_AVX2 = 32,                  // AVX2: ResNet-20's 64-channel 8x8 layers too (0.7x, Zen 3)
};

typedef struct weight_gradient_job weight_gradient_job;

/// Where a column block's input is read: row r of the column matrix, chunk i at
/// images + row_source[r] + chunks->source[i] (the job's images and row sources, or a staged
/// copy of the block's images with its own row sources; staged: no lane masks needed).
typedef struct {
    const float *images;
    const long *row_source;
    int staged;
} block_input;

/// Adds the chunks of one column block to tile t's partial sums (parked in `sums`).
/// dy_offset[i], dy_lanes[i]: where chunk i's dY starts (for output channel 0) and its lanes.
typedef void (*tile_block_fn)(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                              const long *dy_offset, const uint32_t *dy_lanes, const block_input *input);

struct weight_gradient_job {
    fsb_conv_geometry g;
    const float *dy, *images;
    long outputs, rows, taps, pixels, columns, o_blocks, r_blocks, tiles;
    long tile_o, tile_r, lanes;  // the variant's tile (output channels x rows) and vector width
    long block_columns;          // columns per cache block
    int tap_tiles;               // AVX2: a tile is tile_r channels at one tap, else tile_r consecutive rows
    tile_block_fn tile_block;
    float (*reduce)(const float *lanes);
    float *dw;
    long ldw;
    long row_source[MAX_ROWS];   // offset of row r's tap in an image: plane + ky * width + kx
    long row_tap[MAX_ROWS];
    long row_ky[MAX_ROWS], row_kx[MAX_ROWS];
    int staging;                 // AVX2: stage each block's input rows (fsb_set_direct_staging)
};

/// The column-matrix rows of tile t (job->tile_r of them; rows past the last repeat it, and
/// `real` says which are not such repeats).
static void tile_rows(const weight_gradient_job *job, long t, long rows[TILE_R], int real[TILE_R]) {
    const long block = t / job->o_blocks;
    for (long i = 0; i < job->tile_r; i++) {
        long row;
        if (job->tap_tiles) {
            const long channel = (block / job->taps) * job->tile_r + i, channels = job->rows / job->taps;
            real[i] = channel < channels;
            row = (real[i] ? channel : channels - 1) * job->taps + block % job->taps;
        } else {
            row = block * job->tile_r + i;
            real[i] = row < job->rows;
            if (!real[i]) row = job->rows - 1;
        }
        rows[i] = row;
    }
}

/// Where tile t reads: dY of each of its job->tile_o output channels (channels past the last
/// one repeat it; their results are not written) and, per row, its image offset and tap.
static void tile_sources(const weight_gradient_job *job, long t, const block_input *input, const float **dy,
                         const float **source, long *taps) {
    const long o0 = (t % job->o_blocks) * job->tile_o;
    for (long k = 0; k < job->tile_o; k++)
        dy[k] = job->dy + (o0 + k < job->outputs ? o0 + k : job->outputs - 1) * job->pixels;
    long rows[TILE_R];
    int real[TILE_R];
    tile_rows(job, t, rows, real);
    for (long r = 0; r < job->tile_r; r++) {
        source[r] = input->images + input->row_source[rows[r]];
        taps[r] = job->row_tap[rows[r]];
    }
}

__attribute__((target("avx512f,fma")))
static void tile_block_avx512(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                              const long *dy_offset, const uint32_t *dy_lanes, const block_input *input) {
    enum { TILE_O = 4 };
    __m512 acc[TILE_O][TILE_R];
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < TILE_R; r++) acc[k][r] = _mm512_load_ps(sums + (k * TILE_R + r) * 16);
    const float *dy[TILE_O], *source[TILE_R];
    long taps[TILE_R];
    tile_sources(job, t, input, dy, source, taps);
    const uint32_t *masks[TILE_R];
    for (int r = 0; r < TILE_R; r++) masks[r] = chunks->masks + taps[r] * chunks->capacity;
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

/// tile_block_avx512 for AVX2 tiles of 2 output channels x `channels` (4 or 6, a constant
/// after inlining) input channels at one tap; every chunk is a full 8 pixels, so dY loads
/// need no mask (dy_lanes unused) and the input's lane mask is one per chunk (none when
/// `staged`, a constant after inlining: the padding is in memory).
__attribute__((target("avx2,fma"))) FSB_ALWAYS_INLINE
void tile_block_avx2(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                     const long *dy_offset, const block_input *input, const int channels, const int staged) {
    enum { TILE_O = 2 };
    __m256 acc[TILE_O][TILE_R];
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < channels; r++) acc[k][r] = _mm256_load_ps(sums + (k * TILE_R + r) * 8);
    const float *dy[TILE_O], *source[TILE_R];
    long taps[TILE_R];
    tile_sources(job, t, input, dy, source, taps);
    const uint32_t *masks = chunks->masks + taps[0] * chunks->capacity;  // one tap for the whole tile
    const __m256i lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    for (long i = 0; i < chunks->count; i++) {
        const long at = dy_offset[i];
        const __m256 d0 = _mm256_loadu_ps(dy[0] + at), d1 = _mm256_loadu_ps(dy[1] + at);
        const long offset = chunks->source[i];
        __m256i lanes = _mm256_setzero_si256();
        if (!staged) {
            const __m256i bits = _mm256_and_si256(_mm256_set1_epi32((int)masks[i]), lane_bits);
            lanes = _mm256_cmpeq_epi32(bits, lane_bits);
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < channels; r++) {
            const __m256 c = staged ? _mm256_loadu_ps(source[r] + offset) : _mm256_maskload_ps(source[r] + offset, lanes);
            acc[0][r] = _mm256_fmadd_ps(d0, c, acc[0][r]);
            acc[1][r] = _mm256_fmadd_ps(d1, c, acc[1][r]);
        }
    }
    for (int k = 0; k < TILE_O; k++)
        for (int r = 0; r < channels; r++) _mm256_store_ps(sums + (k * TILE_R + r) * 8, acc[k][r]);
}

__attribute__((target("avx2,fma")))
static void tile_block_avx2_6(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                              const long *dy_offset, const uint32_t *dy_lanes, const block_input *input) {
    (void)dy_lanes;
    if (input->staged) tile_block_avx2(job, t, sums, chunks, dy_offset, input, 6, 1);
    else tile_block_avx2(job, t, sums, chunks, dy_offset, input, 6, 0);
}

__attribute__((target("avx2,fma")))
static void tile_block_avx2_4(const weight_gradient_job *job, long t, float *sums, const chunk_set *chunks,
                              const long *dy_offset, const uint32_t *dy_lanes, const block_input *input) {
    (void)dy_lanes;
    if (input->staged) tile_block_avx2(job, t, sums, chunks, dy_offset, input, 4, 1);
    else tile_block_avx2(job, t, sums, chunks, dy_offset, input, 4, 0);
}

/// Sum of 8 lanes in a fixed order: the two halves, then pairs, then the last two.
__attribute__((target("avx2")))
static float reduce8(const float *lanes) {
    const __m256 v = _mm256_load_ps(lanes);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static void weight_gradient_part(void *context, int part, int parts) {
    const weight_gradient_job *job = context;
    const long t0 = job->tiles * part / parts, t1 = job->tiles * (part + 1) / parts;
    if (t0 >= t1) return;
    const long tile_floats = job->tile_o * TILE_R * job->lanes;  // sums of row r at (k * TILE_R + r) * lanes
    float *sums = fsb_thread_scratch(3, (size_t)(t1 - t0) * (size_t)tile_floats);
    memset(sums, 0, sizeof(float) * (size_t)(t1 - t0) * (size_t)tile_floats);
    enum { CAPACITY = BLOCK_CHUNKS };
    // chunk offsets, sources and dY offsets (longs), then the per-tap masks and the dY lanes
    long *described = (long *)fsb_thread_scratch(
        4, (3 * CAPACITY * sizeof(long) + (TAPS_MAX + 1) * CAPACITY * sizeof(uint32_t)) / sizeof(float) + 1);
    chunk_set chunks = {0, CAPACITY, described, described + CAPACITY, (uint32_t *)(described + 3 * CAPACITY)};
    long *dy_offset = described + 2 * CAPACITY;
    uint32_t *dy_lanes = chunks.masks + TAPS_MAX * CAPACITY;
    const long pixels = job->pixels;
    const fsb_conv_geometry *g = &job->g;
    long staged_row_source[MAX_ROWS];  // row r's tap in the staged window of the current block
    // Staged (AVX2 tap tiles only): just the channels of this part's tiles (tap tiles run
    // channel block by channel block, each block's taps in turn: one channel range per part).
    const long channel_tile = job->tile_r, blocks_per_channel_tile = job->taps;
    const long c_first = (t0 / job->o_blocks) / blocks_per_channel_tile * channel_tile;
    long c_last = ((t1 - 1) / job->o_blocks) / blocks_per_channel_tile * channel_tile + channel_tile - 1;
    if (c_last > g->channels - 1) c_last = g->channels - 1;  // repeated channels are the last one
    for (long p0 = 0; p0 < job->columns; p0 += job->block_columns) {
        const long count = job->columns - p0 < job->block_columns ? job->columns - p0 : job->block_columns;
        fsb_describe_chunks(g, fsb_locate_column(g, p0), count, job->lanes, &chunks);
        for (long i = 0; i < chunks.count; i++) {
            const long j = p0 + chunks.offset[i];
            const long width = (i + 1 < chunks.count ? chunks.offset[i + 1] : count) - chunks.offset[i];
            dy_offset[i] = (j / pixels) * job->outputs * pixels + j % pixels;
            dy_lanes[i] = (1u << width) - 1u;
        }
        block_input input = {job->images, job->row_source, 0};
        const fsb_staged_window window =
            job->staging ? fsb_staged_window_of(g, p0, count, c_first, c_last - c_first + 1) : (fsb_staged_window){0};
        if (job->staging && fsb_staged_floats(&window) <= FSB_STAGED_MAX_FLOATS) {
            float *staged = fsb_thread_scratch(7, (size_t)fsb_staged_floats(&window));
            fsb_stage_window(g, job->images, &window, staged);
            for (long i = 0; i < chunks.count; i++)  // stride 1: chunk i starts at its output pixel
                chunks.source[i] = fsb_staged_offset(g, &window, fsb_locate_column(g, p0 + chunks.offset[i]));
            for (long r = c_first * job->taps; r < (c_last + 1) * job->taps; r++)  // row r = (c, ky, kx)
                staged_row_source[r] = (r / job->taps - c_first) * window.plane_size + job->row_ky[r] * window.padded_w +
                                       job->row_kx[r];
            input = (block_input){staged, staged_row_source, 1};
        }
        for (long t = t0; t < t1; t++)
            job->tile_block(job, t, sums + (t - t0) * tile_floats, &chunks, dy_offset, dy_lanes, &input);
    }
    for (long t = t0; t < t1; t++) {
        const long o0 = (t % job->o_blocks) * job->tile_o;
        long rows[TILE_R];
        int real[TILE_R];
        tile_rows(job, t, rows, real);
        for (long k = 0; k < job->tile_o && o0 + k < job->outputs; k++)
            for (long r = 0; r < job->tile_r; r++)
                if (real[r])
                    job->dw[(o0 + k) * job->ldw + rows[r]] =
                        job->reduce(sums + (t - t0) * tile_floats + (k * TILE_R + r) * job->lanes);
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
    const int avx512 = kernel->isa == FSB_ISA_AVX512, avx2 = kernel->isa == FSB_ISA_AVX2;
    const int width_fits = avx512 ? g->out_w >= MIN_ROW_WIDTH : g->out_w % 8 == 0;
    if (!(avx512 || avx2) || !width_fits || (avx2 && outputs > MAX_OUTPUTS_AVX2) || g->stride_h != 1 ||
        g->stride_w != 1 || g->out_w < 1 || g->out_h < 1 || g->batch < 1 || taps > TAPS_MAX || outputs < 1 || outputs > MAX_OUTPUTS ||
        rows > MAX_ROWS || rows < 1) {
        free(job);
        return 0;
    }
    const long channels = g->channels;
    // AVX2: the channel tile (6 or 4) that leaves the fewest repeated channels, 6 on a tie
    const long tile_channels = (channels + 3) / 4 * 4 < (channels + 5) / 6 * 6 ? 4 : 6;
    job->tile_o = avx512 ? 4 : 2;
    job->tile_r = avx512 ? TILE_R : tile_channels;
    job->lanes = avx512 ? 16 : 8;
    job->block_columns = avx512 ? BLOCK_COLUMNS : BLOCK_COLUMNS / 2;
    job->tap_tiles = !avx512;
    job->tile_block = avx512 ? tile_block_avx512 : tile_channels == 4 ? tile_block_avx2_4 : tile_block_avx2_6;
    job->reduce = avx512 ? reduce16 : reduce8;
    job->dy = dy;
    job->images = images;
    job->outputs = outputs;
    job->rows = rows;
    job->taps = taps;
    job->pixels = g->out_h * g->out_w;
    job->columns = g->batch * job->pixels;
    job->o_blocks = (outputs + job->tile_o - 1) / job->tile_o;
    job->r_blocks = avx512 ? (rows + TILE_R - 1) / TILE_R : taps * ((channels + tile_channels - 1) / tile_channels);
    job->tiles = job->o_blocks * job->r_blocks;
    job->dw = dw;
    job->ldw = ldw;
    job->staging = avx2 && fsb_direct_staging_enabled();
    for (long r = 0; r < rows; r++) {
        const long c = r / taps, t = r % taps, ky = t / g->kernel_w, kx = t % g->kernel_w;
        job->row_source[r] = c * g->height * g->width + ky * g->width + kx;
        job->row_tap[r] = t;
        job->row_ky[r] = ky;
        job->row_kx[r] = kx;
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
