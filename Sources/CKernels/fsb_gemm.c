// Cache-blocked, packed, multi-threaded SGEMM (Goto / BLIS structure).
//
// Loop nest for one thread's block of C (rows [i0,i1), columns [j0,j1)):
//   jc: columns in steps of NC          -> B block (KC x NC) packed into NR-wide panels (L2)
//    pc: reduction in steps of KC       -> first step applies the caller's beta, later ones add
//     ic: rows in steps of MC           -> A block (MC x KC) packed into MR-tall panels
//      ir: MR rows, jr: NR columns      -> micro-kernel on one MR x NR tile of C
// Variants: A may come pre-packed for all blocks (fsb_pack_a: a convolution's weights during
// inference); B may be a convolution's implicit column matrix, packed from the images
// (fsb_im2col_pack.c) or, for few rows, not packed at all (fsb_im2col_direct.c); a per-row
// epilogue (inference BatchNorm, residual sum, ReLU) may run on each finished block of C.
// Reference: K. Goto, R. van de Geijn, "Anatomy of high-performance matrix multiplication",
// ACM TOMS 34(3), 2008; F. Van Zee, R. van de Geijn, "BLIS", ACM TOMS 41(3), 2015.
//
// Determinism: the KC split depends only on k and every C element is produced by the same
// micro-kernel arithmetic whatever tile or thread it falls in (edge tiles are zero padded and
// go through the same kernel), so results are bit-identical for any thread count.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <string.h>

enum {
    KC_MAX = FSB_KC_MAX, // reduction depth per packed block
    MC_ROWS = 120,       // rows of A per packed block (multiple of 8 and 6 and 4)
    NC_COLUMNS = 1024,   // columns of B per packed block (multiple of 32 and 16)
    OVERSPLIT = 4,       // parts per thread along the split dimension
    SINGLE_THREAD_MACS = 1 << 18,  // below this many multiply-adds, threads cost more than they save
};

typedef struct {
    int trans_a, trans_b;
    long m, n, k;
    float alpha, beta;
    const float *a, *b;
    long lda, ldb, ldc;
    float *c;
    const fsb_micro_kernel *kernel;
    long kc_block;
    int thread_rows, thread_columns;
    long c_group, c_group_stride;  // column j of C at c + (j / c_group) * c_group_stride + j % c_group
    const float *packed_a;  // non-NULL: all of op(A) already packed by fsb_pack_a (a unused)
    const float *row_scale, *row_shift;  // non-NULL: per-row epilogue on the final C (apply_epilogue)
    const float *epilogue_addend;        // non-NULL: laid out like C, added after the affine map
    int epilogue_relu;
    const fsb_conv_geometry *implicit_b;  // non-NULL: b holds NCHW images and op(B) is their
                                          // column matrix (trans_b == 0) or its transpose
} gemm_problem;

/// Address of C[i, j] (row i, column j) in the possibly column-grouped layout.
static inline float *c_address(const gemm_problem *g, long i, long j) {
    return g->c + i * g->ldc + (j / g->c_group) * g->c_group_stride + j % g->c_group;
}

/// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into MR-tall panels: panel r holds kc groups of mr
/// consecutive row values; rows beyond mc are zero.
/// pack_a for 16 rows of a non-transposed A (two 8-row panels, or one 16-row panel) with the
/// kernel's 16x16 transpose instead of one scalar store per element: the weight-gradient
/// GEMM's A (dOutput, Co x batch*pixels) is long in k, so this is a big transpose.
static void pack_a_16_rows(const gemm_problem *g, long i0, long p0, long kc, float *out) {
    const long mr = g->kernel->mr;
    const float *src = g->a + i0 * g->lda + p0;
    _Alignas(64) float block[16 * 16];
    long p = 0;
    for (; p + 16 <= kc; p += 16) {
        g->kernel->transpose16(src + p, g->lda, block, 16);  // block[j*16 + i] = A[i0 + i, p0 + p + j]
        if (mr == 8) {  // constant sizes: inlined vector moves
            for (long j = 0; j < 16; j++) {
                memcpy(out + (p + j) * 8, block + j * 16, sizeof(float) * 8);
                memcpy(out + 8 * kc + (p + j) * 8, block + j * 16 + 8, sizeof(float) * 8);
            }
        } else {
            for (long j = 0; j < 16; j++) memcpy(out + (p + j) * 16, block + j * 16, sizeof(float) * 16);
        }
    }
    for (; p < kc; p++)
        for (long r = 0; r < 16; r++) out[(r / mr) * mr * kc + p * mr + r % mr] = src[r * g->lda + p];
}

