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
// What depends only on the GEMM's reduction block [p0, p0 + kc) -- the row descriptions
// (forward) or the column chunks (weight gradient) -- is computed once per block by
// fsb_im2col_block_prepare and reused for every panel of the block.
//
// With the AVX-512 or AVX2 micro-kernel selected (strides 1 and 2, at most 49 taps), the
// index math is done once per panel (forward) or once per packed block (weight gradient):
// the column range is cut into 16- (AVX-512) or 8-column (AVX2) "chunks" that never cross an
// output row, each with its source offset and, per tap (ky, kx), the mask of lanes whose
// input pixel is inside the image. A packed row (c, ky, kx) is then one masked vector load
// (two and an even-lane shuffle for stride 2) and one store per chunk; lanes outside the
// image load as zero and masked-off lanes never fault. All variants write the same values.
//
// The packed panels hold exactly the values fsb_im2col_batched + the GEMM's explicit packing
// would produce, so the GEMM gives the same bits.
#include "fsb_im2col_block.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static row_info describe_row(const fsb_conv_geometry *g, long r) {
    const long taps = g->kernel_h * g->kernel_w;
    const long c = r / taps, t = r % taps;
    row_info row = {c * g->height * g->width, t / g->kernel_w, t % g->kernel_w, 0, 0, t, 0};
    row.source = row.plane_offset + row.ky * g->width + row.kx;
    fsb_valid_range(row.kx, g->pad_w, g->stride_w, g->width, g->out_w, &row.lo, &row.hi);
    return row;
}

size_t fsb_im2col_block_size(void) { return sizeof(struct fsb_im2col_block); }

FSB_ALWAYS_INLINE void zero_floats(float *dst, long count) {
    for (long i = 0; i < count; i++) dst[i] = 0.0f;
}

