// Sign convolutions for the FSB fast inference path (declared in include/fsb_kernels.h).
//
// Each (image, channel) plane is first copied into a zero-padded plane (with a little slack
// after it), so the taps need no bounds tests. With stride 1 a tap is a shift of the padded
// plane, so the outputs of all rows are computed over one contiguous span (with kernel_w - 1
// unused entries between rows) in vectors of 16 positions: the taps of a position block are
// loaded once, summed in groups of three with every sign combination, and each pattern adds
// one such group sum per group, sign-flipped (an exclusive-or of the sign bit: no
// multiplication) where needed; the valid entries are then copied row by row into z, for
// blocks of 8 patterns at a time. With a larger stride each output row of each pattern is
// accumulated directly in z, tap by tap.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    SIGN_CONV_PARALLEL_MIN_ADDS = 1 << 16,
    LANES = 16,          // positions per vector block
    PATTERN_BLOCK = 8,   // patterns accumulated together
};

typedef float lane_floats __attribute__((vector_size(LANES * sizeof(float))));
typedef uint32_t lane_bits __attribute__((vector_size(LANES * sizeof(float))));

typedef struct {
    const float *images;
    long batch, channels, height, width, kernel_h, kernel_w, pad, stride;
    long out_h, out_w, padded_h, padded_w;
    const float *patterns;
    long pattern_count;
    float *z;
    long ldz;
} sign_conv_job;

/// Floats of a part's scratch: the padded plane plus slack, then PATTERN_BLOCK spans.
static size_t span_capacity(const sign_conv_job *job) {
    return (size_t)(job->padded_h * job->padded_w + LANES);
}

/// Copies plane (b, i) into `padded` [padded_h, padded_w] with zero borders and LANES zeros after.
static inline __attribute__((always_inline)) void pad_plane(const sign_conv_job *job, long b, long i, float *padded) {
    const long pw = job->padded_w, ph = job->padded_h, pad = job->pad, height = job->height, width = job->width;
    const float *plane = job->images + (b * job->channels + i) * height * width;
    memset(padded, 0, sizeof(float) * (size_t)(pad * pw));
    for (long y = 0; y < height; y++) {
        float *row = padded + (y + pad) * pw;
        for (long x = 0; x < pad; x++) row[x] = 0;
        memcpy(row + pad, plane + y * width, sizeof(float) * (size_t)width);
        for (long x = pad + width; x < pw; x++) row[x] = 0;
    }
    memset(padded + (pad + height) * pw, 0, sizeof(float) * (size_t)((ph - pad - height) * pw + LANES));
}

/// Stride 1: all patterns' sums of one padded plane, written to z rows (c*channels + i).
/// The taps are taken in groups of three, (a, b, c): the four sums a+b+c, a-b+c, a+b-c, a-b-c
/// (from p = a+b and m = a-b: 6 additions) give every sign pattern of the group up to an
/// overall sign, so a pattern costs one addition per group (plus sign-bit flips) instead of
/// one per tap. A last group of two taps has the sums a+b, a-b; of one tap, a.
static inline __attribute__((always_inline)) void sign_conv_plane_stride1(const sign_conv_job *job, long b, long i,
                                                                          const float *padded, float *spans) {
    const long pw = job->padded_w, kw = job->kernel_w, taps = job->kernel_h * kw;
    const long out_h = job->out_h, out_w = job->out_w, pixels = out_h * out_w;
    const long span = (out_h - 1) * pw + out_w;
    const long blocks = (span + LANES - 1) / LANES;
    const long capacity = (long)span_capacity(job);
    const long groups = (taps + 2) / 3;
    long offsets[taps];
    for (long k = 0; k < taps; k++) offsets[k] = (k / kw) * pw + (k % kw);
    int combos[PATTERN_BLOCK * groups];
    uint32_t flips[PATTERN_BLOCK * groups];
    lane_floats group_sums[4 * groups];
    for (long first = 0; first < job->pattern_count; first += PATTERN_BLOCK) {
        const long count = job->pattern_count - first < PATTERN_BLOCK ? job->pattern_count - first : PATTERN_BLOCK;
        for (long c = 0; c < count; c++) {
            const float *pattern = job->patterns + (first + c) * taps;
            for (long g = 0; g < groups; g++) {
                const long t = 3 * g;
                const int lead_negative = pattern[t] < 0;
                int combo = 0;
                if (t + 1 < taps && (pattern[t + 1] < 0) != lead_negative) combo += 1;
                if (t + 2 < taps && (pattern[t + 2] < 0) != lead_negative) combo += 2;
                combos[c * groups + g] = (int)(4 * g) + combo;
                flips[c * groups + g] = lead_negative ? 0x80000000u : 0u;
            }
        }
        for (long block = 0; block < blocks; block++) {
            const float *base = padded + block * LANES;
            for (long g = 0; g < groups; g++) {
                const long t = 3 * g;
                lane_floats first_tap, second_tap, third_tap;
                memcpy(&first_tap, base + offsets[t], sizeof first_tap);
                if (t + 1 >= taps) { group_sums[4 * g] = first_tap; continue; }
                memcpy(&second_tap, base + offsets[t + 1], sizeof second_tap);
                const lane_floats plus = first_tap + second_tap, minus = first_tap - second_tap;
                if (t + 2 >= taps) { group_sums[4 * g] = plus; group_sums[4 * g + 1] = minus; continue; }
                memcpy(&third_tap, base + offsets[t + 2], sizeof third_tap);
                group_sums[4 * g] = plus + third_tap;
                group_sums[4 * g + 1] = minus + third_tap;
                group_sums[4 * g + 2] = plus - third_tap;
                group_sums[4 * g + 3] = minus - third_tap;
            }
            for (long c = 0; c < count; c++) {
                const int *combo = combos + c * groups;
                const uint32_t *flip = flips + c * groups;
                lane_floats sum = (lane_floats)((lane_bits)group_sums[combo[0]] ^ flip[0]);
                for (long g = 1; g < groups; g++) sum += (lane_floats)((lane_bits)group_sums[combo[g]] ^ flip[g]);
                memcpy(spans + c * capacity + block * LANES, &sum, sizeof sum);
            }
        }
        for (long c = 0; c < count; c++) {
            float *dst = job->z + ((first + c) * job->channels + i) * job->ldz + b * pixels;
            const float *src = spans + c * capacity;
            for (long oy = 0; oy < out_h; oy++) memcpy(dst + oy * out_w, src + oy * pw, sizeof(float) * (size_t)out_w);
        }
    }
}

