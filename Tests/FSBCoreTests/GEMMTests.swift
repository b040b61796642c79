import Dispatch
import FSBCore
import Foundation
import XCTest

/// Checks `Kernels.gemm` against a double-precision triple loop on awkward shapes, every
/// transpose combination, alpha/beta, padded leading dimensions, every micro-kernel this CPU
/// can run, and checks that results are bit-identical run to run and across thread counts.
final class GEMMTests: XCTestCase {
    /// One GEMM problem with its operands stored with padded leading dimensions.
    struct Problem {
        var transposeA: Bool, transposeB: Bool
        var m: Int, n: Int, k: Int
        var alpha: Float, beta: Float
        var lda: Int, ldb: Int, ldc: Int
        var a: [Float], b: [Float], c: [Float]

        init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
             padding: Int, seed: UInt64, fillC: Float? = nil) {
            self.transposeA = transposeA; self.transposeB = transposeB
            self.m = m; self.n = n; self.k = k; self.alpha = alpha; self.beta = beta
            lda = (transposeA ? m : k) + padding
            ldb = (transposeB ? k : n) + padding
            ldc = n + padding
            var rng = SeededGenerator(seed: seed, stream: "gemm")
            a = (0..<(lda * (transposeA ? k : m))).map { _ in rng.nextGaussian() }
            b = (0..<(ldb * (transposeB ? n : k))).map { _ in rng.nextGaussian() }
            c = (0..<(ldc * m)).map { _ in fillC ?? rng.nextGaussian() }
        }

