import FSBCore
import FSBExperiments
import FSBNN
import Foundation

/// `fsb-bench gemm`: GFLOP/s of `Kernels.gemm` on square sizes and on the GEMMs that the
/// convolutions of ResNet-20 and VGG-small perform at batch 128 (forward, weight gradient and
/// column gradient), at each requested thread count; median of repeated runs after a warm-up.
///
/// The shape list is mirrored in `scripts/bench_numpy_gemm.py` (same names and CSV columns)
/// so numpy/OpenBLAS can be measured on exactly the same problems.
enum GEMMBenchmark {
    /// One GEMM problem: `C[m,n] = op(A)[m,k] * op(B)[k,n]`.
    struct Shape {
        var name: String
        var m: Int, n: Int, k: Int
        var transposeA: Bool, transposeB: Bool
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    /// One measured (shape, thread count) cell.
    struct Measurement {
        var shape: Shape
        var threads: Int
        var repeats: Int
        var medianSeconds: Double
        var kernel: String
        var gflops: Double { shape.flops / medianSeconds / 1e9 }
    }

    /// The three GEMMs of a 3x3, padding-1 convolution layer with `channels` input and output
    /// channels on `size` x `size` maps at batch `batch`, as im2col + GEMM computes them:
    /// forward `Y[Co, B*H*W] = W[Co, Ci*9] * cols[Ci*9, B*H*W]`,
    /// weight gradient `dW[Co, Ci*9] = dY[Co, B*H*W] * cols^T`,
    /// column gradient `dCols[Ci*9, B*H*W] = W^T * dY`.
    static func convolutionShapes(network: String, channels: Int, size: Int, batch: Int) -> [Shape] {
        let positions = batch * size * size, depth = channels * 9
        let prefix = "\(network)_\(channels)@\(size)x\(size)"
        return [
            Shape(name: "\(prefix)_forward", m: channels, n: positions, k: depth, transposeA: false, transposeB: false),
            Shape(name: "\(prefix)_dweight", m: channels, n: depth, k: positions, transposeA: false, transposeB: true),
            Shape(name: "\(prefix)_dcolumns", m: depth, n: positions, k: channels, transposeA: true, transposeB: false),
        ]
    }

    static let shapes: [Shape] =
        [128, 256, 512, 1024, 2048].map {
            Shape(name: "square_\($0)", m: $0, n: $0, k: $0, transposeA: false, transposeB: false)
        }
        + [(16, 32), (32, 16), (64, 8)].flatMap {
            convolutionShapes(network: "resnet20", channels: $0.0, size: $0.1, batch: 128)
        }
        + [(128, 32), (256, 16), (512, 8)].flatMap {
            convolutionShapes(network: "vgg_small", channels: $0.0, size: $0.1, batch: 128)
        }

    static var csv: CSVTable<Measurement> { CSVTable(columns: [
        .init("shape") { $0.shape.name },
        .init("m") { String($0.shape.m) },
        .init("n") { String($0.shape.n) },
        .init("k") { String($0.shape.k) },
        .init("trans_a") { $0.shape.transposeA ? "1" : "0" },
        .init("trans_b") { $0.shape.transposeB ? "1" : "0" },
        .init("threads") { String($0.threads) },
        .init("repeats") { String($0.repeats) },
        .init("median_ms") { String(format: "%.3f", $0.medianSeconds * 1e3) },
        .init("gflops") { String(format: "%.1f", $0.gflops) },
        .init("kernel") { $0.kernel },
    ]) }


