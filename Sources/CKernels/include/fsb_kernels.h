// Hot loops of fsb: GEMM, im2col/col2im, threading control.
//
// All matrices are row-major float32. Results are deterministic and bit-identical for ANY
// thread count: work is split over blocks of output rows/columns, never over the reduction
// dimension, and the reduction blocking depends only on the problem shape (the one reduction
// that is split, the bf16 convolutions' weight gradient over a batch, sums fixed groups of
// images in a fixed order).
//
// Threading: the kernels share one persistent worker pool. They are meant to be called from
// one thread at a time (the layers run sequentially); a call made while another thread is
// inside a kernel is still correct — it runs single-threaded on its caller with its own
// packing buffers — just not parallel.
#ifndef FSB_KERNELS_H
#define FSB_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]  (row-major).
/// op(A) is A (m x k, leading dimension lda) when trans_a == 0, else A^T with A stored k x m.
/// op(B) is B (k x n, leading dimension ldb) when trans_b == 0, else B^T with B stored n x k.
/// beta == 0 overwrites C without reading it (NaNs in C are not propagated).
/// alpha == 0 or k == 0 only scales C by beta (A and B are not read).
/// Cache-blocked and packed (Goto/BLIS); micro-kernel chosen at run time (fsb_gemm_kernel_name);
/// multi-threaded over output blocks when the problem has at least ~2^18 multiply-adds.
void fsb_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb, float beta,
               float *c, long ldc);

/// fsb_sgemm with C's columns stored in groups: column j of C (0 <= j < n) lives at
/// c + (j / group_columns) * group_stride + (j % group_columns), row i at + i * ldc.
/// A batched convolution uses it to write out[Co, batch*P] straight into NCHW
/// ([batch, Co, P]: group_columns = P, ldc = P, group_stride = Co*P) without a transposing
/// copy. group_columns <= 0 or >= n means one group (plain fsb_sgemm). Same arithmetic, so
/// the same bits, as fsb_sgemm on the equivalent contiguous C.
void fsb_sgemm_grouped_c(int trans_a, int trans_b, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb, float beta,
                         float *c, long ldc, long group_columns, long group_stride);

/// The fields of a batched 2-D convolution's sizes, declared once for fsb_conv_shape and the
/// kernels' internal fsb_conv_geometry (which adds the derived output size).
#define FSB_CONV_SHAPE_FIELDS \
    long batch, channels, height, width; \
    long kernel_h, kernel_w, pad_h, pad_w, stride_h, stride_w;

/// Sizes of a batched 2-D convolution over NCHW images [batch, channels, height, width]:
/// out_h = (height + 2*pad_h - kernel_h) / stride_h + 1 (likewise out_w), P = out_h*out_w.
/// Its column matrix is the one fsb_im2col_batched writes: [channels*kernel_h*kernel_w, batch*P].
typedef struct fsb_conv_shape {
    FSB_CONV_SHAPE_FIELDS
} fsb_conv_shape;

/// Convolution forward as ONE GEMM without a column matrix ("implicit im2col"):
///   C[m, batch*P] = alpha * A[m, channels*kh*kw] x columns + beta * C,
/// where columns = fsb_im2col_batched(images, shape) is never stored: the GEMM packs its B
/// panels straight from `images`. C's columns may be grouped exactly as in
/// fsb_sgemm_grouped_c (group_columns = P, ldc = P, group_stride = m*P writes NCHW output).
/// Same blocking, kernels and summation order as fsb_im2col_batched followed by
/// fsb_sgemm_grouped_c(0, 0, ...), so the same bits.
void fsb_sgemm_im2col(long m, float alpha, const float *a, long lda, const float *images,
                      fsb_conv_shape shape, float beta, float *c, long ldc,
                      long group_columns, long group_stride);

/// Floats that fsb_pack_a needs for an m x k matrix with the selected micro-kernel.
size_t fsb_packed_a_size(long m, long k);

