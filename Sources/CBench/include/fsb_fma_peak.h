// Benchmark-only C code of fsb-bench (not linked into fsb): the fused multiply-add peak.
#ifndef FSB_FMA_PEAK_H
#define FSB_FMA_PEAK_H

/// Whether this CPU runs the loop of `fsb_fma_peak_run` for `isa` ("avx512", "avx2" or
/// "avx512-bf16").
int fsb_fma_peak_available(const char *isa);

/// Runs `iterations` steps of 12 independent chains of vector fused multiply-adds (16 lanes
/// with "avx512", 8 with "avx2"; with "avx512-bf16" 24 chains of vdpbf16ps, 32 bf16
/// multiply-adds each) on the calling thread and returns the floating-point operations done
/// (2 per multiply-add), or 0 when the CPU lacks `isa`. The chains'
/// sum goes to *sink, so that the compiler keeps the loop.
double fsb_fma_peak_run(const char *isa, long iterations, float *sink);

#endif
