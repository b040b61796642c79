// Mixed-precision GEMM: C = alpha * bf16(op(A)) x bf16(op(B)) + beta * C, products of
// bfloat16 operands accumulated in float32 (what PyTorch's CPU autocast and oneDNN do).
//
// Three compute paths share one packed layout, so the only difference between them is how
// the 32 x 32 block of C is multiplied:
//   amx         Intel AMX tiles (tdpbf16ps; Sapphire Rapids and later): 2 A tiles x 2 B tiles
//               -> 4 C tiles of 16 x 16 per 32-deep reduction step;
//   avx512bf16  AVX512-BF16 (vdpbf16ps; Zen 4, Cooper Lake and later): 8 x 32 register tiles;
//   portable    plain C with fmaf: the same products in the order vdpbf16ps documents, on any
//               CPU (slower than the float32 GEMM; the reference the hardware paths are
//               tested against).
// Packed layout (k padded with zeros to kp, a multiple of 32; rows and columns padded with
// zeros to whole 32 x 32 blocks):
//   A: 16-row groups, each [kp/32 chunks][16 rows][32 values]    (an AMX A tile per chunk)
//   B: 16-column panels, each [kp/2 pairs][16 columns][2 values] (the VNNI layout: an AMX B
//      tile per 32-deep chunk, one 512-bit vdpbf16ps operand per pair of rows)
// Conversion from float is round to nearest even (NaN stays NaN), once per element per call;
// where the CPU has AVX512-BF16 the packing uses vcvtne2ps2bf16, which also flushes subnormal
// floats (|x| < 2^-126) to zero, so the hardware paths see those as 0 and the portable path
// (scalar conversion) keeps them — the only difference in their operands.
//
// Determinism: work is split over column blocks only; every C element is the same sequence
// of operations whatever thread computes it, so results do not depend on the thread count.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

enum {
    BLOCK = 32,        // rows and columns of the C block one kernel call produces
    GROUP = 16,        // rows of an A group, columns of a B panel (one AMX tile side)
    CHUNK = 32,        // reduction depth of one AMX tile step
    SINGLE_THREAD_MACS = 1 << 18,
    OVERSPLIT = 4,
};

typedef uint16_t bf16;

static inline uint32_t float_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float bits_float(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

static inline bf16 to_bf16(float x) {
    uint32_t u = float_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x0040u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (bf16)(u >> 16);
}

static inline float from_bf16(bf16 h) { return bits_float((uint32_t)h << 16); }

float fsb_round_to_bf16(float x) { return from_bf16(to_bf16(x)); }

static inline long round_up(long x, long to) { return (x + to - 1) / to * to; }

// MARK: - CPU features

#if defined(__x86_64__)
static uint64_t xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static int cpu_has_avx512bf16(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;  // OSXSAVE
    if ((xcr0() & 0xe6) != 0xe6) return 0;          // SSE, AVX, opmask, ZMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, bw = (b >> 30) & 1;      // AVX512F, AVX512BW
    if (!f || !bw) return 0;
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 5) & 1;                            // AVX512_BF16
}

#define FSB_ARCH_REQ_XCOMP_PERM 0x1023
#define FSB_XFEATURE_XTILEDATA 18

static int cpu_has_amx_bf16(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!((d >> 22) & 1) || !((d >> 24) & 1)) return 0;  // AMX-BF16, AMX-TILE
    if ((xcr0() & (3ull << 17)) != (3ull << 17)) return 0;  // XTILECFG, XTILEDATA enabled
    // Linux hands out the 8 KiB tile state only to processes that ask for it first.
    return syscall(SYS_arch_prctl, FSB_ARCH_REQ_XCOMP_PERM, FSB_XFEATURE_XTILEDATA) == 0;
}
#endif

static _Atomic int availability[3] = {-1, -1, -1};  // -1: not probed yet

int fsb_bf16_path_available(int path) {
    if (path == FSB_BF16_PORTABLE) return 1;
    if (path != FSB_BF16_AVX512BF16 && path != FSB_BF16_AMX) return 0;
    int known = atomic_load(&availability[path]);
    if (known < 0) {
#if defined(__x86_64__)
        known = path == FSB_BF16_AMX ? cpu_has_amx_bf16() : cpu_has_avx512bf16();
#else
        known = 0;
#endif
        atomic_store(&availability[path], known);
    }
    return known;
}