/// Packs A (m x k, row-major, leading dimension lda) exactly as the GEMMs pack their A
/// operand with the selected micro-kernel, all row blocks and reduction blocks at once, so a
/// matrix used many times (a convolution's weights during inference) is packed only once.
/// Valid while the same micro-kernel stays selected.
void fsb_pack_a(long m, long k, const float *a, long lda, float *packed);

/// fsb_sgemm_im2col with A pre-packed by fsb_pack_a(m, channels*kh*kw, ...): same bits.
/// With row_scale and row_shift (m values each, else NULL), every finished C value of row i
/// becomes c * row_scale[i] + row_shift[i] (two roundings), then plus the addend's element at
/// the same offset from `addend` as from `c` (when addend is not NULL), and with relu != 0
/// then max(., 0) (values <= 0 become +0, NaN stays NaN), applied block by block while C is
/// still in cache: an inference BatchNorm (a residual sum) (and ReLU) fused into the
/// convolution, with the bits of running them afterwards.
void fsb_sgemm_im2col_packed(long m, float alpha, const float *packed_a, const float *images,
                             fsb_conv_shape shape, float beta, float *c, long ldc,
                             long group_columns, long group_stride,
                             const float *row_scale, const float *row_shift, const float *addend, int relu);

/// Convolution weight gradient as ONE GEMM without a column matrix:
///   C[m, channels*kh*kw] = alpha * A[m, batch*P] x columns^T + beta * C  (C contiguous, ldc),
/// with columns = fsb_im2col_batched(images, shape) packed on the fly from `images`.
/// Same bits as fsb_im2col_batched followed by fsb_sgemm(0, 1, ...).
void fsb_sgemm_im2col_transposed(long m, float alpha, const float *a, long lda, const float *images,
                                 fsb_conv_shape shape, float beta, float *c, long ldc);

/// Convolution weight gradient without packing (fsb_conv_weight_gradient.c), for small
/// stride-1 convolutions:
///   dw[o * ldw + r] = sum over b, q of dy[(b * outputs + o) * P + q] * columns[r, b * P + q]
/// (overwrites dw; columns = fsb_im2col_batched(images, shape)), summed along the pixels in
/// 16 vector lanes. Returns 1 when done; 0, writing nothing, unless the AVX-512 kernel is
/// selected, strides are 1, out_w >= 10, outputs <= 64 and channels * kernel_h * kernel_w
/// <= 576 (the caller then uses fsb_sgemm_im2col_transposed). Deterministic for any thread
/// count; not the GEMM's bits (another summation order).
int fsb_conv_weight_gradient_direct(long outputs, const float *dy, const float *images, fsb_conv_shape shape,
                                    float *dw, long ldw);

/// Unfolds one image [channels, height, width] into columns
/// [channels * kernel_h * kernel_w, out_h * out_w] with zero padding.
/// out_h = (height + 2*pad_h - kernel_h) / stride_h + 1 (likewise out_w); 0 when the kernel
/// is larger than the padded image.
/// Row r = (c * kernel_h + ky) * kernel_w + kx; column oy * out_w + ox holds
/// image[c, oy*stride_h - pad_h + ky, ox*stride_w - pad_w + kx] (0 outside the image).
void fsb_im2col(const float *image, long channels, long height, long width,
                long kernel_h, long kernel_w, long pad_h, long pad_w,
                long stride_h, long stride_w, float *columns);

/// Inverse scatter of fsb_im2col: ADDS every column entry back into
/// image [channels, height, width] (entries that fell in the padding are dropped).
/// It is the adjoint of fsb_im2col: <im2col(x), y> == <x, col2im(y)>.
void fsb_col2im_add(const float *columns, long channels, long height, long width,
                    long kernel_h, long kernel_w, long pad_h, long pad_w,
                    long stride_h, long stride_w, float *image);