static void pack_a(const gemm_problem *g, long i0, long mc, long p0, long kc, float *out) {
    const int mr = g->kernel->mr;
    long first = 0;
    if (!g->trans_a && g->kernel->transpose16 && (mr == 8 || mr == 16))
        for (; first + 16 <= mc; first += 16) pack_a_16_rows(g, i0 + first, p0, kc, out + first * kc);
    for (long ir = first; ir < mc; ir += mr) {
        long rows = mc - ir < mr ? mc - ir : mr;
        float *panel = out + ir * kc;
        if (g->trans_a) {  // element (i, p) at a[p*lda + i]: each p gives mr contiguous values
            const float *src = g->a + p0 * g->lda + i0 + ir;
            for (long p = 0; p < kc; p++) {
                const float *row = src + p * g->lda;
                float *dst = panel + p * mr;
                long r = 0;
                for (; r < rows; r++) dst[r] = row[r];
                for (; r < mr; r++) dst[r] = 0.0f;
            }
        } else {           // element (i, p) at a[i*lda + p]: read rows, scatter with stride mr
            for (long r = 0; r < rows; r++) {
                const float *src = g->a + (i0 + ir + r) * g->lda + p0;
                for (long p = 0; p < kc; p++) panel[p * mr + r] = src[p];
            }
            for (long r = rows; r < mr; r++)
                for (long p = 0; p < kc; p++) panel[p * mr + r] = 0.0f;
        }
    }
}

/// Reduction depth of each packed block: a balanced split of k that depends on k only.
static long kc_block_for(long k) {
    long k_blocks = (k + KC_MAX - 1) / KC_MAX;
    return (k + k_blocks - 1) / k_blocks;
}

/// The packed A block for rows [ic, ic + mc) and reduction block pc: a slice of the problem's
/// pre-packed A (layout of fsb_pack_a) or packed now into `scratch`.
static const float *a_block(const gemm_problem *g, long ic, long mc, long pc, long kc, float *scratch) {
    if (g->packed_a) {
        const long mr = g->kernel->mr, padded_rows = (g->m + mr - 1) / mr * mr;
        return g->packed_a + pc * padded_rows + ic * kc;
    }
    pack_a(g, ic, mc, pc, kc, scratch);
    return scratch;
}

/// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-wide panels: panel j holds kc groups of nr
/// consecutive column values; columns beyond nc are zero. `implicit` (prepared for this
/// p0, kc) is used when op(B) is a convolution's implicit column matrix.
static void pack_b(const gemm_problem *g, const fsb_im2col_block *implicit, long p0, long kc, long j0, long nc,
                   float *out) {
    const int nr = g->kernel->nr;
    if (g->implicit_b) {  // implicit im2col: panels packed straight from the images
        if (g->trans_b)
            fsb_pack_im2col_transposed_panels(implicit, g->b, j0, nc, nr, g->kernel->transpose16, out);
        else
            fsb_pack_im2col_panels(implicit, g->b, j0, nc, nr, out);
        return;
    }
    if (!g->trans_b) {  // element (p, j) at b[p*ldb + j]: walk each source row once, left to right
        long full = nc / nr * nr;
        for (long p = 0; p < kc; p++) {
            const float *src = g->b + (p0 + p) * g->ldb + j0;
            // Constant-size copies for the usual panel widths are inlined as a few vector
            // moves instead of a libc call per 64/128 bytes.
            if (nr == 32) {
                for (long jr = 0; jr < full; jr += 32) memcpy(out + jr * kc + p * 32, src + jr, sizeof(float) * 32);
            } else if (nr == 16) {
                for (long jr = 0; jr < full; jr += 16) memcpy(out + jr * kc + p * 16, src + jr, sizeof(float) * 16);
            } else {
                for (long jr = 0; jr < full; jr += nr)
                    memcpy(out + jr * kc + p * nr, src + jr, sizeof(float) * (size_t)nr);
            }
            if (full < nc) {
                float *dst = out + full * kc + p * nr;
                memcpy(dst, src + full, sizeof(float) * (size_t)(nc - full));
                memset(dst + (nc - full), 0, sizeof(float) * (size_t)(nr - (nc - full)));
            }
        }
        return;
    }
    for (long jr = 0; jr < nc; jr += nr) {
        long cols = nc - jr < nr ? nc - jr : nr;
        float *panel = out + jr * kc;
        // element (p, j) at b[j*ldb + p]: transpose in chunks of 16 p that stay in L1
        const float *src = g->b + (j0 + jr) * g->ldb + p0;
        long p_fast = 0, col_fast = 0;
        if (g->kernel->transpose16 && cols >= 16) {
            col_fast = cols / 16 * 16;
            for (; p_fast + 16 <= kc; p_fast += 16)
                for (long col = 0; col < col_fast; col += 16)
                    g->kernel->transpose16(src + col * g->ldb + p_fast, g->ldb, panel + p_fast * nr + col, nr);
        }
        for (long p_start = 0; p_start < kc; p_start += 16) {
            long p_end = kc - p_start < 16 ? kc : p_start + 16;
            // columns [0, col_fast) of rows below p_fast were written by the transposes
            for (long col = p_start < p_fast ? col_fast : 0; col < cols; col++) {
                const float *row = src + col * g->ldb;
                for (long p = p_start; p < p_end; p++) panel[p * nr + col] = row[p];
            }
            for (long col = cols; col < nr; col++)
                for (long p = p_start; p < p_end; p++) panel[p * nr + col] = 0.0f;
        }
    }
}