/// Stride > 1: every pattern's output rows accumulated in z with strided loads.
static inline __attribute__((always_inline)) void sign_conv_plane_strided(const sign_conv_job *job, long b, long i,
                                                                          const float *padded) {
    const long pw = job->padded_w, kw = job->kernel_w, taps = job->kernel_h * kw, stride = job->stride;
    const long out_h = job->out_h, out_w = job->out_w, pixels = out_h * out_w;
    for (long c = 0; c < job->pattern_count; c++) {
        const float *pattern = job->patterns + c * taps;
        float *dst = job->z + (c * job->channels + i) * job->ldz + b * pixels;
        for (long oy = 0; oy < out_h; oy++) {
            float *restrict row = dst + oy * out_w;
            for (long ox = 0; ox < out_w; ox++) row[ox] = 0;
            for (long k = 0; k < taps; k++) {
                const float *restrict src = padded + (oy * stride + k / kw) * pw + (k % kw);
                if (pattern[k] < 0) for (long ox = 0; ox < out_w; ox++) row[ox] -= src[ox * stride];
                else for (long ox = 0; ox < out_w; ox++) row[ox] += src[ox * stride];
            }
        }
    }
}

/// The planes [first, end) of a job. Inlined into one function per instruction set below;
/// the arithmetic (additions of exactly negated values, taps in increasing order, from 0)
/// is the same in all of them, so every one gives the same bits.
#define SIGN_CONV_PLANES_BODY                                                        \
    for (long plane = first; plane < end; plane++) {                                 \
        const long b = plane / job->channels, i = plane % job->channels;             \
        pad_plane(job, b, i, padded);                                                \
        if (job->stride == 1) sign_conv_plane_stride1(job, b, i, padded, spans);     \
        else sign_conv_plane_strided(job, b, i, padded);                             \
    }

__attribute__((target("avx512f")))
static void sign_conv_planes_avx512(const sign_conv_job *job, long first, long end, float *padded, float *spans) {
    SIGN_CONV_PLANES_BODY
}

__attribute__((target("avx2")))
static void sign_conv_planes_avx2(const sign_conv_job *job, long first, long end, float *padded, float *spans) {
    SIGN_CONV_PLANES_BODY
}

static void sign_conv_planes_portable(const sign_conv_job *job, long first, long end, float *padded, float *spans) {
    SIGN_CONV_PLANES_BODY
}

