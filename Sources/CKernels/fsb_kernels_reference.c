// Reference (naive) implementations; placeholder-free but slow. The optimized
// GEMM replaces fsb_sgemm in gemm.c.
#include "fsb_kernels.h"
#include <unistd.h>

static int fsb_threads = 0;

void fsb_set_num_threads(int threads) { fsb_threads = threads > 0 ? threads : 1; }
int fsb_get_num_threads(void) {
    if (fsb_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        fsb_threads = n > 0 ? (int)n : 1;
    }
    return fsb_threads;
}

const char *fsb_gemm_kernel_name(void) { return "naive"; }

void fsb_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
               const float *a, long lda, const float *b, long ldb, float beta,
               float *c, long ldc) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            float sum = 0.0f;
            for (long p = 0; p < k; p++) {
                float av = trans_a ? a[p * lda + i] : a[i * lda + p];
                float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += av * bv;
            }
            c[i * ldc + j] = alpha * sum + (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
        }
    }
}

void fsb_im2col(const float *image, long channels, long height, long width,
                long kernel_h, long kernel_w, long pad_h, long pad_w,
                long stride_h, long stride_w, float *columns) {
    long out_h = (height + 2 * pad_h - kernel_h) / stride_h + 1;
    long out_w = (width + 2 * pad_w - kernel_w) / stride_w + 1;
    for (long c = 0; c < channels; c++)
        for (long ky = 0; ky < kernel_h; ky++)
            for (long kx = 0; kx < kernel_w; kx++) {
                float *row = columns + ((c * kernel_h + ky) * kernel_w + kx) * out_h * out_w;
                for (long oy = 0; oy < out_h; oy++) {
                    long iy = oy * stride_h - pad_h + ky;
                    for (long ox = 0; ox < out_w; ox++) {
                        long ix = ox * stride_w - pad_w + kx;
                        row[oy * out_w + ox] = (iy >= 0 && iy < height && ix >= 0 && ix < width)
                            ? image[(c * height + iy) * width + ix] : 0.0f;
                    }
                }
            }
}

void fsb_col2im_add(const float *columns, long channels, long height, long width,
                    long kernel_h, long kernel_w, long pad_h, long pad_w,
                    long stride_h, long stride_w, float *image) {
    long out_h = (height + 2 * pad_h - kernel_h) / stride_h + 1;
    long out_w = (width + 2 * pad_w - kernel_w) / stride_w + 1;
    for (long c = 0; c < channels; c++)
        for (long ky = 0; ky < kernel_h; ky++)
            for (long kx = 0; kx < kernel_w; kx++) {
                const float *row = columns + ((c * kernel_h + ky) * kernel_w + kx) * out_h * out_w;
                for (long oy = 0; oy < out_h; oy++) {
                    long iy = oy * stride_h - pad_h + ky;
                    if (iy < 0 || iy >= height) continue;
                    for (long ox = 0; ox < out_w; ox++) {
                        long ix = ox * stride_w - pad_w + kx;
                        if (ix >= 0 && ix < width)
                            image[(c * height + iy) * width + ix] += row[oy * out_w + ox];
                    }
                }
            }
}
