#!/usr/bin/env python3
"""Measures numpy (OpenBLAS) SGEMM on the same shapes as `fsb-bench gemm`, same CSV columns.

Shapes mirror Sources/fsb-bench/GEMMBenchmark.swift: square 128..2048 and, at batch 128, the
forward / weight-gradient / column-gradient GEMMs of the 3x3 convolutions of ResNet-20
(16@32x32, 32@16x16, 64@8x8) and VGG-small (128@32x32, 256@16x16, 512@8x8).
Transposed operands are passed as transposed views, so OpenBLAS sees the same memory layout.

Run (unset the OpenBLAS overrides for this command only):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/bench_numpy_gemm.py --csv numpy.csv
"""
import argparse
import statistics
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pip install threadpoolctl
    sys.exit("bench_numpy_gemm.py needs threadpoolctl (pip install threadpoolctl) to set thread counts")


def convolution_shapes(network, channels, size, batch):
    positions, depth = batch * size * size, channels * 9
    prefix = f"{network}_{channels}@{size}x{size}"
    return [
        (f"{prefix}_forward", channels, positions, depth, False, False),
        (f"{prefix}_dweight", channels, depth, positions, False, True),
        (f"{prefix}_dcolumns", depth, positions, channels, True, False),
    ]


SHAPES = (
    [(f"square_{s}", s, s, s, False, False) for s in (128, 256, 512, 1024, 2048)]
    + [x for c, s in ((16, 32), (32, 16), (64, 8)) for x in convolution_shapes("resnet20", c, s, 128)]
    + [x for c, s in ((128, 32), (256, 16), (512, 8)) for x in convolution_shapes("vgg_small", c, s, 128)]
)

COLUMNS = ["shape", "m", "n", "k", "trans_a", "trans_b", "threads", "repeats", "median_ms", "gflops", "kernel"]


def filled(shape, seed):
    rng = np.random.default_rng(seed)
    return (rng.random(shape, dtype=np.float32) - 0.5).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs after one warm-up (median reported)")
    parser.add_argument("--filter", default="", help="only shapes whose name contains this")
    parser.add_argument("--csv", help="write the measurements as CSV to this file")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]

    blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    kernel = "numpy-" + (f"{blas[0].get('internal_api')}-{blas[0].get('architecture')}" if blas else "unknown")
    print(f"numpy {np.__version__}, BLAS: {blas}")

    rows = []
    for name, m, n, k, trans_a, trans_b in SHAPES:
        if args.filter not in name:
            continue
        a_stored = filled((k, m) if trans_a else (m, k), 1)
        b_stored = filled((n, k) if trans_b else (k, n), 2)
        a = a_stored.T if trans_a else a_stored
        b = b_stored.T if trans_b else b_stored
        c = np.empty((m, n), dtype=np.float32)
        for threads in thread_counts:
            with threadpool_limits(limits=threads, user_api="blas"):
                np.matmul(a, b, out=c)
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    np.matmul(a, b, out=c)
                    times.append(time.perf_counter() - start)
            median = statistics.median(times)
            gflops = 2.0 * m * n * k / median / 1e9
            rows.append([name, m, n, k, int(trans_a), int(trans_b), threads, args.repeats,
                         f"{median * 1e3:.3f}", f"{gflops:.1f}", kernel])
            print(f"{name:32s} threads {threads}  {median * 1e3:9.3f} ms  {gflops:7.1f} GFLOP/s", flush=True)
        del a_stored, b_stored, a, b, c

    if args.csv:
        with open(args.csv, "w") as out:
            out.write(",".join(COLUMNS) + "\n")
            for row in rows:
                out.write(",".join(str(x) for x in row) + "\n")
        print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
