import CBench
import FSBCore
import Foundation

/// `fsb-bench peak`: the CPU's fused multiply-add peak in GFLOP/s, per vector instruction set
/// it has (avx512, avx2; avx512-bf16: `vdpbf16ps`, bf16 products accumulated in float32)
/// and thread count: each thread runs independent chains of multiply-adds on registers
/// (`fsb_fma_peak_run`; 12, or 24 for the longer-latency `vdpbf16ps`), all threads at once;
/// the median of `repeats` runs. The ceiling the GEMM and a training step are measured against.
enum FMAPeakBenchmark {
    static let instructionSets = ["avx512", "avx2", "avx512-bf16"]

    static func run(_ options: FMAPeakBenchmarkCommand) throws {
        let threadCounts = try GEMMBenchmark.threadCountList(options.threads, command: "peak")
        let repeats = options.repeats, iterations = options.iterations
        let available = instructionSets.filter { fsb_fma_peak_available($0) == 1 }
        if available.isEmpty {
            throw FSBError("fsb-bench peak: this CPU has neither AVX-512 nor AVX2 + FMA")
        }
        print("isa,threads,gflops")
        for isa in available {
            for threads in threadCounts {
                let rates = (0..<repeats).map { _ in rate(isa: isa, threads: threads, iterations: iterations) }
                print(String(format: "%@,%d,%.1f", isa, threads, rates.sorted()[rates.count / 2]))
            }
        }
    }

    /// GFLOP/s of `threads` threads running the loop at once.
    static func rate(isa: String, threads: Int, iterations: Int) -> Double {
        nonisolated(unsafe) let flops = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        nonisolated(unsafe) let sinks = UnsafeMutablePointer<Float>.allocate(capacity: threads)  // one slot per thread
        defer { flops.deallocate(); sinks.deallocate() }
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            flops[index] = fsb_fma_peak_run(isa, iterations, sinks + index)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let total = (0..<threads).reduce(0.0) { $0 + flops[$1] }
        return total / seconds / 1e9
    }
}