    /// `--threads 1,2` as thread counts, each at least 1.
    static func threadCountList(_ text: String, command: String) throws -> [Int] {
        let parsed = text.split(separator: ",").map { Int($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw FSBError("fsb-bench \(command): --threads expects positive integers like 1,2, found '\(text)'")
        }
        return parsed.compactMap { $0 }
    }

    static func run(_ options: GEMMBenchmarkCommand) throws {
        let threadCounts = try threadCountList(options.threads, command: "gemm")
        let repeats = options.repeats, filter = options.filter, csvPath = options.csv
        let comparesIm2col = options.im2colCompare, batch = options.batch
        guard repeats >= 1 else { throw FSBError("fsb-bench gemm: --repeats expects a positive integer, found \(repeats)") }
        guard batch >= 1 else { throw FSBError("fsb-bench gemm: --batch expects a positive integer, found \(batch)") }
        if let kernel = options.kernel, !Kernels.selectGEMMKernel(kernel) {
            throw FSBError("fsb-bench gemm: --kernel expects avx512, avx2 or portable (one this CPU runs), found '\(kernel)'")
        }
        let precision = try PrecisionResolution.resolve(options.precision, field: "fsb-bench gemm: --precision")
        if comparesIm2col && precision != .float32 {
            throw FSBError("fsb-bench gemm: --im2col-compare measures the float32 convolution products only")
        }
        if comparesIm2col {
            try ConvolutionGEMMComparison.run(threadCounts: threadCounts, repeats: repeats, filter: filter,
                                              batch: batch, csvPath: csvPath)
            return
        }

        let selected = shapes.filter { filter.isEmpty || $0.name.contains(filter) }
        let kernel = precision == .float32 ? Kernels.gemmKernelName : PrecisionResolution.describe(precision)
        print("GEMM kernel: \(kernel), repeats: \(repeats) (median), threads: \(threadCounts)")
        var measurements: [Measurement] = []
        let savedThreads = Kernels.threadCount
        for shape in selected {
            let a = filledBuffer(count: shape.m * shape.k, seed: 1)
            let b = filledBuffer(count: shape.k * shape.n, seed: 2)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: shape.m * shape.n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for threads in threadCounts {
                Kernels.threadCount = threads
                let seconds = measure(shape, precision: precision, repeats: repeats, a: a, b: b, c: c)
                let measurement = Measurement(shape: shape, threads: threads, repeats: repeats,
                                              medianSeconds: seconds, kernel: kernel)
                measurements.append(measurement)
                let paddedName = shape.name.padding(toLength: max(32, shape.name.count), withPad: " ", startingAt: 0)
                print(paddedName + String(format: " threads %d  %9.3f ms  %7.1f GFLOP/s",
                                          threads, seconds * 1e3, measurement.gflops))
            }
        }
        Kernels.threadCount = savedThreads

        print(table(measurements, threadCounts: threadCounts))
        if let csvPath {
            try AtomicFile.write(csv.render(measurements), to: URL(fileURLWithPath: csvPath))
            print("wrote \(csvPath)")
        }
    }

    /// Median wall time of `repeats` runs after one warm-up run.
    static func measure(_ shape: Shape, precision: ComputePrecision = .float32, repeats: Int,
                        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) -> Double {
        let lda = shape.transposeA ? shape.m : shape.k
        let ldb = shape.transposeB ? shape.k : shape.n
        func once() {
            precision.gemm(transposeA: shape.transposeA, transposeB: shape.transposeB,
                           m: shape.m, n: shape.n, k: shape.k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: shape.n)
        }
        once()
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<repeats {
            let elapsed = clock.measure { once() }
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2]
                                    : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }

    /// A buffer of deterministic values in [-0.5, 0.5) (cheap to fill at hundreds of MB).
    static func filledBuffer(count: Int, seed: UInt64) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            buffer[i] = Float(state >> 40) / Float(1 << 24) - 0.5
        }
        return buffer
    }

    /// One row per shape, one GFLOP/s column per thread count.
    static func table(_ measurements: [Measurement], threadCounts: [Int]) -> String {
        var rows: [[String]] = []
        var seen: [String] = []
        for m in measurements where !seen.contains(m.shape.name) { seen.append(m.shape.name) }
        for name in seen {
            let cells = measurements.filter { $0.shape.name == name }
            guard let shape = cells.first?.shape else { continue }
            var row = [name, "\(shape.m)x\(shape.n)x\(shape.k)",
                       (shape.transposeA ? "T" : "N") + (shape.transposeB ? "T" : "N")]
            for threads in threadCounts {
                row.append(cells.first { $0.threads == threads }.map { String(format: "%.1f", $0.gflops) } ?? "-")
            }
            rows.append(row)
        }
        return TextTable.render(header: ["shape", "m x n x k", "op"] + threadCounts.map { "GFLOP/s \($0)t" },
                                rows: rows)
    }
}