        func run() -> [Float] {
            var result = c
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { c in
                        Kernels.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                     alpha: alpha, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                     beta: beta, c: c.baseAddress!, ldc: ldc)
                    }
                }
            }
            return result
        }

        /// Checks `result` against the double-precision reference, elementwise with a bound
        /// proportional to the sum of absolute products; padding columns of C must be untouched.
        func check(_ result: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
            for i in 0..<m {
                for j in 0..<ldc {
                    let index = i * ldc + j
                    if j >= n {
                        XCTAssertEqual(result[index].bitPattern, c[index].bitPattern,
                                       "\(label): padding C[\(i),\(j)] changed", file: file, line: line)
                        continue
                    }
                    var sum = 0.0, magnitude = 0.0
                    for p in 0..<k {
                        let av = Double(transposeA ? a[p * lda + i] : a[i * lda + p])
                        let bv = Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                        sum += av * bv
                        magnitude += abs(av * bv)
                    }
                    let oldC = beta == 0 ? 0 : Double(beta) * Double(c[index])
                    let expected = Double(alpha) * sum + oldC
                    let bound = 1e-5 * (abs(Double(alpha)) * magnitude + abs(oldC)) + 1e-6
                    if !(abs(Double(result[index]) - expected) <= bound) {
                        XCTFail("\(label): C[\(i),\(j)] = \(result[index]), expected \(expected)",
                                file: file, line: line)
                        return
                    }
                }
            }
        }
    }

    /// Every micro-kernel this CPU can run (the automatic choice is restored afterwards).
    private func forEachKernel(_ body: (String) -> Void) {
        defer { Kernels.selectGEMMKernel(nil) }
        for name in ["avx512", "avx2", "portable"] where Kernels.selectGEMMKernel(name) {
            body(name)
        }
    }

    func testAwkwardShapesAllTransposesAllKernels() {
        let sizes = [1, 7, 33]
        var seed: UInt64 = 1
        forEachKernel { kernel in
            for m in sizes { for n in sizes { for k in sizes {
                for transposes in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 1
                    let problem = Problem(transposeA: transposes.0, transposeB: transposes.1, m: m, n: n, k: k,
                                          alpha: 1, beta: 0, padding: 0, seed: seed)
                    problem.check(problem.run(), "\(kernel) m\(m) n\(n) k\(k) t\(transposes)")
                }
            }}}
        }
    }

    func testLargeAwkwardShapesWithAlphaBetaAndPaddedLeadingDimensions() {
        let shapes = [(257, 33, 257), (33, 257, 257), (257, 257, 7), (1, 257, 300), (257, 1, 600), (70, 90, 520)]
        var seed: UInt64 = 100
        forEachKernel { kernel in
            for (m, n, k) in shapes {
                for transposes in [(false, false), (true, false), (false, true), (true, true)] {
                    seed += 1
                    let problem = Problem(transposeA: transposes.0, transposeB: transposes.1, m: m, n: n, k: k,
                                          alpha: -0.75, beta: 0.5, padding: 3, seed: seed)
                    problem.check(problem.run(), "\(kernel) m\(m) n\(n) k\(k) t\(transposes)")
                }
            }
        }
    }

    func testBetaZeroDoesNotReadNaNInC() {
        forEachKernel { kernel in
            for (m, n, k) in [(5, 9, 3), (40, 70, 300), (257, 33, 20)] {
                let problem = Problem(transposeA: false, transposeB: true, m: m, n: n, k: k,
                                      alpha: 2, beta: 0, padding: 1, seed: 7, fillC: .nan)
                let result = problem.run()
                for i in 0..<m { for j in 0..<n {
                    XCTAssertFalse(result[i * problem.ldc + j].isNaN, "\(kernel) m\(m): NaN leaked at [\(i),\(j)]")
                }}
                problem.check(result, "\(kernel) beta=0 with NaN C")
            }
        }
    }

    func testEmptyAndZeroAlphaProblemsOnlyScaleC() {
        for k in [0, 5] {
            let problem = Problem(transposeA: false, transposeB: false, m: 3, n: 4, k: k,
                                  alpha: k == 0 ? 1 : 0, beta: 0.5, padding: 0, seed: 3)
            XCTAssertEqual(problem.run(), problem.c.map { 0.5 * $0 })
            var zeroBeta = problem
            zeroBeta.beta = 0
            zeroBeta.c = [Float](repeating: .nan, count: problem.c.count)
            XCTAssertEqual(zeroBeta.run(), [Float](repeating: 0, count: problem.c.count))
        }
        let empty = Problem(transposeA: false, transposeB: false, m: 0, n: 4, k: 3,
                            alpha: 1, beta: 0, padding: 0, seed: 4)
        XCTAssertEqual(empty.run(), [])
    }

    func testResultsAreBitIdenticalAcrossRunsAndThreadCounts() {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads }
        // Large enough to be split over threads, with k spanning several reduction blocks.
        for transposes in [(false, false), (true, true)] {
            let problem = Problem(transposeA: transposes.0, transposeB: transposes.1, m: 130, n: 300, k: 700,
                                  alpha: 1.25, beta: 0.5, padding: 2, seed: 11)
            Kernels.threadCount = 1
            let single = problem.run()
            XCTAssertEqual(single.map(\.bitPattern), problem.run().map(\.bitPattern), "1 thread, twice")
            for threads in [2, 3, 4] {
                Kernels.threadCount = threads
                let first = problem.run()
                XCTAssertEqual(first.map(\.bitPattern), problem.run().map(\.bitPattern), "\(threads) threads, twice")
                XCTAssertEqual(first.map(\.bitPattern), single.map(\.bitPattern), "\(threads) threads vs 1")
            }
        }
    }

    /// Regression for a pool race seen in training: a worker that read the ticket of a finished
    /// job could claim a part of the NEXT job (more parts) with a stale context, or let the
    /// caller return while that part still wrote into C. Back-to-back jobs with different part
    /// counts (an over-split GEMM, then a 2-part im2col) must give exact results, and a
    /// returned C must never be written again (it is poisoned right after the call returns).
    /// Probabilistic: the window is small, but the loop also runs from two threads at once.
    func testBackToBackJobsWithDifferentPartCountsAreExactAndFinishBeforeReturning() {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads }
        let problem = Problem(transposeA: true, transposeB: false, m: 96, n: 256, k: 16,
                              alpha: 1, beta: 0, padding: 0, seed: 21)
        Kernels.threadCount = 1
        let expected = problem.run().map(\.bitPattern)
        var rng = SeededGenerator(seed: 22, stream: "im2col")
        let images = (0..<(8 * 6 * 14 * 14)).map { _ in rng.nextGaussian() }
        let poison = Float.nan.bitPattern
        for threads in [2, 3] {
            Kernels.threadCount = threads
            let deadline = Date().addingTimeInterval(0.6)
            DispatchQueue.concurrentPerform(iterations: 2) { _ in
                var columns = [Float](repeating: 0, count: 150 * 8 * 100)
                var previous = [Float](repeating: .nan, count: problem.m * problem.n)
                var failures = 0
                while Date() < deadline && failures == 0 {
                    var result = problem.run()
                    if result.map(\.bitPattern) != expected { failures += 1 }
                    // Poison the returned C, run a job with another part count, check the poison.
                    for index in result.indices { result[index] = .nan }
                    images.withUnsafeBufferPointer { image in
                        columns.withUnsafeMutableBufferPointer { column in
                            Kernels.im2colBatched(images: image.baseAddress!, batch: 8, channels: 6,
                                                  height: 14, width: 14, kernelH: 5, kernelW: 5, padH: 0,
                                                  padW: 0, strideH: 1, strideW: 1, columns: column.baseAddress!)
                        }
                    }
                    if result.contains(where: { $0.bitPattern != poison }) { failures += 1 }
                    if previous.contains(where: { $0.bitPattern != poison }) { failures += 1 }
                    previous = result
                }
                XCTAssertEqual(failures, 0, "\(threads) threads: a parallel job leaked into a later one")
            }
        }
    }

    func testKernelNameIsOneOfTheKnownKernels() {
        XCTAssertTrue(["avx512", "avx2", "portable"].contains(Kernels.gemmKernelName), Kernels.gemmKernelName)
        XCTAssertFalse(Kernels.selectGEMMKernel("no-such-kernel"))
        XCTAssertTrue(Kernels.selectGEMMKernel("portable"))
        XCTAssertEqual(Kernels.gemmKernelName, "portable")
        Kernels.selectGEMMKernel(nil)
    }
}