/// Runs the micro-kernel on an edge tile through a scratch tile, then merges the valid part
/// with exactly the arithmetic the kernel uses for full tiles (t, or beta*c + t).
static void edge_tile(const fsb_micro_kernel *kernel, long kc, const float *a_panel,
                      const float *b_panel, float *c, long ldc, long rows, long cols,
                      float alpha, float beta) {
    _Alignas(64) float tile[16 * 64];
    kernel->run(kc, a_panel, b_panel, tile, kernel->nr, alpha, 0.0f);
    if (beta == 0.0f) {
        for (long i = 0; i < rows; i++) memcpy(c + i * ldc, tile + i * kernel->nr, sizeof(float) * (size_t)cols);
        return;
    }
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) {
            float scaled = beta * c[i * ldc + j];  // separate statements: never fused
            c[i * ldc + j] = scaled + tile[i * kernel->nr + j];
        }
}

/// A tile whose columns fall into two (or more) column groups of C: computed into a scratch
/// tile like an edge tile, then merged element by element at each column's own address.
static void straddling_tile(const gemm_problem *g, long kc, const float *a_panel, const float *b_panel,
                            long row0, long column0, long rows, long cols, float beta) {
    const fsb_micro_kernel *kernel = g->kernel;
    _Alignas(64) float tile[16 * 64];
    kernel->run(kc, a_panel, b_panel, tile, kernel->nr, g->alpha, 0.0f);
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) {
            float t = tile[i * kernel->nr + j];
            float *c = c_address(g, row0 + i, column0 + j);
            if (beta == 0.0f) {
                *c = t;
            } else {
                float scaled = beta * *c;  // separate statements: never fused
                *c = scaled + t;
            }
        }
}

#pragma STDC FP_CONTRACT OFF
/// The optional per-row epilogue on the finished C[i0..i1, jc..jc+nc) (still in cache):
/// c = c * row_scale[i] + row_shift[i] (multiply, then add: two roundings), plus the addend's
/// element at the same place if there is one, then, with epilogue_relu, values <= 0 (and -0)
/// become 0 (NaN stays NaN) -- what an inference BatchNorm (a residual sum) (and ReLU) would
/// compute over the stored output, so the same bits.
static void apply_epilogue(const gemm_problem *g, long i0, long i1, long jc, long nc) {
    if (!g->row_scale) return;
    for (long i = i0; i < i1; i++) {
        const float scale = g->row_scale[i], shift = g->row_shift[i];
        for (long j = jc; j < jc + nc;) {
            const long offset = j % g->c_group;
            const long run = g->c_group - offset < jc + nc - j ? g->c_group - offset : jc + nc - j;
            float *c = c_address(g, i, j);
            const float *addend = g->epilogue_addend ? g->epilogue_addend + (c - g->c) : NULL;
            for (long q = 0; q < run; q++) {
                float t = c[q] * scale;
                t = t + shift;
                if (addend) t = t + addend[q];
                if (g->epilogue_relu && t <= 0.0f) t = 0.0f;
                c[q] = t;
            }
            j += run;
        }
    }
}