/// Batched im2col: images [batch, channels, height, width] (NCHW, contiguous) are unfolded
/// into ONE column matrix [channels * kernel_h * kernel_w, batch * out_h * out_w], so a whole
/// batch's convolution is one GEMM:  out[Co, batch*out_h*out_w] = W[Co, Ci*kh*kw] * columns.
/// Row r = (c * kernel_h + ky) * kernel_w + kx; column (b * out_h + oy) * out_w + ox holds
/// images[b, c, oy*stride_h - pad_h + ky, ox*stride_w - pad_w + kx] (0 outside the image).
/// Note the GEMM output is then [Co, batch, out_h, out_w] (channel-major), not NCHW.
/// With batch == 1 this is exactly fsb_im2col. Multi-threaded over rows.
void fsb_im2col_batched(const float *images, long batch, long channels, long height, long width,
                        long kernel_h, long kernel_w, long pad_h, long pad_w,
                        long stride_h, long stride_w, float *columns);

/// Adjoint of fsb_im2col_batched: ADDS every entry of columns
/// [channels * kernel_h * kernel_w, batch * out_h * out_w] back into
/// images [batch, channels, height, width]. Multi-threaded over (image, channel) planes;
/// each image element is summed over the taps (ky, kx) in increasing order whatever the
/// thread count.
void fsb_col2im_add_batched(const float *columns, long batch, long channels, long height, long width,
                            long kernel_h, long kernel_w, long pad_h, long pad_w,
                            long stride_h, long stride_w, float *images);

/// Sign convolutions of a batch with a small set of +1/-1 kernel patterns, computed with
/// additions and subtractions only (no multiplications): the first stage of the FSB sign path
/// (fsb_sign_conv.c; docs/fsb-method.md, "Why fixed signs help the hardware"):
///   z[(c * channels + i) * ldz + b * out_h * out_w + oy * out_w + ox]
///     = sum over (ky, kx) of  patterns[c * kernel_h * kernel_w + ky * kernel_w + kx]
///                             * images[b, i, oy * stride - pad + ky, ox * stride - pad + kx]
/// for every image b < batch, input channel i < channels and pattern c < pattern_count
/// (0 outside the image; a pattern entry < 0 counts as -1, any other as +1).
/// images: [batch, channels, height, width] (NCHW, contiguous); z: [pattern_count * channels, ldz]
/// with ldz >= batch * out_h * out_w, out_h = (height + 2*pad - kernel_h) / stride + 1
/// (likewise out_w). Nothing is written when the kernel is larger than the padded image.
/// Every z entry is summed over the taps in increasing (ky, kx) order, so the result is the
/// same for any thread count. Multi-threaded over (image, channel) planes.
void fsb_sign_conv_batched(const float *images, long batch, long channels, long height, long width,
                           long kernel_h, long kernel_w, long pad, long stride,
                           const float *patterns, long pattern_count, float *z, long ldz);

/// The second stage of the FSB sign path without the zeros of A': for every image b < batch,
/// output channel o < out_channels and pixel p < pixels,
///   out[(b * out_channels + o) * pixels + p]
///     = sum over i < channels (in increasing order) of factors[o * channels + i] * z[rows[o * channels + i] * ldz + b * pixels + p]
/// (overwrites out, NCHW [batch, out_channels, pixels]). With rows[o, i] = code(o, i) * channels + i
/// and the signed factors this is A' x z with only the Co*Ci nonzero entries of A' multiplied.
/// Multi-threaded over blocks of pixels and output channels; the result does not depend on the
/// thread count (the SIMD versions use fused multiply-add, like the GEMM kernels).
void fsb_sign_gather(const float *z, long ldz, long batch, long pixels, long channels, long out_channels,
                     const float *factors, const long *rows, float *out);

/// Instruction-set paths of the bf16 mixed-precision GEMM (fsb_gemm_bf16.c).
/// FSB_BF16_PORTABLE runs on any CPU (plain C, slower than fsb_sgemm: the reference the
/// hardware paths are tested against); FSB_BF16_AVX512BF16 needs AVX512-BF16 (vdpbf16ps);
/// FSB_BF16_AMX needs AMX-BF16 and AMX-TILE and the kernel's permission for the tile state.
enum { FSB_BF16_PORTABLE = 0, FSB_BF16_AVX512BF16 = 1, FSB_BF16_AMX = 2 };

/// 1 when `path` can run on this CPU (and, for AMX, the kernel granted the tile state), else 0.
int fsb_bf16_path_available(int path);