int fsb_bf16_hardware_path(void) {
    if (fsb_bf16_path_available(FSB_BF16_AMX)) return FSB_BF16_AMX;
    if (fsb_bf16_path_available(FSB_BF16_AVX512BF16)) return FSB_BF16_AVX512BF16;
    return -1;
}

// MARK: - Packing

typedef struct {
    int path;
    int trans_b;
    long m, n, k, kp, mp;
    float alpha, beta;
    const float *b;
    long ldb, ldc;
    float *c;
    const bf16 *packed_a;
    long blocks_per_part;
} bf16_problem;

static inline float element_b(const bf16_problem *g, long p, long j) {
    return g->trans_b ? g->b[j * g->ldb + p] : g->b[p * g->ldb + j];
}

#if defined(__x86_64__)
/// pack_a for A stored m x k (trans_a == 0) with AVX512-BF16 conversions: 32 values of a row
/// per chunk, converted and stored in one go.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void pack_a_rows_avx512(const float *a, long lda, long m, long k, long kp, bf16 *out) {
    const long chunks = kp / CHUNK;
    for (long i = 0; i < m; i++) {
        const float *row = a + i * lda;
        bf16 *group = out + (i / GROUP) * chunks * GROUP * CHUNK + (i % GROUP) * CHUNK;
        for (long chunk = 0; chunk < chunks; chunk++) {
            const long p = chunk * CHUNK, left = k - p;
            const __mmask16 low = (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
            const __mmask16 high = (__mmask16)(left >= 32 ? 0xffffu : left <= 16 ? 0u : (1u << (left - 16)) - 1u);
            __m512 lo = _mm512_maskz_loadu_ps(low, row + p), hi = _mm512_maskz_loadu_ps(high, row + p + 16);
            _mm512_storeu_si512((void *)(group + chunk * GROUP * CHUNK), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
    }
}
#endif

void fsb_bf16_pack_a(int path, int trans_a, long m, long k, const float *a, long lda, uint16_t *out) {
    const long kp = round_up(k, CHUNK), mp = round_up(m, BLOCK), chunks = kp / CHUNK;
    memset(out, 0, sizeof(bf16) * (size_t)(mp * kp));
#if defined(__x86_64__)
    if (!trans_a && path != FSB_BF16_PORTABLE && fsb_bf16_path_available(FSB_BF16_AVX512BF16)) {
        pack_a_rows_avx512(a, lda, m, k, kp, out);
        return;
    }
#endif
    for (long i = 0; i < m; i++) {
        bf16 *group = out + (i / GROUP) * chunks * GROUP * CHUNK + (i % GROUP) * CHUNK;
        for (long p = 0; p < k; p++)
            group[(p / CHUNK) * GROUP * CHUNK + p % CHUNK] = to_bf16(trans_a ? a[p * lda + i] : a[i * lda + p]);
    }
}

size_t fsb_bf16_packed_a_count(long m, long k) { return (size_t)(round_up(m, BLOCK) * round_up(k, CHUNK)); }

#if defined(__x86_64__)
/// pack_b_block for B stored k x n (trans_b == 0) with AVX512-BF16 conversions: each pair of
/// rows p, p+1 of 16 columns becomes one interleaved 512-bit pair row.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void pack_b_block_avx512(const bf16_problem *g, long j0, bf16 *out) {
    const long pairs = g->kp / 2;
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (long panel = 0; panel < BLOCK / GROUP; panel++) {
        long j = j0 + panel * GROUP;
        long width = g->n - j;
        width = width < 0 ? 0 : width > GROUP ? GROUP : width;
        const __mmask16 columns = (__mmask16)((1u << width) - 1u);
        bf16 *dst = out + panel * pairs * GROUP * 2;
        for (long q = 0; q < pairs; q++) {
            long p = 2 * q;
            __m512 even = p < g->k ? _mm512_maskz_loadu_ps(columns, g->b + p * g->ldb + j) : _mm512_setzero_ps();
            __m512 odd = p + 1 < g->k ? _mm512_maskz_loadu_ps(columns, g->b + (p + 1) * g->ldb + j) : _mm512_setzero_ps();
            __m512i both = (__m512i)_mm512_cvtne2ps_pbh(odd, even);  // low 16: even row, high 16: odd row
            _mm512_storeu_si512((void *)(dst + q * GROUP * 2), _mm512_permutexvar_epi16(interleave, both));
        }
    }
}
#endif

#if defined(__x86_64__)
/// The 16 x 16 transpose of 32-bit elements: rows[i] element j -> rows[j] element i.
__attribute__((target("avx512f")))
static void transpose16_epi32(__m512i rows[16]) {
    __m512i t[16], u[16];
    for (int r = 0; r < 16; r += 2) {                 // per 128-bit lane: a0 b0 a1 b1 | a2 b2 a3 b3
        t[r] = _mm512_unpacklo_epi32(rows[r], rows[r + 1]);
        t[r + 1] = _mm512_unpackhi_epi32(rows[r], rows[r + 1]);
    }
    for (int r = 0; r < 16; r += 4) {                 // u[r + s], lane L: element 4L + s of rows r..r+3
        u[r] = _mm512_unpacklo_epi64(t[r], t[r + 2]);
        u[r + 1] = _mm512_unpackhi_epi64(t[r], t[r + 2]);
        u[r + 2] = _mm512_unpacklo_epi64(t[r + 1], t[r + 3]);
        u[r + 3] = _mm512_unpackhi_epi64(t[r + 1], t[r + 3]);
    }
    for (int s = 0; s < 4; s++) {                     // gather lane L of u[s], u[4+s], u[8+s], u[12+s]
        __m512i x = _mm512_shuffle_i32x4(u[s], u[4 + s], 0x88), y = _mm512_shuffle_i32x4(u[s], u[4 + s], 0xdd);
        __m512i x2 = _mm512_shuffle_i32x4(u[8 + s], u[12 + s], 0x88), y2 = _mm512_shuffle_i32x4(u[8 + s], u[12 + s], 0xdd);
        rows[s] = _mm512_shuffle_i32x4(x, x2, 0x88);
        rows[4 + s] = _mm512_shuffle_i32x4(y, y2, 0x88);
        rows[8 + s] = _mm512_shuffle_i32x4(x, x2, 0xdd);
        rows[12 + s] = _mm512_shuffle_i32x4(y, y2, 0xdd);
    }
}

/// pack_b_block for B stored n x k (trans_b == 1, element (p, j) at b[j * ldb + p]): each
/// column's 32 values of a chunk are contiguous, so 16 columns are converted to 16 pair rows
/// of 16 values and transposed into the chunk's 16 VNNI pair rows.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void pack_b_block_transposed_avx512(const bf16_problem *g, long j0, bf16 *out) {
    const long pairs = g->kp / 2, chunks = g->kp / CHUNK;
    for (long panel = 0; panel < BLOCK / GROUP; panel++) {
        const long j = j0 + panel * GROUP;
        long width = g->n - j;
        width = width < 0 ? 0 : width > GROUP ? GROUP : width;
        bf16 *dst = out + panel * pairs * GROUP * 2;
        for (long chunk = 0; chunk < chunks; chunk++) {
            const long p = chunk * CHUNK, left = g->k - p;
            const __mmask16 low = (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
            const __mmask16 high = (__mmask16)(left >= 32 ? 0xffffu : left <= 16 ? 0u : (1u << (left - 16)) - 1u);
            __m512i rows[16];
            for (long c = 0; c < GROUP; c++) {
                if (c < width) {
                    const float *column = g->b + (j + c) * g->ldb + p;
                    __m512 lo = _mm512_maskz_loadu_ps(low, column), hi = _mm512_maskz_loadu_ps(high, column + 16);
                    rows[c] = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);  // pair q of this chunk = 32-bit element q
                } else {
                    rows[c] = _mm512_setzero_si512();
                }
            }
            transpose16_epi32(rows);
            for (int q = 0; q < 16; q++) _mm512_storeu_si512((void *)(dst + (chunk * 16 + q) * GROUP * 2), rows[q]);
        }
    }
}
#endif

