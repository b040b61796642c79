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
#define FSB_SPIN_ITERATIONS 20000

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

static struct {
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_uint generation;      // bumped once per published job
    atomic_int remaining;        // workers that have not yet finished the current job
    atomic_flag busy;            // set while a caller owns the pool
    int worker_count;            // workers created so far (indices 1...worker_count)
    fsb_task_fn task;
    void *context;
    int parts;
    unsigned start_generation[FSB_MAX_THREADS];
} pool = {
    .mutex = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .busy = ATOMIC_FLAG_INIT,
};

static void *worker_main(void *argument) {
    int index = (int)(size_t)argument;
    // The generation current when this worker was created: a job published before the
    // thread got to run is then still seen as new.
    unsigned seen = pool.start_generation[index];
    for (;;) {
        unsigned now;
        int spins = 0;
        while ((now = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < FSB_SPIN_ITERATIONS) { cpu_relax(); continue; }
            pthread_mutex_lock(&pool.mutex);
            while ((now = atomic_load(&pool.generation)) == seen)
                pthread_cond_wait(&pool.wake, &pool.mutex);
            pthread_mutex_unlock(&pool.mutex);
            break;
        }
        seen = now;
        if (index < pool.parts) pool.task(pool.context, index, pool.parts);
        // Every worker acknowledges every job, so none can read the next job's fields early.
        atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_release);
    }
    return NULL;
}

static int ensure_workers(int wanted) {
    while (pool.worker_count < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pool.start_generation[pool.worker_count + 1] = atomic_load(&pool.generation);
        int failed = pthread_create(&thread, &attributes, worker_main,
                                    (void *)(size_t)(pool.worker_count + 1));
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.worker_count++;
    }
    return pool.worker_count;
}

void fsb_parallel_run(int parts, fsb_task_fn task, void *context) {
    if (parts <= 1 || atomic_flag_test_and_set(&pool.busy)) {
        for (int part = 0; part < parts; part++) task(context, part, parts);
        return;
    }
    int workers = ensure_workers(parts - 1);
    if (workers < parts - 1) {  // thread creation failed: run serially, same results
        atomic_flag_clear(&pool.busy);
        for (int part = 0; part < parts; part++) task(context, part, parts);
        return;
    }
    pool.task = task;
    pool.context = context;
    pool.parts = parts;
    atomic_store(&pool.remaining, workers);
    pthread_mutex_lock(&pool.mutex);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mutex);

    task(context, 0, parts);

    int spins = 0;
    while (atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0) {
        if (++spins < FSB_SPIN_ITERATIONS) cpu_relax();
        else sched_yield();
    }
    atomic_flag_clear(&pool.busy);
}

static _Thread_local struct { float *data; size_t capacity; } scratch[2];

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
