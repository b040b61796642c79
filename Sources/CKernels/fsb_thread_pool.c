// Persistent pthread pool used by the GEMM and im2col kernels.
//
// Workers are created lazily (up to fsb_get_num_threads() - 1 of them) and live for the
// whole process. A job is published by bumping a generation counter; workers spin briefly
// on it and then sleep on a condition variable, so back-to-back small jobs (LeNet-sized
// GEMMs) avoid the cost of a futex wake-up while an idle process does not burn CPU.
#include "fsb_internal.h"
#include "fsb_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FSB_MAX_THREADS 256
// About 50-100 microseconds of `pause`: long enough to catch the next kernel call of a
// training step, short enough that idle workers do not steal a core from the caller's own
// single-threaded code (or from other processes) for long.
#define FSB_SPIN_ITERATIONS 1000

static atomic_int requested_threads = 0;

void fsb_set_num_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > FSB_MAX_THREADS) threads = FSB_MAX_THREADS;
    atomic_store(&requested_threads, threads);
}

int fsb_get_num_threads(void) {
    int threads = atomic_load(&requested_threads);
    if (threads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online > 0 ? (int)(online < FSB_MAX_THREADS ? online : FSB_MAX_THREADS) : 1;
        int expected = 0;
        atomic_compare_exchange_strong(&requested_threads, &expected, threads);
        threads = atomic_load(&requested_threads);
    }
    return threads;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Job protocol. `ticket` packs (generation << 32) | (parts << 16) | next unclaimed part, so
// everything needed to decide whether a part can be claimed is in ONE word. Anyone — the
// caller or a worker — claims part `next` with a compare-and-swap of ticket to next + 1, and
// only AFTER that successful claim reads the job's task and context: while a claimed part is
// unfinished the job cannot complete, so no caller can overwrite those fields. A worker that
// looked at the ticket of an old (fully claimed) job and was then descheduled can therefore
// never run a part with another job's task, context or part count: its CAS either fails, or
// succeeds on the ticket of the job that is current at that instant and then reads that job.
// Every successful claim is reported once in `finished` after the part's last memory access,
// and exactly `parts` claims exist per job, so when the caller sees finished == parts no
// thread touches the job's data any more. The caller resets `finished` before publishing a
// job; all reports of the previous job happened before its caller returned.
// Because the caller also claims parts, a worker that the OS does not schedule (busy
// machine) only delays the parts it actually claimed. Each part writes a fixed region, so who
// runs it never changes the results.
#define FSB_MAX_PARTS 0xffff

static struct {
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    _Atomic unsigned long long ticket;
    atomic_int finished;         // claimed parts of the current job that are done
    atomic_flag busy;            // set while a caller owns the pool
    int worker_count;            // workers created so far (changed only by the busy owner)
    _Atomic(fsb_task_fn) task;   // written only while no part of any job is claimed
    _Atomic(void *) context;
} pool = {
    .mutex = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .busy = ATOMIC_FLAG_INIT,
};

static inline unsigned ticket_generation(unsigned long long ticket) { return (unsigned)(ticket >> 32); }
static inline unsigned ticket_parts(unsigned long long ticket) { return (unsigned)(ticket >> 16) & FSB_MAX_PARTS; }
static inline unsigned ticket_next(unsigned long long ticket) { return (unsigned)ticket & FSB_MAX_PARTS; }

/// Claims and runs parts of the current job until none is left unclaimed.
static void run_claimed_parts(void) {
    unsigned long long ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    for (;;) {
        unsigned part = ticket_next(ticket), parts = ticket_parts(ticket);
        if (part >= parts) return;
        if (!atomic_compare_exchange_weak_explicit(&pool.ticket, &ticket, ticket + 1,
                                                   memory_order_acq_rel, memory_order_acquire))
            continue;  // `ticket` now holds the current value
        // Claimed: the job stays current until this part is reported, so these are its fields.
        fsb_task_fn task = atomic_load_explicit(&pool.task, memory_order_relaxed);
        void *context = atomic_load_explicit(&pool.context, memory_order_relaxed);
        task(context, (int)part, (int)parts);
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);  // last touch of the job
        ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    }
}

static void *worker_main(void *argument) {
    (void)argument;
    unsigned seen = 0;  // generations start at 1
    for (;;) {
        unsigned now;
        int spins = 0;
        while ((now = ticket_generation(atomic_load_explicit(&pool.ticket, memory_order_acquire))) == seen) {
            if (++spins < FSB_SPIN_ITERATIONS) { cpu_relax(); continue; }
            pthread_mutex_lock(&pool.mutex);
            while ((now = ticket_generation(atomic_load(&pool.ticket))) == seen)
                pthread_cond_wait(&pool.wake, &pool.mutex);
            pthread_mutex_unlock(&pool.mutex);
            break;
        }
        seen = now;
        run_claimed_parts();
    }
    return NULL;
}

static int ensure_workers(int wanted) {
    while (pool.worker_count < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, NULL);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.worker_count++;
    }
    return pool.worker_count;
}

void fsb_parallel_run(int parts, fsb_task_fn task, void *context) {
    if (parts <= 1 || parts > FSB_MAX_PARTS || atomic_flag_test_and_set(&pool.busy)) {
        for (int part = 0; part < parts; part++) task(context, part, parts);
        return;
    }
    // Parts may outnumber threads (over-splitting for load balance); more workers than
    // threads - 1 would only compete for the same cores.
    int threads = fsb_get_num_threads();
    ensure_workers((parts < threads ? parts : threads) - 1);  // on failure the caller runs more parts
    // No part of the previous job is claimed or running (its caller saw finished == parts).
    atomic_store_explicit(&pool.task, task, memory_order_relaxed);
    atomic_store_explicit(&pool.context, context, memory_order_relaxed);
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    unsigned generation = ticket_generation(atomic_load(&pool.ticket)) + 1;
    if (generation == 0) generation = 1;  // 0 is the workers' initial "seen" value
    pthread_mutex_lock(&pool.mutex);
    atomic_store_explicit(&pool.ticket,
                          ((unsigned long long)generation << 32) | ((unsigned long long)parts << 16),
                          memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);

    run_claimed_parts();

    int spins = 0;
    while (atomic_load_explicit(&pool.finished, memory_order_acquire) < parts) {
        if (++spins < FSB_SPIN_ITERATIONS) cpu_relax();
        else sched_yield();
    }
    atomic_flag_clear(&pool.busy);
}

void fsb_parallel_for(int parts, void (*body)(void *context, int part, int parts), void *context) {
    if (parts < 1) return;
    fsb_parallel_run(parts, body, context);
}

static _Thread_local struct { float *data; size_t capacity; } scratch[FSB_SCRATCH_SLOTS];

float *fsb_thread_scratch(int slot, size_t floats) {
    if (scratch[slot].capacity < floats) {
        free(scratch[slot].data);
        size_t bytes = ((floats * sizeof(float)) + 63) & ~(size_t)63;
        scratch[slot].data = aligned_alloc(64, bytes);
        if (!scratch[slot].data) {
            fputs("fsb kernels: out of memory for GEMM packing buffers\n", stderr);
            abort();
        }
        scratch[slot].capacity = floats;
    }
    return scratch[slot].data;
}