/// Packs columns [j0, j0 + 32) of op(B) (kp rows, zero padded) into two VNNI panels.
static void pack_b_block(const bf16_problem *g, long j0, bf16 *out) {
#if defined(__x86_64__)
    if (g->path != FSB_BF16_PORTABLE && fsb_bf16_path_available(FSB_BF16_AVX512BF16)) {
        if (g->trans_b) pack_b_block_transposed_avx512(g, j0, out);
        else pack_b_block_avx512(g, j0, out);
        return;
    }
#endif
    const long pairs = g->kp / 2;
    for (long panel = 0; panel < BLOCK / GROUP; panel++) {
        bf16 *dst = out + panel * pairs * GROUP * 2;
        for (long q = 0; q < pairs; q++)
            for (long c = 0; c < GROUP; c++) {
                long j = j0 + panel * GROUP + c;
                for (long h = 0; h < 2; h++) {
                    long p = 2 * q + h;
                    dst[(q * GROUP + c) * 2 + h] = (j < g->n && p < g->k) ? to_bf16(element_b(g, p, j)) : 0;
                }
            }
    }
}

// MARK: - Block kernels: acc[32][32] = A rows [i0, i0+32) x B block (fp32, row-major)

static void block_portable(const bf16 *a, const bf16 *b, long kp, float *acc) {
    const long chunks = kp / CHUNK, pairs = kp / 2;
    for (long r = 0; r < BLOCK; r++) {
        const bf16 *group = a + (r / GROUP) * chunks * GROUP * CHUNK + (r % GROUP) * CHUNK;
        for (long col = 0; col < BLOCK; col++) {
            const bf16 *panel = b + (col / GROUP) * pairs * GROUP * 2 + (col % GROUP) * 2;
            float t = 0;
            for (long q = 0; q < pairs; q++) {
                const bf16 *ap = group + ((2 * q) / CHUNK) * GROUP * CHUNK + (2 * q) % CHUNK;
                const bf16 *bp = panel + q * GROUP * 2;
                t = fmaf(from_bf16(ap[1]), from_bf16(bp[1]), t);  // vdpbf16ps: odd element first
                t = fmaf(from_bf16(ap[0]), from_bf16(bp[0]), t);
            }
            acc[r * BLOCK + col] = t;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void block_avx512bf16(const bf16 *a, const bf16 *b, long kp, long rows, float *acc) {
    const long chunks = kp / CHUNK, pairs = kp / 2;
    const bf16 *panel0 = b, *panel1 = b + pairs * GROUP * 2;
    for (long r0 = 0; r0 < rows; r0 += 8) {
        __m512 c[8][2];
        for (int r = 0; r < 8; r++) c[r][0] = c[r][1] = _mm512_setzero_ps();
        const bf16 *group = a + (r0 / GROUP) * chunks * GROUP * CHUNK + (r0 % GROUP) * CHUNK;
        for (long q = 0; q < pairs; q++) {
            __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(panel0 + q * GROUP * 2));
            __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(panel1 + q * GROUP * 2));
            const bf16 *ap = group + ((2 * q) / CHUNK) * GROUP * CHUNK + (2 * q) % CHUNK;
            for (int r = 0; r < 8; r++) {
                uint32_t pair;
                memcpy(&pair, ap + r * CHUNK, 4);
                __m512bh av = (__m512bh)_mm512_set1_epi32((int)pair);
                c[r][0] = _mm512_dpbf16_ps(c[r][0], av, b0);
                c[r][1] = _mm512_dpbf16_ps(c[r][1], av, b1);
            }
        }
        for (int r = 0; r < 8; r++) {
            _mm512_storeu_ps(acc + (r0 + r) * BLOCK, c[r][0]);
            _mm512_storeu_ps(acc + (r0 + r) * BLOCK + GROUP, c[r][1]);
        }
    }
}

/// The AMX tile configuration: palette 1, tiles 0-7 all 16 rows of 64 bytes.
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} amx_config;

