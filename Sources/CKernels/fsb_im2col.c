// im2col / col2im for convolution as GEMM, single image and batched.
//
// One row of the column matrix is one (channel, ky, kx) triple; within a row, output
// positions run (oy, ox) row-major (and, in the batched layout, images outermost). For each
// (kx) the range of output columns ox whose input column ix = ox*stride_w - pad_w + kx lies in
// the image is computed once, so the inner loops are a zero fill, a copy (memcpy for stride 1)
// and a zero fill, with no per-element bounds test.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <string.h>

enum { PARALLEL_MIN_ELEMENTS = 1 << 16 };

/// Writes one column-matrix row (out_h*out_w values) for channel plane `plane` and tap (ky, kx).
static void im2col_row(const fsb_conv_geometry *g, const float *plane, long ky, long kx, float *dst) {
    long lo, hi;
    fsb_valid_range(kx, g->pad_w, g->stride_w, g->width, g->out_w, &lo, &hi);
    for (long oy = 0; oy < g->out_h; oy++, dst += g->out_w) {
        long iy = oy * g->stride_h - g->pad_h + ky;
        if (iy < 0 || iy >= g->height) { memset(dst, 0, sizeof(float) * (size_t)g->out_w); continue; }
        const float *src = plane + iy * g->width - g->pad_w + kx;
        if (lo > 0) memset(dst, 0, sizeof(float) * (size_t)lo);
        if (g->stride_w == 1) {
            memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
        } else if (g->stride_w == 2) {
            for (long ox = lo; ox < hi; ox++) dst[ox] = src[2 * ox];
        } else {
            for (long ox = lo; ox < hi; ox++) dst[ox] = src[ox * g->stride_w];
        }
        if (hi < g->out_w) memset(dst + hi, 0, sizeof(float) * (size_t)(g->out_w - hi));
    }
}

/// Adds one column-matrix row back into channel plane `plane` for tap (ky, kx).
static void col2im_row(const fsb_conv_geometry *g, const float *src, long ky, long kx, float *plane) {
    long lo, hi;
    fsb_valid_range(kx, g->pad_w, g->stride_w, g->width, g->out_w, &lo, &hi);
    for (long oy = 0; oy < g->out_h; oy++, src += g->out_w) {
        long iy = oy * g->stride_h - g->pad_h + ky;
        if (iy < 0 || iy >= g->height) continue;
        float *dst = plane + iy * g->width - g->pad_w + kx;
        if (g->stride_w == 1) {
            for (long ox = lo; ox < hi; ox++) dst[ox] += src[ox];
        } else {
            for (long ox = lo; ox < hi; ox++) dst[ox * g->stride_w] += src[ox];
        }
    }
}

typedef struct {
    fsb_conv_geometry g;
    long batch;
    const float *input;
    float *output;
} im2col_job;

// Parallel over column-matrix rows: each (c, ky, kx) row for every image belongs to one part.
static void im2col_part(void *context, int part, int parts) {
    const im2col_job *job = context;
    const fsb_conv_geometry *g = &job->g;
    long taps = g->kernel_h * g->kernel_w, rows = g->channels * taps;
    long plane = g->height * g->width, positions = g->out_h * g->out_w;
    long r0 = rows * part / parts, r1 = rows * (part + 1) / parts;
    for (long r = r0; r < r1; r++) {
        long c = r / taps, ky = (r % taps) / g->kernel_w, kx = r % g->kernel_w;
        float *dst = job->output + r * job->batch * positions;
        for (long b = 0; b < job->batch; b++)
            im2col_row(g, job->input + (b * g->channels + c) * plane, ky, kx, dst + b * positions);
    }
}

// Parallel over (image, channel) planes: each image element is summed by one part, over the
// taps (ky, kx) in increasing order, so results do not depend on the thread count.
static void col2im_part(void *context, int part, int parts) {
    const im2col_job *job = context;
    const fsb_conv_geometry *g = &job->g;
    long taps = g->kernel_h * g->kernel_w, planes = job->batch * g->channels;
    long plane = g->height * g->width, positions = g->out_h * g->out_w;
    long q0 = planes * part / parts, q1 = planes * (part + 1) / parts;
    for (long q = q0; q < q1; q++) {
        long b = q / g->channels, c = q % g->channels;
        for (long t = 0; t < taps; t++) {
            const float *src = job->input + ((c * taps + t) * job->batch + b) * positions;
            col2im_row(g, src, t / g->kernel_w, t % g->kernel_w, job->output + q * plane);
        }
    }
}

static int parts_for(long elements, long units) {
    if (elements < PARALLEL_MIN_ELEMENTS) return 1;
    long threads = fsb_get_num_threads();
    return (int)(threads < units ? threads : (units > 0 ? units : 1));
}

void fsb_im2col_batched(const float *images, long batch, long channels, long height, long width,
                        long kernel_h, long kernel_w, long pad_h, long pad_w,
                        long stride_h, long stride_w, float *columns) {
    im2col_job job = {fsb_make_conv_geometry(batch, channels, height, width, kernel_h, kernel_w,
                                             pad_h, pad_w, stride_h, stride_w), batch, images, columns};
    long rows = channels * kernel_h * kernel_w;
    if (rows <= 0 || batch <= 0 || job.g.out_h * job.g.out_w == 0) return;
    fsb_parallel_run(parts_for(rows * batch * job.g.out_h * job.g.out_w, rows), im2col_part, &job);
}

void fsb_col2im_add_batched(const float *columns, long batch, long channels, long height, long width,
                            long kernel_h, long kernel_w, long pad_h, long pad_w,
                            long stride_h, long stride_w, float *images) {
    im2col_job job = {fsb_make_conv_geometry(batch, channels, height, width, kernel_h, kernel_w,
                                             pad_h, pad_w, stride_h, stride_w), batch, columns, images};
    long planes = batch * channels;
    if (planes <= 0 || kernel_h * kernel_w <= 0 || job.g.out_h * job.g.out_w == 0) return;
    long elements = planes * kernel_h * kernel_w * job.g.out_h * job.g.out_w;
    fsb_parallel_run(parts_for(elements, planes), col2im_part, &job);
}

void fsb_im2col(const float *image, long channels, long height, long width,
                long kernel_h, long kernel_w, long pad_h, long pad_w,
                long stride_h, long stride_w, float *columns) {
    fsb_im2col_batched(image, 1, channels, height, width, kernel_h, kernel_w, pad_h, pad_w,
                       stride_h, stride_w, columns);
}

void fsb_col2im_add(const float *columns, long channels, long height, long width,
                    long kernel_h, long kernel_w, long pad_h, long pad_w,
                    long stride_h, long stride_w, float *image) {
    fsb_col2im_add_batched(columns, 1, channels, height, width, kernel_h, kernel_w, pad_h, pad_w,
                           stride_h, stride_w, image);
}
