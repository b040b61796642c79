// Sign convolutions for the FSB fast inference path (declared in include/fsb_kernels.h).
//
// Each (image, channel) plane is first copied into a zero-padded plane, so the taps need no
// bounds tests. With stride 1 a tap is a shift of the padded plane: every pattern's sums are
// accumulated over one long contiguous span covering all output rows (with kernel_w - 1
// unused entries between rows), which vectorises well even for 8-wide planes, then the
// valid entries are copied row by row into z. With a larger stride each output row is
// accumulated directly in z with strided loads.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <stdlib.h>
#include <string.h>

enum { SIGN_CONV_PARALLEL_MIN_ADDS = 1 << 16 };

typedef struct {
    const float *images;
    long batch, channels, height, width, kernel_h, kernel_w, pad, stride;
    long out_h, out_w, padded_h, padded_w;
    const float *patterns;
    long pattern_count;
    float *z;
    long ldz;
} sign_conv_job;

/// dst[j] = src[j] or -src[j] (first tap of a pattern).
static inline __attribute__((always_inline)) void assign_signed(float *restrict dst, const float *restrict src, long count, int negative) {
    if (negative) {
        for (long j = 0; j < count; j++) dst[j] = -src[j];
    } else {
        for (long j = 0; j < count; j++) dst[j] = src[j];
    }
}

/// dst[j] += src[j] or dst[j] -= src[j].
static inline __attribute__((always_inline)) void accumulate_signed(float *restrict dst, const float *restrict src, long count, int negative) {
    if (negative) {
        for (long j = 0; j < count; j++) dst[j] -= src[j];
    } else {
        for (long j = 0; j < count; j++) dst[j] += src[j];
    }
}

/// All patterns' sign convolutions of one (image, channel) plane. Inlined into one loop per
/// instruction set below; additions and negations round the same in every one of them.
static inline __attribute__((always_inline)) void sign_conv_plane(const sign_conv_job *job, long b, long i, float *padded, float *span_buffer) {
    const long pw = job->padded_w, ph = job->padded_h, pad = job->pad;
    const long kh = job->kernel_h, kw = job->kernel_w, taps = kh * kw;
    const long out_h = job->out_h, out_w = job->out_w, pixels = out_h * out_w;
    const float *plane = job->images + (b * job->channels + i) * job->height * job->width;
    if (pad > 0) {
        memset(padded, 0, sizeof(float) * (size_t)(pad * pw));
        memset(padded + (pad + job->height) * pw, 0, sizeof(float) * (size_t)((ph - pad - job->height) * pw));
        for (long y = 0; y < job->height; y++) {
            float *row = padded + (y + pad) * pw;
            memset(row, 0, sizeof(float) * (size_t)pad);
            memcpy(row + pad, plane + y * job->width, sizeof(float) * (size_t)job->width);
            memset(row + pad + job->width, 0, sizeof(float) * (size_t)(pw - pad - job->width));
        }
    } else {
        padded = (float *)plane;  // read only below
    }
    const float *source = padded;
    for (long c = 0; c < job->pattern_count; c++) {
        const float *pattern = job->patterns + c * taps;
        float *dst = job->z + (c * job->channels + i) * job->ldz + b * pixels;
        if (job->stride == 1) {
            const long span = (out_h - 1) * pw + out_w;
            for (long k = 0; k < taps; k++) {
                const float *src = source + (k / kw) * pw + (k % kw);
                if (k == 0) assign_signed(span_buffer, src, span, pattern[k] < 0);
                else accumulate_signed(span_buffer, src, span, pattern[k] < 0);
            }
            for (long oy = 0; oy < out_h; oy++) {
                assign_signed(dst + oy * out_w, span_buffer + oy * pw, out_w, 0);
            }
        } else {
            const long stride = job->stride;
            for (long oy = 0; oy < out_h; oy++) {
                float *restrict row = dst + oy * out_w;
                for (long k = 0; k < taps; k++) {
                    const float *restrict src = source + (oy * stride + k / kw) * pw + (k % kw);
                    const int negative = pattern[k] < 0;
                    if (k == 0) {
                        if (negative) for (long ox = 0; ox < out_w; ox++) row[ox] = -src[ox * stride];
                        else for (long ox = 0; ox < out_w; ox++) row[ox] = src[ox * stride];
                    } else {
                        if (negative) for (long ox = 0; ox < out_w; ox++) row[ox] -= src[ox * stride];
                        else for (long ox = 0; ox < out_w; ox++) row[ox] += src[ox * stride];
                    }
                }
            }
        }
    }
}

/// The planes [first, end) of a job; `padded` and `span_buffer` hold padded_h * padded_w floats.
#define SIGN_CONV_PLANES_BODY                                                                  \
    for (long plane = first; plane < end; plane++) {                                           \
        sign_conv_plane(job, plane / job->channels, plane % job->channels, padded, span_buffer); \
    }

__attribute__((target("avx512f")))
static void sign_conv_planes_avx512(const sign_conv_job *job, long first, long end, float *padded, float *span_buffer) {
    SIGN_CONV_PLANES_BODY
}

__attribute__((target("avx2")))
static void sign_conv_planes_avx2(const sign_conv_job *job, long first, long end, float *padded, float *span_buffer) {
    SIGN_CONV_PLANES_BODY
}

static void sign_conv_planes_portable(const sign_conv_job *job, long first, long end, float *padded, float *span_buffer) {
    SIGN_CONV_PLANES_BODY
}

static void sign_conv_part(void *context, int part, int parts) {
    const sign_conv_job *job = (const sign_conv_job *)context;
    const long planes = job->batch * job->channels;
    const long first = planes * part / parts, end = planes * (part + 1) / parts;
    if (first >= end) return;
    const size_t padded_floats = (size_t)(job->padded_h * job->padded_w);
    float *scratch = malloc(sizeof(float) * 2 * padded_floats);
    if (scratch == NULL) abort();
    if (__builtin_cpu_supports("avx512f")) {
        sign_conv_planes_avx512(job, first, end, scratch, scratch + padded_floats);
    } else if (__builtin_cpu_supports("avx2")) {
        sign_conv_planes_avx2(job, first, end, scratch, scratch + padded_floats);
    } else {
        sign_conv_planes_portable(job, first, end, scratch, scratch + padded_floats);
    }
    free(scratch);
}

void fsb_sign_conv_batched(const float *images, long batch, long channels, long height, long width,
                           long kernel_h, long kernel_w, long pad, long stride,
                           const float *patterns, long pattern_count, float *z, long ldz) {
    if (batch <= 0 || channels <= 0 || pattern_count <= 0 || kernel_h <= 0 || kernel_w <= 0 || stride <= 0 || pad < 0) return;
    if (height + 2 * pad < kernel_h || width + 2 * pad < kernel_w) return;
    sign_conv_job job = {
        images, batch, channels, height, width, kernel_h, kernel_w, pad, stride,
        (height + 2 * pad - kernel_h) / stride + 1, (width + 2 * pad - kernel_w) / stride + 1,
        height + 2 * pad, width + 2 * pad, patterns, pattern_count, z, ldz,
    };
    const long planes = batch * channels;
    const long adds = planes * pattern_count * kernel_h * kernel_w * job.out_h * job.out_w;
    int parts = fsb_get_num_threads();
    if (parts > planes) parts = (int)planes;
    if (adds < SIGN_CONV_PARALLEL_MIN_ADDS || parts < 1) parts = 1;
    fsb_parallel_run(parts, sign_conv_part, &job);
}