static void gemm_block(const gemm_problem *g, long i0, long i1, long j0, long j1) {
    if (i0 >= i1 || j0 >= j1) return;
    const fsb_micro_kernel *kernel = g->kernel;
    const long mr = kernel->mr, nr = kernel->nr;
    const long kc_block = g->kc_block;
    const long nc_max = j1 - j0 < NC_COLUMNS ? j1 - j0 : NC_COLUMNS;
    const long mc_max = i1 - i0 < MC_ROWS ? i1 - i0 : MC_ROWS;
    float *packed_b = fsb_thread_scratch(1, (size_t)kc_block * (size_t)((nc_max + nr - 1) / nr * nr) + FSB_PACK_SLACK);
    float *a_scratch = g->packed_a ? NULL : fsb_thread_scratch(0, (size_t)kc_block * (size_t)((mc_max + mr - 1) / mr * mr));
    fsb_im2col_block *implicit = NULL;
    if (g->implicit_b)
        implicit = (fsb_im2col_block *)fsb_thread_scratch(2, fsb_im2col_block_size() / sizeof(float) + 1);

    for (long jc = j0; jc < j1; jc += NC_COLUMNS) {
        long nc = j1 - jc < NC_COLUMNS ? j1 - jc : NC_COLUMNS;
        for (long pc = 0; pc < g->k; pc += kc_block) {
            long kc = g->k - pc < kc_block ? g->k - pc : kc_block;
            float beta = pc == 0 ? g->beta : 1.0f;
            if (implicit) fsb_im2col_block_prepare(implicit, g->implicit_b, g->trans_b, pc, kc, kernel->isa);
            if (implicit && nc % nr == 0 && g->c_group % nr == 0 &&
                fsb_im2col_direct_applies(implicit, i1 - i0, (int)mr, (int)nr)) {
                // few rows: B read straight from the images by the kernel (same bits, no packing)
                const float *packed_a = a_block(g, i0, i1 - i0, pc, kc, a_scratch);
                fsb_im2col_direct_multiply(implicit, g->b, packed_a, i1 - i0, jc, nc, g->c + i0 * g->ldc, g->ldc,
                                           g->c_group, g->c_group_stride, g->alpha, beta);
                if (pc + kc == g->k) apply_epilogue(g, i0, i1, jc, nc);
                continue;
            }
            pack_b(g, implicit, pc, kc, jc, nc, packed_b);
            for (long ic = i0; ic < i1; ic += MC_ROWS) {
                long mc = i1 - ic < MC_ROWS ? i1 - ic : MC_ROWS;
                const float *packed_a = a_block(g, ic, mc, pc, kc, a_scratch);
                for (long ir = 0; ir < mc; ir += mr) {
                    long rows = mc - ir < mr ? mc - ir : mr;
                    const float *a_panel = packed_a + ir * kc;
                    // Column jc + jr lies in group `group` at offset `offset` (tracked without divisions).
                    long group = jc / g->c_group, offset = jc % g->c_group;
                    float *c_row = g->c + (ic + ir) * g->ldc;
                    for (long jr = 0; jr < nc; jr += nr, offset += nr) {
                        while (offset >= g->c_group) { offset -= g->c_group; group++; }
                        long cols = nc - jr < nr ? nc - jr : nr;
                        const long column = jc + jr;
                        float *c = c_row + group * g->c_group_stride + offset;
                        const float *b_panel = packed_b + jr * kc;
                        if (cols > g->c_group - offset)  // the tile straddles two column groups
                            straddling_tile(g, kc, a_panel, b_panel, ic + ir, column, rows, cols, beta);
                        else if (rows == mr && cols == nr)
                            kernel->run(kc, a_panel, b_panel, c, g->ldc, g->alpha, beta);
                        else
                            edge_tile(kernel, kc, a_panel, b_panel, c, g->ldc, rows, cols, g->alpha, beta);
                    }
                }
            }
            if (pc + kc == g->k) apply_epilogue(g, i0, i1, jc, nc);
        }
    }
}

static void gemm_part(void *context, int part, int parts) {
    (void)parts;
    const gemm_problem *g = context;
    const long mr = g->kernel->mr, nr = g->kernel->nr;
    const long row_tiles = (g->m + mr - 1) / mr, column_tiles = (g->n + nr - 1) / nr;
    const int pi = part / g->thread_columns, pj = part % g->thread_columns;
    long i0 = row_tiles * pi / g->thread_rows * mr, i1 = row_tiles * (pi + 1) / g->thread_rows * mr;
    long j0 = column_tiles * pj / g->thread_columns * nr, j1 = column_tiles * (pj + 1) / g->thread_columns * nr;
    gemm_block(g, i0, i1 < g->m ? i1 : g->m, j0, j1 < g->n ? j1 : g->n);
}

