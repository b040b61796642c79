// Private declarations shared by the CKernels C files (not part of the public API).
#ifndef FSB_INTERNAL_H
#define FSB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "fsb_kernels.h"

/// One slice of a parallel job: `task(context, part, parts)` for part in [0, parts).
typedef void (*fsb_task_fn)(void *context, int part, int parts);

/// Runs `task` for every part in [0, parts) on the persistent thread pool (the calling thread
/// runs parts too) and returns only when every part is done and no pool thread will touch
/// `context` or the memory the parts write any more. Falls back to running every part on
/// the caller when the pool is busy (another thread is inside a parallel call) or parts == 1.
void fsb_parallel_run(int parts, fsb_task_fn task, void *context);

/// A 64-byte aligned scratch buffer private to the calling OS thread, at least `floats`
/// floats long; `slot` selects one of a few independent buffers (0: packed A, 1: packed B,
/// 2: the implicit-im2col block description, 3 and 4: the direct weight gradient's partial
/// sums and chunk descriptions, 5 and 6: the bf16 GEMM's packed A and B, 7: the packing-free
/// convolution tiles' staged images, 8-12: the bf16 convolution's columns, column gradient,
/// packed output gradient (per thread) and packed weights and partial weight gradients
/// (caller); FSB_SCRATCH_SLOTS in all).
enum { FSB_SCRATCH_SLOTS = 13 };
float *fsb_thread_scratch(int slot, size_t floats);

/// A GEMM micro-kernel: computes the mr x nr tile
///   t = alpha * sum_p a_panel[p*mr + i] * b_panel[p*nr + j]   (p in [0, kc), fused multiply-add
///   in increasing p), then writes c[i*ldc + j] = t when beta == 0, else beta*c + t
///   (multiply then add, two roundings), for the full mr x nr tile.
/// a_panel holds kc groups of mr floats, b_panel kc groups of nr floats (64-byte aligned).
typedef void (*fsb_micro_kernel_fn)(long kc, const float *a_panel, const float *b_panel,
                                    float *c, long ldc, float alpha, float beta);

/// Optional fast transpose of a 16 x 16 block: dst[j*ldd + i] = src[i*lds + j].
typedef void (*fsb_transpose16_fn)(const float *src, long lds, float *dst, long ldd);

/// A micro-kernel with its tile shape (and, if the CPU has one, a 16x16 transpose for packing).
/// `isa` is the vector instruction set the kernel needs (only selectable on CPUs that have
/// it): packing routines may use it too, so forcing a kernel also selects (and tests) the
/// matching packing path.
typedef struct {
    const char *name;
    int mr, nr;
    fsb_micro_kernel_fn run;
    fsb_transpose16_fn transpose16;
    int isa;
} fsb_micro_kernel;

/// Instruction sets of fsb_micro_kernel.isa.
enum { FSB_ISA_PLAIN_C = 0, FSB_ISA_AVX2 = 1, FSB_ISA_AVX512 = 2 };

/// The micro-kernel selected for this CPU (or forced with fsb_set_gemm_kernel).
const fsb_micro_kernel *fsb_selected_micro_kernel(void);

/// Largest reduction depth of one packed GEMM block (the GEMM's KC), and the floats a packed
/// B buffer must have past its end for fsb_pack_im2col_panels' full-vector stores.
enum { FSB_KC_MAX = 256, FSB_PACK_SLACK = 16 };

/// Sizes of a batched convolution's (implicit) column matrix: the fields of fsb_conv_shape
/// (same names, same order) and out_h/out_w derived, 0 when the kernel is larger than the
/// padded image or a stride is not positive.
typedef struct {
    FSB_CONV_SHAPE_FIELDS
    long out_h, out_w;
} fsb_conv_geometry;

static inline fsb_conv_geometry fsb_make_conv_geometry(long batch, long channels, long height, long width,
                                                       long kernel_h, long kernel_w, long pad_h, long pad_w,
                                                       long stride_h, long stride_w) {
    fsb_conv_geometry g = {batch, channels, height, width, kernel_h, kernel_w, pad_h, pad_w, stride_h, stride_w, 0, 0};
    g.out_h = (stride_h > 0 && height + 2 * pad_h >= kernel_h) ? (height + 2 * pad_h - kernel_h) / stride_h + 1 : 0;
    g.out_w = (stride_w > 0 && width + 2 * pad_w >= kernel_w) ? (width + 2 * pad_w - kernel_w) / stride_w + 1 : 0;
    return g;
}

