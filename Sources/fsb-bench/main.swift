// fsb-bench: benchmarks (not tests) of the GEMM, training/inference throughput and data loading.
// Usage: fsb-bench <subcommand> [options] (`fsb-bench <subcommand> --help`).
import FSBCore

ArgumentEncoding.refuseInvalidProcessArguments()
FreedMemoryReuse.enable()
FSBBench.main()
