// Private to the implicit-im2col files (fsb_im2col_pack.c, fsb_im2col_direct.c): how a
// convolution's column matrix is described for one GEMM reduction block.
#ifndef FSB_IM2COL_BLOCK_H
#define FSB_IM2COL_BLOCK_H

#include "fsb_internal.h"

#include <stdint.h>

/// What one column-matrix row needs: offset of its channel plane, its tap, and the valid
/// output-column range [lo, hi) of its kernel column kx.
typedef struct {
    long plane_offset, ky, kx, lo, hi;
    long tap, source;  // ky * kernel_w + kx; plane_offset + ky * width + kx
} row_info;

/// Position of column j: image b, output row oy, output column ox.
typedef struct {
    long b, oy, ox;
} column_position;

static inline column_position fsb_locate_column(const fsb_conv_geometry *g, long j) {
    const long pixels = g->out_h * g->out_w;
    const long b = j / pixels, pixel = j % pixels;
    return (column_position){b, pixel / g->out_w, pixel % g->out_w};
}

#define FSB_ALWAYS_INLINE static inline __attribute__((always_inline))

enum {
    CHUNK_MIN_WIDTH = 8,                                         // AVX2 chunks; AVX-512 ones are 16 wide
    TAPS_MAX = 49,                                               // larger kernels use the generic path
    CHUNKS_MAX = FSB_KC_MAX / CHUNK_MIN_WIDTH + FSB_KC_MAX + 2,  // bound for kc <= FSB_KC_MAX columns
    PANEL_CHUNKS_MAX = 64 / CHUNK_MIN_WIDTH + 64 + 2,            // bound for one panel of nr <= 64 columns
};

/// A column range cut into chunks of up to `width` (16 or 8) consecutive columns of one output
/// row. Chunk i is written to dst[offset[i] ..] and read from images[row.source + source[i] +
/// stride_w * lane] for the lanes set in masks[tap * capacity + i] (bits 0 .. width-1: the
/// first `width` source floats, the next `width` bits: the following ones, stride 2 only),
/// i.e. the lanes whose input pixel for that tap is inside the image; other lanes are zero.
typedef struct {
    long count, capacity;
    long *offset, *source;
    uint32_t *masks;
} chunk_set;

struct fsb_im2col_block {
    fsb_conv_geometry geometry;
    long p0, kc;
    int transposed, chunked;       // chunked: the vector chunk path applies (isa: which one)
    int isa;
    row_info rows[FSB_KC_MAX];     // forward: rows p0 .. p0+kc
    column_position at;            // transposed: position of column p0
    chunk_set chunks;              // transposed + chunked: chunks of columns p0 .. p0+kc
    long chunk_offset[CHUNKS_MAX], chunk_source[CHUNKS_MAX];
    uint32_t chunk_masks[TAPS_MAX * CHUNKS_MAX];
};

/// Staging (fsb_im2col_direct.c; fsb_set_direct_staging): the AVX2 packing-free tiles copy the
/// input rows that a block of columns reads, with their zero padding written out, and then
/// read them with plain loads. The window of columns [j0, j0 + count) (output rows oy0 of
/// image b0 to oy1 of image b1) and channels [c0, c0 + channels): plane (b, c) at
/// ((b - b0) * channels + c - c0) * plane_size holds `rows` rows of padded_w = width +
/// 2 pad_w floats, its row i being padded input row first_row(b) + i (padded row r is input
/// row r - pad_h; column x + pad_w holds input column x). Windows larger than
/// FSB_STAGED_MAX_FLOATS (1 MiB; ResNet-20's layers stage at most 210 KiB) are not staged:
/// those blocks read the images with masked loads.
typedef struct {
    long b0, b1, oy0, oy1, c0, channels;
    long padded_w, rows, plane_size;
} fsb_staged_window;
enum { FSB_STAGED_MAX_FLOATS = 1 << 18 };
int fsb_direct_staging_enabled(void);
/// The window of columns [j0, j0 + count), count >= 1, and channels [c0, c0 + channels).
fsb_staged_window fsb_staged_window_of(const fsb_conv_geometry *g, long j0, long count, long c0, long channels);
/// The floats the window's copy takes (a double: no overflow).
static inline double fsb_staged_floats(const fsb_staged_window *w) {
    return (double)(w->b1 - w->b0 + 1) * (double)w->channels * (double)w->plane_size;
}
/// The padded input row that image b's staged planes start with.
static inline long fsb_staged_first_row(const fsb_conv_geometry *g, const fsb_staged_window *w, long b) {
    return (b == w->b0 ? w->oy0 : 0) * g->stride_h;
}
/// Where output pixel (b, oy, ox)'s tap (0, 0) of channel c0 is in the staged copy (stride_w 1).
static inline long fsb_staged_offset(const fsb_conv_geometry *g, const fsb_staged_window *w, column_position at) {
    return (at.b - w->b0) * w->channels * w->plane_size +
           (at.oy * g->stride_h - fsb_staged_first_row(g, w, at.b)) * w->padded_w + at.ox;
}
/// Copies the window of `images` ([batch, channels, height, width]) to `staged`.
void fsb_stage_window(const fsb_conv_geometry *g, const float *images, const fsb_staged_window *w, float *staged);

/// Cuts columns [at, at + count) into chunks of up to `chunk` (16 or 8) columns that never
/// cross an output row, with their offsets, sources and per-tap lane masks (set->capacity
/// must be enough, see the bounds above). x86-64 only.
void fsb_describe_chunks(const fsb_conv_geometry *g, column_position at, long count, long chunk, chunk_set *set);

#endif