/// Output columns [*lo, *hi) whose input column ox*stride - pad + offset lies in [0, size).
static inline void fsb_valid_range(long offset, long pad, long stride, long size, long out, long *lo, long *hi) {
    long first = pad - offset;                     // need ox*stride >= first
    long l = first <= 0 ? 0 : (first + stride - 1) / stride;
    long last = size - 1 + pad - offset;           // need ox*stride <= last
    long h = last < 0 ? 0 : last / stride + 1;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/// What packing a convolution's implicit column matrix (fsb_im2col_batched layout) needs
/// for one GEMM reduction block [p0, p0 + kc), kc <= FSB_KC_MAX, prepared once and reused for
/// every panel of the block: rows p0.. of the column matrix (forward, B = columns) or its
/// columns p0.. (weight gradient, B = columns^T). fsb_im2col_block_size() bytes, any 8-byte
/// aligned memory.
typedef struct fsb_im2col_block fsb_im2col_block;
size_t fsb_im2col_block_size(void);

/// isa (the selected kernel's, so the CPU has it) lets packing use AVX2 / AVX-512 masked
/// loads; the values are the same, but panels may then be followed by up to FSB_PACK_SLACK
/// floats of zeros (full-vector stores), which the caller's buffer must have room for.
void fsb_im2col_block_prepare(fsb_im2col_block *block, const fsb_conv_geometry *g, int transposed,
                              long p0, long kc, int isa);

/// Packs columns [j0, j0+nc) of B = columns (block prepared with transposed == 0) into
/// nr-wide panels: panel q holds kc groups of nr values of columns j0 + q*nr ...; columns
/// beyond nc are zero.
void fsb_pack_im2col_panels(const fsb_im2col_block *block, const float *images,
                            long j0, long nc, int nr, float *out);

/// Packs columns [j0, j0+nc) of B = columns^T (element (p, j) = columns[j, p]; block prepared
/// with transposed == 1) into nr-wide panels as above. `transpose16` may be NULL.
void fsb_pack_im2col_transposed_panels(const fsb_im2col_block *block, const float *images,
                                       long j0, long nc, int nr, fsb_transpose16_fn transpose16, float *out);

/// Whether the forward implicit GEMM can skip packing B for a block of `rows` rows of A with
/// an mr x nr micro-kernel (fsb_im2col_direct.c, stride 1, at most 32 rows, 64 for AVX2 tiles
/// reading staged images: AVX-512 8x32 with
/// output width a multiple of 16 and whole 8-row panels, or AVX2 6x16 with output width a
/// multiple of 8); block prepared with transposed == 0.
int fsb_im2col_direct_applies(const fsb_im2col_block *block, long rows, int mr, int nr);

/// C tiles for rows [0, mc) of the packed A block (mr-row panels, depth block->kc) and
/// columns [j0, j0 + nc) (nc a multiple of nr), reading B straight from `images`: exactly the
/// arithmetic of the packed path of the selected micro-kernel. c points at the block's first
/// row; column j lives at c + (j / c_group) * c_group_stride + j % c_group (c_group a
/// multiple of nr).
void fsb_im2col_direct_multiply(const fsb_im2col_block *block, const float *images, const float *packed_a,
                                long mc, long j0, long nc, float *c, long ldc, long c_group,
                                long c_group_stride, float alpha, float beta);

/// Values of the bf16 GEMM's packed A for an m x k operand (fsb_bf16_pack_a).
size_t fsb_bf16_packed_a_count(long m, long k);

/// Packs op(A) (m x k; A stored k x m when trans_a) for fsb_bf16_gemm_packed_a: rounded to
/// bfloat16 once, zero padded to whole 32 x 32 blocks (fsb_bf16_packed_a_count values).
void fsb_bf16_pack_a(int path, int trans_a, long m, long k, const float *a, long lda, uint16_t *out);

/// fsb_sgemm_bf16 with A packed by fsb_bf16_pack_a (same bits); threaded == 0 keeps the
/// whole product on the calling thread (for callers that split the work themselves).
int fsb_bf16_gemm_packed_a(int path, const uint16_t *packed_a, int trans_b, long m, long n, long k, float alpha,
                           const float *b, long ldb, float beta, float *c, long ldc, int threaded);

#endif
