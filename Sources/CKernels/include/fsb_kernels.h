// Hot loops of fsb: GEMM, im2col/col2im, threading control.
// All matrices are row-major float32. Results are deterministic for a given
// thread count (work is split over output rows/columns, never over the
// reduction dimension).
#ifndef FSB_KERNELS_H
#define FSB_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]  (row-major).
/// op(A) is A (m x k, leading dimension lda) when trans_a == 0, else A^T with A stored k x m.
/// op(B) is B (k x n, leading dimension ldb) when trans_b == 0, else B^T with B stored n x k.
/// beta == 0 overwrites C without reading it (NaNs in C are not propagated).
void fsb_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb, float beta,
               float *c, long ldc);

/// Unfolds one image [channels, height, width] into columns
/// [channels * kernel_h * kernel_w, out_h * out_w] with zero padding.
/// out_h = (height + 2*pad_h - kernel_h) / stride_h + 1 (likewise out_w).
void fsb_im2col(const float *image, long channels, long height, long width,
                long kernel_h, long kernel_w, long pad_h, long pad_w,
                long stride_h, long stride_w, float *columns);

/// Inverse scatter of fsb_im2col: ADDS every column entry back into
/// image [channels, height, width] (entries that fell in the padding are dropped).
void fsb_col2im_add(const float *columns, long channels, long height, long width,
                    long kernel_h, long kernel_w, long pad_h, long pad_w,
                    long stride_h, long stride_w, float *image);

/// Number of worker threads the kernels use (default: number of online CPUs).
void fsb_set_num_threads(int threads);
int fsb_get_num_threads(void);

/// Name of the GEMM micro-kernel selected at run time for this CPU
/// (for example "avx512", "avx2", "portable").
const char *fsb_gemm_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