static void sign_conv_part(void *context, int part, int parts) {
    const sign_conv_job *job = (const sign_conv_job *)context;
    const long planes = job->batch * job->channels;
    const long first = planes * part / parts, end = planes * (part + 1) / parts;
    if (first >= end) return;
    const size_t capacity = span_capacity(job);
    float *scratch = malloc(sizeof(float) * capacity * (1 + PATTERN_BLOCK));
    if (scratch == NULL) abort();
    if (__builtin_cpu_supports("avx512f")) {
        sign_conv_planes_avx512(job, first, end, scratch, scratch + capacity);
    } else if (__builtin_cpu_supports("avx2")) {
        sign_conv_planes_avx2(job, first, end, scratch, scratch + capacity);
    } else {
        sign_conv_planes_portable(job, first, end, scratch, scratch + capacity);
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

// ---------------------------------------------------------------------------------------------
// Gather contraction: y[b, o, p] = sum_i factors[o, i] * z[rows[o, i], b*P + p].
// Only the Co*Ci nonzero entries of A' are multiplied (Co*Ci*P multiply-adds per image, for
// any number of patterns), instead of the dense Co x (N*Ci) GEMM.

enum { GATHER_COLUMNS = 4 * LANES, GATHER_CHANNEL_GROUP = 16 };

typedef struct {
    const float *z;
    long ldz, batch, pixels, channels, out_channels;
    const float *factors;
    const long *rows;
    float *out;
    long column_blocks, channel_groups;
} gather_job;

/// Output channels [o_first, o_end) of columns [p0, p0 + width) of image b.
static inline __attribute__((always_inline)) void gather_block(const gather_job *job, long b, long p0, long width,
                                                               long o_first, long o_end) {
    const long channels = job->channels;
    const float *zb = job->z + b * job->pixels + p0;
    for (long o = o_first; o < o_end; o++) {
        const float *a = job->factors + o * channels;
        const long *rows = job->rows + o * channels;
        float *dst = job->out + (b * job->out_channels + o) * job->pixels + p0;
        if (width == GATHER_COLUMNS) {
            lane_floats acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
            for (long i = 0; i < channels; i++) {
                const float *src = zb + rows[i] * job->ldz;
                const float factor = a[i];
                lane_floats v0, v1, v2, v3;
                memcpy(&v0, src, sizeof v0);
                memcpy(&v1, src + LANES, sizeof v1);
                memcpy(&v2, src + 2 * LANES, sizeof v2);
                memcpy(&v3, src + 3 * LANES, sizeof v3);
                acc0 += factor * v0;
                acc1 += factor * v1;
                acc2 += factor * v2;
                acc3 += factor * v3;
            }
            memcpy(dst, &acc0, sizeof acc0);
            memcpy(dst + LANES, &acc1, sizeof acc1);
            memcpy(dst + 2 * LANES, &acc2, sizeof acc2);
            memcpy(dst + 3 * LANES, &acc3, sizeof acc3);
        } else {
            float acc[GATHER_COLUMNS];
            for (long j = 0; j < width; j++) acc[j] = 0;
            for (long i = 0; i < channels; i++) {
                const float *src = zb + rows[i] * job->ldz;
                const float factor = a[i];
                for (long j = 0; j < width; j++) acc[j] += factor * src[j];
            }
            memcpy(dst, acc, sizeof(float) * (size_t)width);
        }
    }
}

#define GATHER_ITEMS_BODY                                                                     \
    for (long item = first; item < end; item++) {                                             \
        const long group = item % job->channel_groups, rest = item / job->channel_groups;     \
        const long block = rest % job->column_blocks, b = rest / job->column_blocks;          \
        const long p0 = block * GATHER_COLUMNS;                                               \
        const long width = job->pixels - p0 < GATHER_COLUMNS ? job->pixels - p0 : GATHER_COLUMNS; \
        const long o_first = group * GATHER_CHANNEL_GROUP;                                    \
        const long o_end = o_first + GATHER_CHANNEL_GROUP < job->out_channels ? o_first + GATHER_CHANNEL_GROUP : job->out_channels; \
        gather_block(job, b, p0, width, o_first, o_end);                                      \
    }

__attribute__((target("avx512f,fma")))
static void gather_items_avx512(const gather_job *job, long first, long end) { GATHER_ITEMS_BODY }

__attribute__((target("avx2,fma")))
static void gather_items_avx2(const gather_job *job, long first, long end) { GATHER_ITEMS_BODY }

static void gather_items_portable(const gather_job *job, long first, long end) { GATHER_ITEMS_BODY }

static void gather_part(void *context, int part, int parts) {
    const gather_job *job = (const gather_job *)context;
    const long items = job->batch * job->column_blocks * job->channel_groups;
    const long first = items * part / parts, end = items * (part + 1) / parts;
    if (first >= end) return;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) gather_items_avx512(job, first, end);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) gather_items_avx2(job, first, end);
    else gather_items_portable(job, first, end);
}

void fsb_sign_gather(const float *z, long ldz, long batch, long pixels, long channels, long out_channels,
                     const float *factors, const long *rows, float *out) {
    if (batch <= 0 || pixels <= 0 || out_channels <= 0) return;
    if (channels <= 0) {
        memset(out, 0, sizeof(float) * (size_t)(batch * out_channels * pixels));
        return;
    }
    gather_job job = {z, ldz, batch, pixels, channels, out_channels, factors, rows, out,
                      (pixels + GATHER_COLUMNS - 1) / GATHER_COLUMNS,
                      (out_channels + GATHER_CHANNEL_GROUP - 1) / GATHER_CHANNEL_GROUP};
    const long items = batch * job.column_blocks * job.channel_groups;
    const long work = batch * pixels * channels * out_channels;
    int parts = fsb_get_num_threads();
    if (parts > items) parts = (int)items;
    if (work < SIGN_CONV_PARALLEL_MIN_ADDS || parts < 1) parts = 1;
    fsb_parallel_run(parts, gather_part, &job);
}