/// Writes columns [x0, x1) of one output row (whose input row `src` points at input column
/// -pad_w + kx) to out[x0 .. x1): zero outside [lo, hi), src[ox * stride_w] inside.
FSB_ALWAYS_INLINE void copy_run(const float *src, long stride_w, long x0, long x1, long lo, long hi, float *out) {
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

/// Writes columns [at, at + count) of column-matrix row `row` to dst[0 .. count).
FSB_ALWAYS_INLINE void fill_segment(const fsb_conv_geometry *g, const float *images, const row_info *row,
                                    column_position at, long count, float *dst) {
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

/// Fills row `row` of the block's transposed matrix (columns p0 .. p0+kc) into dst.
typedef void (*transposed_row_fn)(const fsb_im2col_block *block, const float *images, const row_info *row, float *dst);

static void transposed_row_generic(const fsb_im2col_block *block, const float *images, const row_info *row, float *dst) {
    fill_segment(&block->geometry, images, row, block->at, block->kc, dst);
}

/// Plain C: each packed row is first written for all nc columns of the block as one long
/// segment (few runs, so little per-run overhead) into an L1-resident line, then copied into
/// the panels nr floats at a time (constant-size copies for the usual widths).
static void pack_panels_generic(const fsb_im2col_block *block, const float *images,
                                long j0, long nc, int nr, float *out) {
    enum { LINE_MAX = 1024 };
    float line[LINE_MAX];
    const fsb_conv_geometry *g = &block->geometry;
    const long kc = block->kc;
    const long line_columns = LINE_MAX / nr * nr;  // whole panels per line (nr <= 64 for every kernel)
    long count = 0;
    for (long first = 0; first < nc; first += count) {
        count = nc - first < line_columns ? nc - first : line_columns;
        const column_position at = fsb_locate_column(g, j0 + first);
        const long full = count / nr * nr;
        for (long p = 0; p < kc; p++) {
            fill_segment(g, images, &block->rows[p], at, count, line);
            float *dst = out + first * kc + p * nr;
            if (nr == 16) {
                for (long jr = 0; jr < full; jr += 16) memcpy(dst + jr * kc, line + jr, sizeof(float) * 16);
            } else {
                for (long jr = 0; jr < full; jr += nr) memcpy(dst + jr * kc, line + jr, sizeof(float) * (size_t)nr);
            }
            if (full < count) {
                memcpy(dst + full * kc, line + full, sizeof(float) * (size_t)(count - full));
                zero_floats(dst + full * kc + (count - full), nr - (count - full));
            }
        }
    }
}

FSB_ALWAYS_INLINE void pack_transposed_panels(const fsb_im2col_block *block, const float *images,
                                              long j0, long nc, int nr, fsb_transpose16_fn transpose16,
                                              float *out, transposed_row_fn fill_row) {
    _Alignas(64) float rows[16 * FSB_KC_MAX + FSB_PACK_SLACK];  // rows[i*kc + p] = columns[row i of the group, p0 + p]
    const long kc = block->kc;
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        float *panel = out + jr * kc;
        for (long c0 = 0; c0 < nr; c0 += 16) {
            const long width = nr - c0 < 16 ? nr - c0 : 16;
            long valid = cols - c0;
            if (valid < 0) valid = 0;
            if (valid > width) valid = width;
            for (long i = 0; i < valid; i++) {
                const row_info row = describe_row(&block->geometry, j0 + jr + c0 + i);
                fill_row(block, images, &row, rows + i * kc);
            }
            long p_fast = 0;
            if (transpose16 && width == 16 && valid > 0) {
                // rows past the matrix edge are zero, so the transposes also write the panel's zero padding
                zero_floats(rows + valid * kc, (16 - valid) * kc);
                for (; p_fast + 16 <= kc; p_fast += 16)
                    transpose16(rows + p_fast, kc, panel + p_fast * nr + c0, nr);
            }
            for (long p = p_fast; p < kc; p++) {
                float *dst = panel + p * nr + c0;
                long i = 0;
                for (; i < valid; i++) dst[i] = rows[i * kc + p];
                for (; i < width; i++) dst[i] = 0.0f;
            }
        }
    }
}

static void pack_transposed_panels_generic(const fsb_im2col_block *block, const float *images, long j0, long nc,
                                           int nr, fsb_transpose16_fn transpose16, float *out) {
    pack_transposed_panels(block, images, j0, nc, nr, transpose16, out, transposed_row_generic);
}

#if defined(__x86_64__)
/// Lanes [from, to) of a 16-lane mask, without branches (empty when to <= from).
static inline unsigned lane_mask(long from, long to) {
    from = from < 0 ? 0 : (from > 16 ? 16 : from);
    to = to < 0 ? 0 : (to > 16 ? 16 : to);
    return ((1u << to) - 1u) & ~((1u << from) - 1u);
}

/// Chunk width of an instruction set's packing.
static inline long chunk_width(int isa) { return isa == FSB_ISA_AVX512 ? 16 : 8; }

void fsb_describe_chunks(const fsb_conv_geometry *g, column_position at, long count, long chunk, chunk_set *set) {
    const long image_size = g->channels * g->height * g->width;
    long lo[TAPS_MAX], hi[TAPS_MAX];
    for (long kx = 0; kx < g->kernel_w; kx++) fsb_valid_range(kx, g->pad_w, g->stride_w, g->width, g->out_w, &lo[kx], &hi[kx]);
    long n = 0, offset = 0;
    while (count > 0) {
        long run = g->out_w - at.ox;
        if (run > count) run = count;
        const long iy0 = at.oy * g->stride_h - g->pad_h;
        for (long x = at.ox; x < at.ox + run; x += chunk, n++) {
            const long width = at.ox + run - x < chunk ? at.ox + run - x : chunk;
            set->offset[n] = offset + (x - at.ox);
            set->source[n] = at.b * image_size + iy0 * g->width - g->pad_w + x * g->stride_w;
            for (long kx = 0; kx < g->kernel_w; kx++) {
                const unsigned lanes = lane_mask(lo[kx] - x, hi[kx] - x) & lane_mask(0, width);
                uint32_t mask = lanes;
                if (g->stride_w == 2) {  // output lane l reads source lane 2l of the 2*chunk loaded
                    mask = 0;
                    for (int l = 0; l < chunk; l++) if (lanes >> l & 1u) mask |= 1u << (2 * l);
                }
                for (long ky = 0; ky < g->kernel_h; ky++) {
                    const int inside = (unsigned long)(iy0 + ky) < (unsigned long)g->height;
                    set->masks[(ky * g->kernel_w + kx) * set->capacity + n] = inside ? mask : 0;
                }
            }
        }
        offset += run;
        count -= run;
        at.ox = 0;
        if (++at.oy == g->out_h) { at.oy = 0; at.b++; }
    }
    set->count = n;
}

/// Writes one column-matrix row, described by `row`, over the chunks' columns to dst.
/// Every chunk is stored as a full 16-lane vector (masked stores are slow on some CPUs, e.g.
/// AMD Zen 4): lanes past a short chunk's end are zeros that the next chunk overwrites, and
/// after the last chunk they spill up to 15 floats past dst[count), which the caller must
/// own and fill later (next packed row, zero padding, or the buffer's FSB_PACK_SLACK tail).
__attribute__((target("avx512f"))) FSB_ALWAYS_INLINE
void fill_chunks_avx512(const fsb_conv_geometry *g, const float *images, const row_info *row,
                        const chunk_set *set, float *dst) {
    const float *base = images + row->source;
    const uint32_t *masks = set->masks + row->tap * set->capacity;
    if (g->stride_w == 1) {
        for (long i = 0; i < set->count; i++)
            _mm512_storeu_ps(dst + set->offset[i], _mm512_maskz_loadu_ps((__mmask16)masks[i], base + set->source[i]));
    } else {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (long i = 0; i < set->count; i++) {
            const float *src = base + set->source[i];
            const __m512 low = _mm512_maskz_loadu_ps((__mmask16)(masks[i] & 0xFFFFu), src);
            const __m512 high = _mm512_maskz_loadu_ps((__mmask16)(masks[i] >> 16), src + 16);
            _mm512_storeu_ps(dst + set->offset[i], _mm512_permutex2var_ps(low, even, high));
        }
    }
}

__attribute__((target("avx512f")))
static void pack_panels_avx512(const fsb_im2col_block *block, const float *images,
                               long j0, long nc, int nr, float *out) {
    const fsb_conv_geometry *g = &block->geometry;
    const long kc = block->kc;
    long offset[PANEL_CHUNKS_MAX], source[PANEL_CHUNKS_MAX];
    uint32_t masks[TAPS_MAX * PANEL_CHUNKS_MAX];
    chunk_set chunks = {0, PANEL_CHUNKS_MAX, offset, source, masks};
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        fsb_describe_chunks(g, fsb_locate_column(g, j0 + jr), cols, 16, &chunks);
        float *panel = out + jr * kc;
        for (long p = 0; p < kc; p++) {
            float *dst = panel + p * nr;
            fill_chunks_avx512(g, images, &block->rows[p], &chunks, dst);
            if (cols < nr) zero_floats(dst + cols, nr - cols);
        }
    }
}

