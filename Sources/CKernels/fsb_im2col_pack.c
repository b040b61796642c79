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
// With the AVX-512 micro-kernel selected, stride-1 runs are copied with masked 16-wide loads and stores (lanes
// outside [lo, hi) load as zero; masked-off lanes never fault), so a run costs a few
// instructions instead of a loop with a scalar head and tail. Both variants write the same values.
//
// The packed panels hold exactly the values fsb_im2col_batched + the GEMM's explicit packing
// would produce, so the GEMM gives the same bits.
#include "fsb_internal.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

#define FSB_ALWAYS_INLINE static inline __attribute__((always_inline))

FSB_ALWAYS_INLINE void zero_floats(float *dst, long count) {
    for (long i = 0; i < count; i++) dst[i] = 0.0f;
}

/// Writes columns [x0, x1) of one output row (whose input row `src` points at input column
/// -pad_w + kx) to out[x0 .. x1): zero outside [lo, hi), src[ox * stride_w] inside.
typedef void (*run_fn)(const float *src, long stride_w, long x0, long x1, long lo, long hi, float *out);

FSB_ALWAYS_INLINE void copy_run_generic(const float *src, long stride_w, long x0, long x1, long lo, long hi,
                                        float *out) {
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

#if defined(__x86_64__)
/// Lanes [from, to) of a 16-lane mask (from, to clamped to [0, 16]).
FSB_ALWAYS_INLINE unsigned lane_mask(long from, long to) {
    if (from < 0) from = 0;
    if (to > 16) to = 16;
    if (to <= from) return 0;
    return ((1u << to) - 1u) & ~((1u << from) - 1u);
}

__attribute__((target("avx512f"))) FSB_ALWAYS_INLINE
void copy_run_avx512(const float *src, long stride_w, long x0, long x1, long lo, long hi, float *out) {
    if (stride_w != 1) { copy_run_generic(src, stride_w, x0, x1, lo, hi, out); return; }
    for (long x = x0; x < x1; x += 16) {
        const __mmask16 store = (__mmask16)lane_mask(0, x1 - x);
        const __mmask16 load = (__mmask16)lane_mask(lo - x, hi - x);
        _mm512_mask_storeu_ps(out + x, store, _mm512_maskz_loadu_ps(load, src + x));
    }
}
#endif

/// Writes columns [at, at + count) of column-matrix row `row` to dst[0 .. count).
FSB_ALWAYS_INLINE void fill_segment(const fsb_conv_geometry *g, const float *images, const row_info *row,
                                    column_position at, long count, float *dst, run_fn copy_run) {
    const long image_size = g->channels * g->height * g->width;
    while (count > 0) {
        const long x0 = at.ox;
        long run = g->out_w - x0;
        if (run > count) run = count;
        const long x1 = x0 + run;
        const long iy = at.oy * g->stride_h - g->pad_h + row->ky;
        if (iy < 0 || iy >= g->height) {
            zero_floats(dst, run);
        } else {
            long lo = row->lo > x0 ? row->lo : x0, hi = row->hi < x1 ? row->hi : x1;
            if (hi < lo) hi = lo;
            const float *src = images + at.b * image_size + row->plane_offset + iy * g->width - g->pad_w + row->kx;
            copy_run(src, g->stride_w, x0, x1, lo, hi, dst - x0);  // (dst - x0)[ox] is column ox of this run
        }
        dst += run;
        count -= run;
        at.ox = 0;
        if (++at.oy == g->out_h) { at.oy = 0; at.b++; }
    }
}

FSB_ALWAYS_INLINE void pack_panels(const fsb_conv_geometry *g, const float *images,
                                   long r0, long kc, long j0, long nc, int nr, float *out, run_fn copy_run) {
    row_info rows[FSB_KC_MAX];
    for (long p = 0; p < kc; p++) rows[p] = describe_row(g, r0 + p);
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        const column_position at = locate_column(g, j0 + jr);
        float *panel = out + jr * kc;
        for (long p = 0; p < kc; p++) {
            float *dst = panel + p * nr;
            fill_segment(g, images, &rows[p], at, cols, dst, copy_run);
            if (cols < nr) zero_floats(dst + cols, nr - cols);
        }
    }
}

FSB_ALWAYS_INLINE void pack_transposed_panels(const fsb_conv_geometry *g, const float *images,
                                              long p0, long kc, long j0, long nc, int nr,
                                              fsb_transpose16_fn transpose16, float *out, run_fn copy_run) {
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
                fill_segment(g, images, &row, at, kc, block + i * kc, copy_run);
            }
            long p_fast = 0;
            if (transpose16 && width == 16 && valid > 0) {
                // rows past the matrix edge are zero, so the transposes also write the panel's zero padding
                zero_floats(block + valid * kc, (16 - valid) * kc);
                for (; p_fast + 16 <= kc; p_fast += 16)
                    transpose16(block + p_fast, kc, panel + p_fast * nr + c0, nr);
            }
            for (long p = p_fast; p < kc; p++) {
                float *dst = panel + p * nr + c0;
                long i = 0;
                for (; i < valid; i++) dst[i] = block[i * kc + p];
                for (; i < width; i++) dst[i] = 0.0f;
            }
        }
    }
}

static void pack_panels_generic(const fsb_conv_geometry *g, const float *images,
                                long r0, long kc, long j0, long nc, int nr, float *out) {
    pack_panels(g, images, r0, kc, j0, nc, nr, out, copy_run_generic);
}

static void pack_transposed_panels_generic(const fsb_conv_geometry *g, const float *images, long p0, long kc,
                                           long j0, long nc, int nr, fsb_transpose16_fn transpose16, float *out) {
    pack_transposed_panels(g, images, p0, kc, j0, nc, nr, transpose16, out, copy_run_generic);
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void pack_panels_avx512(const fsb_conv_geometry *g, const float *images,
                               long r0, long kc, long j0, long nc, int nr, float *out) {
    pack_panels(g, images, r0, kc, j0, nc, nr, out, copy_run_avx512);
}

__attribute__((target("avx512f")))
static void pack_transposed_panels_avx512(const fsb_conv_geometry *g, const float *images, long p0, long kc,
                                          long j0, long nc, int nr, fsb_transpose16_fn transpose16, float *out) {
    pack_transposed_panels(g, images, p0, kc, j0, nc, nr, transpose16, out, copy_run_avx512);
}

#endif

void fsb_pack_im2col_panels(const fsb_conv_geometry *g, const float *images,
                            long r0, long kc, long j0, long nc, int nr, int avx512, float *out) {
    (void)avx512;  // unused where the AVX-512 variants are not compiled
#if defined(__x86_64__)
    if (avx512) { pack_panels_avx512(g, images, r0, kc, j0, nc, nr, out); return; }
#endif
    pack_panels_generic(g, images, r0, kc, j0, nc, nr, out);
}

void fsb_pack_im2col_transposed_panels(const fsb_conv_geometry *g, const float *images,
                                       long p0, long kc, long j0, long nc, int nr,
                                       fsb_transpose16_fn transpose16, int avx512, float *out) {
    (void)avx512;  // unused where the AVX-512 variants are not compiled
#if defined(__x86_64__)
    if (avx512) { pack_transposed_panels_avx512(g, images, p0, kc, j0, nc, nr, transpose16, out); return; }
#endif
    pack_transposed_panels_generic(g, images, p0, kc, j0, nc, nr, transpose16, out);
}
