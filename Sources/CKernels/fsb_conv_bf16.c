// Convolutions with bf16 products (fsb_kernels.h, fsb_conv_bf16_forward/_backward): per
// image, im2col into a private column matrix and the bf16 GEMM (fsb_gemm_bf16.c) with the
// weights packed once per call. The images of a batch are split over the threads; every
// image is computed by the same sequence of operations whatever thread runs it, and the
// weight gradient is summed in fixed groups of images, so results do not depend on the
// thread count.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <string.h>

enum {
    IMAGES_PER_GROUP = 8,   // the weight gradient's partial sums: one per group of images
    SLOT_COLUMNS = 8, SLOT_DCOLUMNS = 9, SLOT_PACKED_DOUT = 10,  // per thread
    SLOT_PACKED_W = 11, SLOT_PARTIAL_DW = 12,                   // the caller's
};

typedef struct {
    int path;
    fsb_conv_geometry g;
    long out_channels, rows, pixels;
    const float *images, *dout;
    const uint16_t *packed_w, *packed_wt;  // w (forward), w^T (input gradient)
    float *out, *partial_dw, *dimages;
    long units, units_per_part;            // images (forward) or groups (backward)
    int threaded_gemm;                     // 1 when a single part runs: the GEMM splits columns
} conv_job;

static void im2col_image(const conv_job *job, long b, float *columns) {
    const fsb_conv_geometry *g = &job->g;
    fsb_im2col(job->images + b * g->channels * g->height * g->width, g->channels, g->height, g->width,
               g->kernel_h, g->kernel_w, g->pad_h, g->pad_w, g->stride_h, g->stride_w, columns);
}

/// The units [*first, *last) of `part`; 0 when it has none.
static int part_units(const conv_job *job, int part, long *first, long *last) {
    *first = part * job->units_per_part;
    *last = *first + job->units_per_part < job->units ? *first + job->units_per_part : job->units;
    return *first < *last;
}

static void forward_part(void *context, int part, int parts) {
    (void)parts;
    const conv_job *job = context;
    long first, last;
    if (!part_units(job, part, &first, &last)) return;
    float *columns = fsb_thread_scratch(SLOT_COLUMNS, (size_t)(job->rows * job->pixels));
    for (long b = first; b < last; b++) {
        im2col_image(job, b, columns);
        fsb_bf16_gemm_packed_a(job->path, job->packed_w, 0, job->out_channels, job->pixels, job->rows, 1,
                               columns, job->pixels, 0, job->out + b * job->out_channels * job->pixels,
                               job->pixels, job->threaded_gemm);
    }
}

static void backward_part(void *context, int part, int parts) {
    (void)parts;
    const conv_job *job = context;
    long first, last;
    if (!part_units(job, part, &first, &last)) return;
    const fsb_conv_geometry *g = &job->g;
    const long co = job->out_channels, rows = job->rows, pixels = job->pixels;
    float *columns = fsb_thread_scratch(SLOT_COLUMNS, (size_t)(rows * pixels));
    float *dcolumns = job->dimages ? fsb_thread_scratch(SLOT_DCOLUMNS, (size_t)(rows * pixels)) : NULL;
    uint16_t *packed_dout = (uint16_t *)fsb_thread_scratch(SLOT_PACKED_DOUT, fsb_bf16_packed_a_count(co, pixels) / 2 + 1);
    for (long group = first; group < last; group++) {
        float *dw = job->partial_dw + group * co * rows;
        const long end = (group + 1) * IMAGES_PER_GROUP < g->batch ? (group + 1) * IMAGES_PER_GROUP : g->batch;
        for (long b = group * IMAGES_PER_GROUP; b < end; b++) {
            const float *dout = job->dout + b * co * pixels;
            im2col_image(job, b, columns);
            fsb_bf16_pack_a(job->path, 0, co, pixels, dout, pixels, packed_dout);
            fsb_bf16_gemm_packed_a(job->path, packed_dout, 1, co, rows, pixels, 1, columns, pixels,
                                   b == group * IMAGES_PER_GROUP ? 0 : 1, dw, rows, job->threaded_gemm);
            if (dcolumns) {
                fsb_bf16_gemm_packed_a(job->path, job->packed_wt, 0, rows, pixels, co, 1, dout, pixels, 0,
                                       dcolumns, pixels, job->threaded_gemm);
                fsb_col2im_add(dcolumns, g->channels, g->height, g->width, g->kernel_h, g->kernel_w,
                               g->pad_h, g->pad_w, g->stride_h, g->stride_w,
                               job->dimages + b * g->channels * g->height * g->width);
            }
        }
    }
}