/// The fastest hardware bf16 path of this CPU (AMX, then AVX512-BF16), or -1 when it has
/// neither (the portable path is never chosen automatically).
int fsb_bf16_hardware_path(void);

/// float -> bfloat16 (round to nearest even, NaN stays NaN) -> float.
float fsb_round_to_bf16(float x);

/// C[m,n] = alpha * bf16(op(A))[m,k] x bf16(op(B))[k,n] + beta * C[m,n]  (row-major; op as in
/// fsb_sgemm): every operand rounded to bfloat16, the products accumulated in float32, then
/// alpha and beta applied in float32 (beta == 0 overwrites C without reading it). Computed on
/// `path`; returns 1, or 0 (C untouched) when this CPU cannot run `path`. Multi-threaded over
/// column blocks; the result does not depend on the thread count.
int fsb_sgemm_bf16(int path, int trans_a, int trans_b, long m, long n, long k, float alpha,
                   const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/// A batch's convolution with bf16 products (fsb_conv_bf16.c), weights w [out_channels,
/// channels*kh*kw] over NCHW images: per image, the column matrix (fsb_im2col) times the
/// weights on the bf16 GEMM of `path`, the weights packed once per call. Work is split over
/// images (over column blocks for a single image), so the result does not depend on the
/// thread count. Each returns 0, writing nothing, when this CPU cannot run `path`.
///   forward:  out[b] = w x columns_b                         (overwrites out [batch, out_channels, P])
int fsb_conv_bf16_forward(int path, const float *w, long out_channels, const float *images,
                          fsb_conv_shape shape, float *out);

///   backward: dw = sum over b of dout_b x columns_b^T  (overwrites dw [out_channels, channels*kh*kw];
///             images summed in fixed groups of 8, the groups in order), and when dimages is
///             not NULL, dimages_b += col2im(w^T x dout_b).
int fsb_conv_bf16_backward(int path, const float *w, long out_channels, const float *images,
                           const float *dout, fsb_conv_shape shape, float *dw, float *dimages);

/// Runs `body(context, part, parts)` for every part in [0, parts) on the kernels' persistent
/// thread pool (the calling thread runs parts too) and returns when all parts are done.
/// Each part must write memory disjoint from the others, so the results do not depend on
/// which thread runs which part. Runs every part on the caller when parts <= 1 or another
/// thread is already inside a parallel call. Lets callers (the Swift layers) share ONE set of
/// threads with the GEMM instead of a second pool competing for the same cores.
void fsb_parallel_for(int parts, void (*body)(void *context, int part, int parts), void *context);

/// Number of worker threads the kernels use (default: number of online CPUs).
/// Values below 1 are treated as 1.
void fsb_set_num_threads(int threads);
int fsb_get_num_threads(void);

/// Name of the GEMM micro-kernel selected at run time for this CPU:
/// "avx512" (8x32 tile), "avx2" (AVX2+FMA, 6x16 tile) or "portable" (plain C, 4x16 tile).
const char *fsb_gemm_kernel_name(void);

/// Forces the GEMM micro-kernel by name (for tests and benchmarks); NULL restores the
/// automatic choice. Returns 1 on success, 0 when the name is unknown or this CPU lacks
/// the instructions (the selection is then unchanged). Not to be called while a GEMM runs.
/// Different kernels may round differently (the SIMD ones use fused multiply-add).
int fsb_set_gemm_kernel(const char *name);

/// Whether the AVX2 packing-free convolution tiles first copy a block's images with their
/// zero padding written out (1, the default: plain loads) or read them with masked loads (0);
/// the bits are the same either way (for tests and benchmarks). Returns the previous setting.
/// Not to be called while a GEMM runs.
int fsb_set_direct_staging(int enabled);

/// Makes glibc's malloc keep freed blocks up to 1 GiB in the heap (mmap and trim thresholds
/// raised) so the next allocation of the same size reuses them instead of mapping and
/// zero-faulting fresh pages. Returns 1 when applied, 0 where the C library is not glibc.
int fsb_retain_freed_memory(void);

#ifdef __cplusplus
}
#endif
#endif