/// Picks a thread_rows x thread_columns grid (product <= threads) with the least estimated
/// per-thread cost: multiply-adds of its tiles plus the packing it repeats.
static void choose_thread_grid(gemm_problem *g, int threads) {
    const long mr = g->kernel->mr, nr = g->kernel->nr;
    const long row_tiles = (g->m + mr - 1) / mr, column_tiles = (g->n + nr - 1) / nr;
    double best = -1;
    for (int total = 1; total <= threads; total++)
    for (int rows = 1; rows <= total; rows++) {
        if (total % rows) continue;
        int columns = total / rows;
        if (rows > row_tiles || columns > column_tiles) continue;
        double my_rows = (double)((row_tiles + rows - 1) / rows * mr);
        double my_columns = (double)((column_tiles + columns - 1) / columns * nr);
        double macs = my_rows * my_columns * (double)g->k;
        double column_blocks = (double)((long)my_columns + NC_COLUMNS - 1) / NC_COLUMNS;
        // Packing streams operands from memory: one packed float costs about as much time as
        // 16 multiply-adds (measured: the kernel does 16 per cycle, packing ~1 float per cycle).
        double packing = 16.0 * (double)g->k * (my_rows * column_blocks + my_columns);
        double cost = macs + packing;
        if (best < 0 || cost < best) { best = cost; g->thread_rows = rows; g->thread_columns = columns; }
    }
    if (best < 0) { g->thread_rows = 1; g->thread_columns = 1; }
    // Over-split the divided dimension into up to OVERSPLIT parts per thread: parts are claimed
    // dynamically, so when the OS gives a thread less CPU (busy machine) the others take over
    // its remaining parts. Part boundaries never change results (see the file comment).
    // Every part packs the operand it shares with the others (all of A for a column split,
    // all of B for a row split) again, at 16 units per float against m*n*k for the whole
    // product, so extra parts are capped to keep that repacking under ~10% of the work:
    // extra <= n/160 (column split) or m/160 (row split). DW-style GEMMs (small n, huge k)
    // therefore get no over-split.
    if (g->thread_columns > 1) {
        long wanted = (long)g->thread_columns * OVERSPLIT, cap = g->thread_columns + g->n / 160;
        if (wanted > cap) wanted = cap;
        g->thread_columns = (int)(column_tiles < wanted ? column_tiles : wanted);
    } else if (g->thread_rows > 1) {
        long wanted = (long)g->thread_rows * OVERSPLIT, cap = g->thread_rows + g->m / 160;
        if (wanted > cap) wanted = cap;
        g->thread_rows = (int)(row_tiles < wanted ? row_tiles : wanted);
    }
}

/// Scales C by beta (beta == 0 writes zeros without reading C).
static void scale_c(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) memset(row, 0, sizeof(float) * (size_t)n);
        else if (beta != 1.0f) for (long j = 0; j < n; j++) row[j] *= beta;
    }
}

void fsb_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb, float beta,
               float *c, long ldc) {
    fsb_sgemm_grouped_c(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, n, 0);
}

/// Runs a prepared problem (scaling only when k == 0 or alpha == 0): the one GEMM driver
/// behind every public entry point.
static void run_problem(gemm_problem *g) {
    const long m = g->m, n = g->n, k = g->k;
    if (m <= 0 || n <= 0) return;
    if (g->c_group <= 0 || g->c_group > n) { g->c_group = n; g->c_group_stride = 0; }
    if (k <= 0 || g->alpha == 0.0f) {
        for (long first = 0; first < n; first += g->c_group) {
            long width = n - first < g->c_group ? n - first : g->c_group;
            scale_c(m, width, g->beta, g->c + (first / g->c_group) * g->c_group_stride, g->ldc);
        }
        return;
    }
    g->kernel = fsb_selected_micro_kernel();
    g->kc_block = kc_block_for(k);
    int threads = fsb_get_num_threads();
    double macs = (double)m * (double)n * (double)k;
    if (macs < SINGLE_THREAD_MACS) threads = 1;
    choose_thread_grid(g, threads);
    int parts = g->thread_rows * g->thread_columns;
    fsb_parallel_run(parts, gemm_part, g);
}