/// Splits `units` over the threads (one part per thread at most, whole units each) and runs.
static void run_job(conv_job *job, fsb_task_fn task) {
    long parts = fsb_get_num_threads();
    if (parts > job->units) parts = job->units;
    if (parts < 1) parts = 1;
    job->units_per_part = (job->units + parts - 1) / parts;
    job->threaded_gemm = parts == 1;
    if (parts == 1) task(job, 0, 1);
    else fsb_parallel_run((int)parts, task, job);
}

static conv_job make_job(int path, long out_channels, const float *images, fsb_conv_shape s) {
    conv_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    job.g = fsb_make_conv_geometry(s.batch, s.channels, s.height, s.width, s.kernel_h, s.kernel_w,
                                   s.pad_h, s.pad_w, s.stride_h, s.stride_w);
    job.out_channels = out_channels;
    job.rows = s.channels * s.kernel_h * s.kernel_w;
    job.pixels = job.g.out_h * job.g.out_w;
    job.images = images;
    return job;
}

int fsb_conv_bf16_forward(int path, const float *w, long out_channels, const float *images,
                          fsb_conv_shape shape, float *out) {
    if (!fsb_bf16_path_available(path)) return 0;
    conv_job job = make_job(path, out_channels, images, shape);
    if (shape.batch <= 0 || out_channels <= 0 || job.pixels <= 0) return 1;
    uint16_t *packed_w = (uint16_t *)fsb_thread_scratch(SLOT_PACKED_W, fsb_bf16_packed_a_count(out_channels, job.rows) / 2 + 1);
    fsb_bf16_pack_a(path, 0, out_channels, job.rows, w, job.rows, packed_w);
    job.packed_w = packed_w;
    job.out = out;
    job.units = shape.batch;
    run_job(&job, forward_part);
    return 1;
}

int fsb_conv_bf16_backward(int path, const float *w, long out_channels, const float *images,
                           const float *dout, fsb_conv_shape shape, float *dw, float *dimages) {
    if (!fsb_bf16_path_available(path)) return 0;
    conv_job job = make_job(path, out_channels, images, shape);
    const long weights = out_channels * job.rows;
    if (shape.batch <= 0 || job.pixels <= 0) {
        if (weights > 0) memset(dw, 0, sizeof(float) * (size_t)weights);
        return 1;
    }
    const long groups = (shape.batch + IMAGES_PER_GROUP - 1) / IMAGES_PER_GROUP;
    const size_t wt_count = dimages ? fsb_bf16_packed_a_count(job.rows, out_channels) : 0;
    uint16_t *packed_wt = (uint16_t *)fsb_thread_scratch(SLOT_PACKED_W, wt_count / 2 + 1);
    float *partial = fsb_thread_scratch(SLOT_PARTIAL_DW, (size_t)(groups * weights));
    if (dimages) fsb_bf16_pack_a(path, 1, job.rows, out_channels, w, job.rows, packed_wt);
    job.packed_wt = packed_wt;
    job.dout = dout;
    job.partial_dw = partial;
    job.dimages = dimages;
    job.units = groups;
    run_job(&job, backward_part);
    memcpy(dw, partial, sizeof(float) * (size_t)weights);
    for (long group = 1; group < groups; group++) {
        const float *p = partial + group * weights;
        for (long i = 0; i < weights; i++) dw[i] += p[i];
    }
    return 1;
}
