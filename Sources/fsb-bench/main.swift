// fsb-bench: benchmarks (not tests) of the GEMM, training/inference throughput and data loading.
print("fsb-bench: no benchmarks registered yet")