void fsb_sgemm_grouped_c(int trans_a, int trans_b, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb, float beta,
                         float *c, long ldc, long group_columns, long group_stride) {
    gemm_problem g = {
        .trans_a = trans_a != 0, .trans_b = trans_b != 0, .m = m, .n = n, .k = k,
        .alpha = alpha, .beta = beta, .a = a, .b = b, .lda = lda, .ldb = ldb, .ldc = ldc, .c = c,
        .c_group = group_columns, .c_group_stride = group_stride,
    };
    run_problem(&g);
}

static fsb_conv_geometry geometry_of(fsb_conv_shape shape) {
    return fsb_make_conv_geometry(shape.batch, shape.channels, shape.height, shape.width,
                                  shape.kernel_h, shape.kernel_w, shape.pad_h, shape.pad_w,
                                  shape.stride_h, shape.stride_w);
}

void fsb_sgemm_im2col(long m, float alpha, const float *a, long lda, const float *images,
                      fsb_conv_shape shape, float beta, float *c, long ldc,
                      long group_columns, long group_stride) {
    const fsb_conv_geometry geometry = geometry_of(shape);
    if (shape.batch < 0 || shape.channels < 0 || shape.kernel_h < 0 || shape.kernel_w < 0) return;
    gemm_problem g = {
        .trans_a = 0, .trans_b = 0, .m = m, .n = shape.batch * geometry.out_h * geometry.out_w,
        .k = shape.channels * shape.kernel_h * shape.kernel_w,
        .alpha = alpha, .beta = beta, .a = a, .b = images, .lda = lda, .ldb = 0, .ldc = ldc, .c = c,
        .c_group = group_columns, .c_group_stride = group_stride, .implicit_b = &geometry,
    };
    run_problem(&g);
}

void fsb_sgemm_im2col_transposed(long m, float alpha, const float *a, long lda, const float *images,
                                 fsb_conv_shape shape, float beta, float *c, long ldc) {
    const fsb_conv_geometry geometry = geometry_of(shape);
    if (shape.batch < 0 || shape.channels < 0 || shape.kernel_h < 0 || shape.kernel_w < 0) return;
    gemm_problem g = {
        .trans_a = 0, .trans_b = 1, .m = m, .n = shape.channels * shape.kernel_h * shape.kernel_w,
        .k = shape.batch * geometry.out_h * geometry.out_w,
        .alpha = alpha, .beta = beta, .a = a, .b = images, .lda = lda, .ldb = 0, .ldc = ldc, .c = c,
        .c_group = 0, .c_group_stride = 0, .implicit_b = &geometry,
    };
    run_problem(&g);
}

size_t fsb_packed_a_size(long m, long k) {
    const long mr = fsb_selected_micro_kernel()->mr;
    return m > 0 && k > 0 ? (size_t)((m + mr - 1) / mr * mr) * (size_t)k : 0;
}

void fsb_pack_a(long m, long k, const float *a, long lda, float *packed) {
    if (m <= 0 || k <= 0) return;
    gemm_problem g = {.trans_a = 0, .m = m, .k = k, .a = a, .lda = lda, .kernel = fsb_selected_micro_kernel()};
    const long kc_block = kc_block_for(k), mr = g.kernel->mr, padded_rows = (m + mr - 1) / mr * mr;
    for (long pc = 0; pc < k; pc += kc_block) {
        const long kc = k - pc < kc_block ? k - pc : kc_block;
        pack_a(&g, 0, m, pc, kc, packed + pc * padded_rows);
    }
}

void fsb_sgemm_im2col_packed(long m, float alpha, const float *packed_a, const float *images,
                             fsb_conv_shape shape, float beta, float *c, long ldc,
                             long group_columns, long group_stride,
                             const float *row_scale, const float *row_shift, const float *addend, int relu) {
    const fsb_conv_geometry geometry = geometry_of(shape);
    if (shape.batch < 0 || shape.channels < 0 || shape.kernel_h < 0 || shape.kernel_w < 0) return;
    gemm_problem g = {
        .trans_a = 0, .trans_b = 0, .m = m, .n = shape.batch * geometry.out_h * geometry.out_w,
        .k = shape.channels * shape.kernel_h * shape.kernel_w,
        .alpha = alpha, .beta = beta, .a = NULL, .b = images, .lda = 0, .ldb = 0, .ldc = ldc, .c = c,
        .c_group = group_columns, .c_group_stride = group_stride, .packed_a = packed_a,
        .row_scale = row_scale && row_shift ? row_scale : NULL, .row_shift = row_shift,
        .epilogue_addend = addend, .epilogue_relu = relu != 0,
        .implicit_b = &geometry,
    };
    run_problem(&g);
}