__attribute__((target("amx-tile")))
static void amx_begin(void) {
    _Alignas(64) amx_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.colsb[t] = 64; config.rows[t] = 16; }
    _tile_loadconfig(&config);
}

__attribute__((target("amx-tile")))
static void amx_end(void) { _tile_release(); }

__attribute__((target("amx-tile,amx-bf16")))
static void block_amx(const bf16 *a, const bf16 *b, long kp, float *acc) {
    const long chunks = kp / CHUNK, pairs = kp / 2;
    const bf16 *a0 = a, *a1 = a + chunks * GROUP * CHUNK;
    const bf16 *b0 = b, *b1 = b + pairs * GROUP * 2;
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    for (long chunk = 0; chunk < chunks; chunk++) {
        _tile_loadd(4, a0 + chunk * GROUP * CHUNK, 64);
        _tile_loadd(5, a1 + chunk * GROUP * CHUNK, 64);
        _tile_loadd(6, b0 + chunk * GROUP * GROUP * 2, 64);  // 16 pair rows of this chunk
        _tile_loadd(7, b1 + chunk * GROUP * GROUP * 2, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, acc, BLOCK * sizeof(float));
    _tile_stored(1, acc + GROUP, BLOCK * sizeof(float));
    _tile_stored(2, acc + GROUP * BLOCK, BLOCK * sizeof(float));
    _tile_stored(3, acc + GROUP * BLOCK + GROUP, BLOCK * sizeof(float));
}
#endif

// MARK: - Driver

/// acc rows [0, rows) (at least; the AMX and portable kernels compute all 32) of the block.
static void multiply_block(int path, const bf16 *a, const bf16 *b, long kp, long rows, float *acc) {
#if defined(__x86_64__)
    if (path == FSB_BF16_AMX) { block_amx(a, b, kp, acc); return; }
    if (path == FSB_BF16_AVX512BF16) { block_avx512bf16(a, b, kp, rows, acc); return; }
#endif
    block_portable(a, b, kp, acc);
}

static void run_part(void *context, int part, int parts) {
    (void)parts;
    const bf16_problem *g = context;
    const long column_blocks = round_up(g->n, BLOCK) / BLOCK;
    const long first = part * g->blocks_per_part;
    long last = first + g->blocks_per_part;
    if (last > column_blocks) last = column_blocks;
    if (first >= last) return;
    bf16 *packed_b = (bf16 *)fsb_thread_scratch(6, (size_t)(g->kp * BLOCK / 2));
    _Alignas(64) float acc[BLOCK * BLOCK];
#if defined(__x86_64__)
    if (g->path == FSB_BF16_AMX) amx_begin();
#endif
    const long chunks = g->kp / CHUNK;
    for (long blockj = first; blockj < last; blockj++) {
        const long j0 = blockj * BLOCK;
        pack_b_block(g, j0, packed_b);
        const long cols = g->n - j0 < BLOCK ? g->n - j0 : BLOCK;
        for (long i0 = 0; i0 < g->m; i0 += BLOCK) {
            const long rows = g->m - i0 < BLOCK ? g->m - i0 : BLOCK;
            multiply_block(g->path, g->packed_a + (i0 / GROUP) * chunks * GROUP * CHUNK, packed_b, g->kp, rows, acc);
            for (long r = 0; r < rows; r++) {
                float *c = g->c + (i0 + r) * g->ldc + j0;
                const float *t = acc + r * BLOCK;
                if (g->beta == 0) for (long col = 0; col < cols; col++) c[col] = g->alpha * t[col];
                else for (long col = 0; col < cols; col++) c[col] = g->beta * c[col] + g->alpha * t[col];
            }
        }
    }
#if defined(__x86_64__)
    if (g->path == FSB_BF16_AMX) amx_end();
#endif
}

int fsb_bf16_gemm_packed_a(int path, const uint16_t *packed_a, int trans_b, long m, long n, long k, float alpha,
                           const float *b, long ldb, float beta, float *c, long ldc, int threaded) {
    if (!fsb_bf16_path_available(path)) return 0;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0 || alpha == 0) {
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return 1;
    }
    bf16_problem g = {
        .path = path, .trans_b = trans_b, .m = m, .n = n, .k = k,
        .kp = round_up(k, CHUNK), .mp = round_up(m, BLOCK), .alpha = alpha, .beta = beta,
        .b = b, .ldb = ldb, .ldc = ldc, .c = c, .packed_a = packed_a,
    };
    const long column_blocks = round_up(n, BLOCK) / BLOCK;
    int parts = 1;
    if (threaded && (double)m * (double)n * (double)k >= SINGLE_THREAD_MACS) {
        long wanted = (long)fsb_get_num_threads() * OVERSPLIT;
        parts = (int)(wanted < column_blocks ? wanted : column_blocks);
        if (parts < 1) parts = 1;
    }
    g.blocks_per_part = (column_blocks + parts - 1) / parts;
    if (parts == 1) run_part(&g, 0, 1);
    else fsb_parallel_run(parts, run_part, &g);
    return 1;
}

int fsb_sgemm_bf16(int path, int trans_a, int trans_b, long m, long n, long k, float alpha,
                   const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (!fsb_bf16_path_available(path)) return 0;
    if (m <= 0 || n <= 0 || k <= 0 || alpha == 0)
        return fsb_bf16_gemm_packed_a(path, NULL, trans_b, m, n, k, alpha, b, ldb, beta, c, ldc, 0);
    uint16_t *packed_a = (uint16_t *)fsb_thread_scratch(5, fsb_bf16_packed_a_count(m, k) / 2);
    fsb_bf16_pack_a(path, trans_a, m, k, a, lda, packed_a);
    return fsb_bf16_gemm_packed_a(path, packed_a, trans_b, m, n, k, alpha, b, ldb, beta, c, ldc, 1);
}