__attribute__((target("avx512f")))
static void transposed_row_avx512(const fsb_im2col_block *block, const float *images, const row_info *row, float *dst) {
    fill_chunks_avx512(&block->geometry, images, row, &block->chunks, dst);
}

__attribute__((target("avx512f")))
static void pack_transposed_panels_avx512(const fsb_im2col_block *block, const float *images, long j0, long nc,
                                          int nr, fsb_transpose16_fn transpose16, float *out) {
    pack_transposed_panels(block, images, j0, nc, nr, transpose16, out, transposed_row_avx512);
}

/// fill_chunks_avx512 with 8-lane AVX2 chunks (same spill rule, up to 7 floats).
__attribute__((target("avx2"))) FSB_ALWAYS_INLINE
void fill_chunks_avx2(const fsb_conv_geometry *g, const float *images, const row_info *row,
                      const chunk_set *set, float *dst) {
    const float *base = images + row->source;
    const uint32_t *masks = set->masks + row->tap * set->capacity;
    const __m256i lane_bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    if (g->stride_w == 1) {
        for (long i = 0; i < set->count; i++) {
            const __m256i bits = _mm256_and_si256(_mm256_set1_epi32((int)masks[i]), lane_bits);
            const __m256i mask = _mm256_cmpeq_epi32(bits, lane_bits);
            _mm256_storeu_ps(dst + set->offset[i], _mm256_maskload_ps(base + set->source[i], mask));
        }
    } else {
        for (long i = 0; i < set->count; i++) {
            const float *src = base + set->source[i];
            const __m256i low_bits = _mm256_and_si256(_mm256_set1_epi32((int)(masks[i] & 0xFFu)), lane_bits);
            const __m256i high_bits = _mm256_and_si256(_mm256_set1_epi32((int)(masks[i] >> 8)), lane_bits);
            const __m256 low = _mm256_maskload_ps(src, _mm256_cmpeq_epi32(low_bits, lane_bits));
            const __m256 high = _mm256_maskload_ps(src + 8, _mm256_cmpeq_epi32(high_bits, lane_bits));
            // per 128-bit lane: low0 low2 high0 high2 | low4 low6 high4 high6 -> reorder the 64-bit pairs
            const __m256 evens = _mm256_shuffle_ps(low, high, _MM_SHUFFLE(2, 0, 2, 0));
            _mm256_storeu_ps(dst + set->offset[i],
                             _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens), _MM_SHUFFLE(3, 1, 2, 0))));
        }
    }
}

