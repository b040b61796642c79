// Private declarations shared by the CKernels C files (not part of the public API).
#ifndef FSB_INTERNAL_H
#define FSB_INTERNAL_H

#include <stddef.h>

/// One slice of a parallel job: `task(context, part, parts)` for part in [0, parts).
typedef void (*fsb_task_fn)(void *context, int part, int parts);

/// Runs `task` for every part in [0, parts) on the persistent thread pool (the calling thread
/// runs parts too) and returns only when every part is done and no pool thread will touch
/// `context` or the memory the parts write any more. Falls back to running every part on
/// the caller when the pool is busy (another thread is inside a parallel call) or parts == 1.
void fsb_parallel_run(int parts, fsb_task_fn task, void *context);

/// A 64-byte aligned scratch buffer private to the calling OS thread, at least `floats`
/// floats long; `slot` selects one of a few independent buffers (0: packed A, 1: packed B).
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
typedef struct {
    const char *name;
    int mr, nr;
    fsb_micro_kernel_fn run;
    fsb_transpose16_fn transpose16;
} fsb_micro_kernel;

/// The micro-kernel selected for this CPU (or forced with fsb_set_gemm_kernel).
const fsb_micro_kernel *fsb_selected_micro_kernel(void);

#endif
