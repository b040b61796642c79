// Implicit im2col: packs GEMM B panels straight from NCHW images, so a convolution's column
// matrix [Ci*kh*kw, batch*P] (layout of fsb_im2col_batched) is never written to memory.
//
// A column-matrix row r = (c, ky, kx) restricted to a range of columns j = b*P + oy*out_w + ox
// is a sequence of "runs", one per output row (b, oy): either all zero (iy in the padding) or
// zeros, a strided copy of input row iy (contiguous for stride 1) and zeros, where the copied
// range [lo, hi) of ox depends on kx only. fill_segment writes such a range contiguously.
//
// Forward (B = columns): each packed row of an nr-wide panel is one segment of nr columns.
// Weight gradient (B = columns^T): 16 rows r are written as segments of kc columns into an
// L1-resident block, which is then transposed into the panel (16x16 register transpose when
// the micro-kernel provides one).
//
// The packed panels hold exactly the values fsb_im2col_batched + the GEMM's explicit packing
// would produce, so the GEMM gives the same bits.
#include "fsb_internal.h"

#include <string.h>

/// What one column-matrix row needs: offset of its channel plane, its tap, and the valid
/// output-column range [lo, hi) of its kernel column kx.
typedef struct {
    long plane_offset, ky, kx, lo, hi;
} row_info;

/// Position of column j: image b, output row oy, output column ox.
typedef struct {
    long b, oy, ox;
} column_position;

static row_info describe_row(const fsb_conv_geometry *g, long r) {
    const long taps = g->kernel_h * g->kernel_w;
    const long c = r / taps, t = r % taps;
    row_info row = {c * g->height * g->width, t / g->kernel_w, t % g->kernel_w, 0, 0};
    fsb_valid_range(row.kx, g->pad_w, g->stride_w, g->width, g->out_w, &row.lo, &row.hi);
    return row;
}

static column_position locate_column(const fsb_conv_geometry *g, long j) {
    const long pixels = g->out_h * g->out_w;
    const long b = j / pixels, pixel = j % pixels;
    return (column_position){b, pixel / g->out_w, pixel % g->out_w};
}

static inline void zero_floats(float *dst, long count) {
    for (long i = 0; i < count; i++) dst[i] = 0.0f;
}

/// Writes columns [at, at + count) of column-matrix row `row` to dst[0 .. count).
static void fill_segment(const fsb_conv_geometry *g, const float *images, const row_info *row,
                         column_position at, long count, float *dst) {
    const long image_size = g->channels * g->height * g->width;
    const long stride_w = g->stride_w;
    while (count > 0) {
        const long x0 = at.ox;
        long run = g->out_w - x0;
        if (run > count) run = count;
        const long x1 = x0 + run;
        const long iy = at.oy * g->stride_h - g->pad_h + row->ky;
        if (iy < 0 || iy >= g->height || row->lo >= row->hi) {
            zero_floats(dst, run);
        } else {
            long lo = row->lo > x0 ? row->lo : x0, hi = row->hi < x1 ? row->hi : x1;
            if (hi < lo) hi = lo;
            const float *src = images + at.b * image_size + row->plane_offset + iy * g->width - g->pad_w + row->kx;
            float *out = dst - x0;  // out[ox] is column ox of this run
            for (long ox = x0; ox < lo; ox++) out[ox] = 0.0f;
            if (stride_w == 1) {
                for (long ox = lo; ox < hi; ox++) out[ox] = src[ox];
            } else if (stride_w == 2) {
                for (long ox = lo; ox < hi; ox++) out[ox] = src[2 * ox];
            } else {
                for (long ox = lo; ox < hi; ox++) out[ox] = src[ox * stride_w];
            }
            for (long ox = hi; ox < x1; ox++) out[ox] = 0.0f;
        }
        dst += run;
        count -= run;
        at.ox = 0;
        if (++at.oy == g->out_h) { at.oy = 0; at.b++; }
    }
}

void fsb_pack_im2col_panels(const fsb_conv_geometry *g, const float *images,
                            long r0, long kc, long j0, long nc, int nr, float *out) {
    row_info rows[FSB_KC_MAX];
    for (long p = 0; p < kc; p++) rows[p] = describe_row(g, r0 + p);
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        const column_position at = locate_column(g, j0 + jr);
        float *panel = out + jr * kc;
        for (long p = 0; p < kc; p++) {
            float *dst = panel + p * nr;
            fill_segment(g, images, &rows[p], at, cols, dst);
            if (cols < nr) zero_floats(dst + cols, nr - cols);
        }
    }
}

void fsb_pack_im2col_transposed_panels(const fsb_conv_geometry *g, const float *images,
                                       long p0, long kc, long j0, long nc, int nr,
                                       fsb_transpose16_fn transpose16, float *out) {
    _Alignas(64) float block[16 * FSB_KC_MAX];  // block[i*kc + p] = columns[row i of the group, p0 + p]
    const column_position at = locate_column(g, p0);
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        float *panel = out + jr * kc;
        for (long c0 = 0; c0 < nr; c0 += 16) {
            const long width = nr - c0 < 16 ? nr - c0 : 16;
            long valid = cols - c0;
            if (valid < 0) valid = 0;
            if (valid > width) valid = width;
            for (long i = 0; i < valid; i++) {
                const row_info row = describe_row(g, j0 + jr + c0 + i);
                fill_segment(g, images, &row, at, kc, block + i * kc);
            }
            long p_fast = 0;
            if (transpose16 && valid == 16 && width == 16)
                for (; p_fast + 16 <= kc; p_fast += 16)
                    transpose16(block + p_fast, kc, panel + p_fast * nr + c0, nr);
            for (long p = p_fast; p < kc; p++) {
                float *dst = panel + p * nr + c0;
                long i = 0;
                for (; i < valid; i++) dst[i] = block[i * kc + p];
                for (; i < width; i++) dst[i] = 0.0f;
            }
        }
    }
}