__attribute__((target("avx2")))
static void pack_panels_avx2(const fsb_im2col_block *block, const float *images,
                             long j0, long nc, int nr, float *out) {
    const fsb_conv_geometry *g = &block->geometry;
    const long kc = block->kc;
    long offset[PANEL_CHUNKS_MAX], source[PANEL_CHUNKS_MAX];
    uint32_t masks[TAPS_MAX * PANEL_CHUNKS_MAX];
    chunk_set chunks = {0, PANEL_CHUNKS_MAX, offset, source, masks};
    for (long jr = 0; jr < nc; jr += nr) {
        const long cols = nc - jr < nr ? nc - jr : nr;
        fsb_describe_chunks(g, fsb_locate_column(g, j0 + jr), cols, 8, &chunks);
        float *panel = out + jr * kc;
        for (long p = 0; p < kc; p++) {
            float *dst = panel + p * nr;
            fill_chunks_avx2(g, images, &block->rows[p], &chunks, dst);
            if (cols < nr) zero_floats(dst + cols, nr - cols);
        }
    }
}

__attribute__((target("avx2")))
static void transposed_row_avx2(const fsb_im2col_block *block, const float *images, const row_info *row, float *dst) {
    fill_chunks_avx2(&block->geometry, images, row, &block->chunks, dst);
}

__attribute__((target("avx2")))
static void pack_transposed_panels_avx2(const fsb_im2col_block *block, const float *images, long j0, long nc,
                                        int nr, fsb_transpose16_fn transpose16, float *out) {
    pack_transposed_panels(block, images, j0, nc, nr, transpose16, out, transposed_row_avx2);
}
#endif

void fsb_im2col_block_prepare(fsb_im2col_block *block, const fsb_conv_geometry *g, int transposed,
                              long p0, long kc, int isa) {
    block->geometry = *g;
    block->p0 = p0;
    block->kc = kc;
    block->transposed = transposed;
    block->chunked = 0;
#if defined(__x86_64__)
    block->isa = isa;
    block->chunked = isa != FSB_ISA_PLAIN_C && (g->stride_w == 1 || g->stride_w == 2) &&
                     g->kernel_h * g->kernel_w <= TAPS_MAX;
#else
    (void)isa;
#endif
    if (!transposed) {
        for (long p = 0; p < kc; p++) block->rows[p] = describe_row(g, p0 + p);
        return;
    }
    block->at = fsb_locate_column(g, p0);
#if defined(__x86_64__)
    if (block->chunked) {
        block->chunks = (chunk_set){0, CHUNKS_MAX, block->chunk_offset, block->chunk_source, block->chunk_masks};
        fsb_describe_chunks(g, block->at, kc, chunk_width(isa), &block->chunks);
    }
#endif
}

void fsb_pack_im2col_panels(const fsb_im2col_block *block, const float *images,
                            long j0, long nc, int nr, float *out) {
#if defined(__x86_64__)
    if (block->chunked && nr <= 64) {
        if (block->isa == FSB_ISA_AVX512) pack_panels_avx512(block, images, j0, nc, nr, out);
        else pack_panels_avx2(block, images, j0, nc, nr, out);
        return;
    }
#endif
    pack_panels_generic(block, images, j0, nc, nr, out);
}

void fsb_pack_im2col_transposed_panels(const fsb_im2col_block *block, const float *images,
                                       long j0, long nc, int nr, fsb_transpose16_fn transpose16, float *out) {
#if defined(__x86_64__)
    if (block->chunked) {
        if (block->isa == FSB_ISA_AVX512) pack_transposed_panels_avx512(block, images, j0, nc, nr, transpose16, out);
        else pack_transposed_panels_avx2(block, images, j0, nc, nr, transpose16, out);
        return;
    }
#endif
    pack_transposed_panels_generic(block, images, j0, nc, nr, transpose16, out);
}
