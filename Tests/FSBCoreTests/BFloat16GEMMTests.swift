import FSBCore
import XCTest

/// Checks every bf16 GEMM path this CPU can run against a double-precision product of the
/// bf16-rounded operands and against the float32 product, on awkward shapes (k not a multiple
/// of 32, partial blocks, padded leading dimensions, every transpose), and that results do
/// not depend on the thread count. Paths the CPU lacks are reported as skipped.
final class BFloat16GEMMTests: XCTestCase {
    /// The float32 GEMM tests' problem (padded leading dimensions), run on a bf16 path.
    typealias Problem = GEMMTests.Problem

    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (16, 16, 32), (32, 32, 64), (33, 47, 71), (5, 100, 144), (70, 3, 33), (17, 65, 300), (64, 1030, 27),
    ]

    /// Error bound of one C element: the float32 accumulation of exact bf16 products
    /// (products of two 8-bit significands fit a float32 exactly, each of the k additions
    /// rounds by at most 2^-24 relative to the running magnitude), relative to sum |a||b| of the
    /// rounded operands, plus the final alpha/beta roundings.
    static func accumulationBound(k: Int, magnitude: Double) -> Double {
        Double(k + 2) * 0x1p-24 * magnitude + 1e-30
    }

    func paths() -> [BFloat16GEMM.Path] { BFloat16GEMM.Path.allCases.filter(\.isAvailable) }

    /// Every available path computes the float32 sum of the bf16-rounded operands' products.
    func testEveryAvailablePathMatchesTheRoundedReference() throws {
        for path in paths() {
            for (index, shape) in Self.shapes.enumerated() {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    let problem = Problem(transposeA: ta, transposeB: tb, m: shape.m, n: shape.n, k: shape.k,
                                          alpha: index % 2 == 0 ? 1 : 0.5, beta: index % 3 == 0 ? 0 : 0.75,
                                          padding: 3, seed: UInt64(100 + index))
                    let result = problem.run(path)
                    for i in 0..<shape.m {
                        for j in 0..<problem.ldc {
                            let value = result[i * problem.ldc + j]
                            if j >= shape.n {
                                XCTAssertEqual(value.bitPattern, problem.c[i * problem.ldc + j].bitPattern, "\(path) padding changed")
                                continue
                            }
                            var sum = 0.0, magnitude = 0.0
                            for p in 0..<shape.k {
                                let product = Double(BFloat16GEMM.round(problem.a(i, p))) * Double(BFloat16GEMM.round(problem.b(p, j)))
                                sum += product; magnitude += abs(product)
                            }
                            let expected = Double(problem.alpha) * sum
                                + (problem.beta == 0 ? 0 : Double(problem.beta) * Double(problem.c[i * problem.ldc + j]))
                            let bound = Self.accumulationBound(k: shape.k, magnitude: magnitude + abs(Double(problem.c[i * problem.ldc + j])))
                            XCTAssertLessThanOrEqual(abs(Double(value) - expected), bound,
                                                     "\(path) \(shape) ta=\(ta) tb=\(tb) C[\(i),\(j)]")
                        }
                    }
                }
            }
        }
    }

    /// Against the float32 product the error is dominated by rounding the operands to 8-bit
    /// significands: |bf16(x) - x| <= 2^-8 |x|, so each product is off by at most
    /// (2 * 2^-8 + 2^-16) |a||b|.
    func testErrorAgainstFloat32IsWithinTheBFloat16Bound() throws {
        for path in paths() {
            let problem = Problem(transposeA: false, transposeB: false, m: 37, n: 53, k: 150, alpha: 1, beta: 0, padding: 2, seed: 7)
            let result = problem.run(path)
            for i in 0..<problem.m {
                for j in 0..<problem.n {
                    var sum = 0.0, magnitude = 0.0
                    for p in 0..<problem.k {
                        let product = Double(problem.a(i, p)) * Double(problem.b(p, j))
                        sum += product; magnitude += abs(product)
                    }
                    let bound = (2 * 0x1p-8 + 0x1p-16) * magnitude + Self.accumulationBound(k: problem.k, magnitude: magnitude)
                    XCTAssertLessThanOrEqual(abs(Double(result[i * problem.ldc + j]) - sum), bound, "\(path) C[\(i),\(j)]")
                }
            }
        }
    }

    func testRoundingIsToNearestEven() {
        XCTAssertEqual(BFloat16GEMM.round(1.0), 1.0)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even significand (1).
        XCTAssertEqual(BFloat16GEMM.round(1 + 0x1p-8), 1.0)
        XCTAssertEqual(BFloat16GEMM.round(1 + 3 * 0x1p-8), 1 + 4 * 0x1p-8)
        XCTAssertEqual(BFloat16GEMM.round(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7)
        XCTAssertTrue(BFloat16GEMM.round(.nan).isNaN)
        XCTAssertEqual(BFloat16GEMM.round(.infinity), .infinity)
        XCTAssertEqual(BFloat16GEMM.round(-3.0), -3.0)
    }

    func testResultsDoNotDependOnTheThreadCount() {
        let saved = Kernels.threadCount
        defer { Kernels.threadCount = saved }
        for path in paths() {
            let problem = Problem(transposeA: false, transposeB: true, m: 64, n: 700, k: 200, alpha: 1, beta: 0, padding: 1, seed: 11)
            Kernels.threadCount = 1
            let one = problem.run(path)
            Kernels.threadCount = 2
            let two = problem.run(path)
            XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern), "\(path)")
        }
    }

    /// The hardware paths agree with the portable reference within the accumulation bound.
    func testHardwarePathsAgreeWithThePortablePath() throws {
        let hardware = BFloat16GEMM.Path.allCases.filter { $0 != .portable }
        for path in hardware where path.isAvailable {
            let problem = Problem(transposeA: false, transposeB: false, m: 48, n: 96, k: 130, alpha: 1, beta: 0, padding: 0, seed: 3)
            let reference = problem.run(.portable), result = problem.run(path)
            for index in 0..<reference.count {
                XCTAssertEqual(result[index], reference[index], accuracy: 1e-4 * max(1, abs(reference[index])), "\(path) [\(index)]")
            }
        }
        let missing = hardware.filter { !$0.isAvailable }
        if !missing.isEmpty {
            throw XCTSkip("this CPU lacks " + missing.map { "\($0.rawValue) (\($0.requirement))" }.joined(separator: " and "))
        }
    }

    /// Each path reports its availability; an unavailable path leaves C untouched and says so.
    func testUnavailablePathsAreRefused() throws {
        XCTAssertTrue(BFloat16GEMM.Path.portable.isAvailable)
        let missing = BFloat16GEMM.Path.allCases.filter { !$0.isAvailable }
        guard let path = missing.first else { throw XCTSkip("this CPU has every bf16 path") }
        var c: [Float] = [42]
        let a: [Float] = [1], b: [Float] = [2]
        let ran = BFloat16GEMM.gemm(path: path, transposeA: false, transposeB: false, m: 1, n: 1, k: 1,
                                    a: a, lda: 1, b: b, ldb: 1, c: &c, ldc: 1)
        XCTAssertFalse(ran)
        XCTAssertEqual(c, [42])
    }
}

extension GEMMTests.Problem {
    /// Element (i, p) of op(A) and (p, j) of op(B).
    func a(_ i: Int, _ p: Int) -> Float { transposeA ? a[p * lda + i] : a[i * lda + p] }
    func b(_ p: Int, _ j: Int) -> Float { transposeB ? b[j * ldb + p] : b[p * ldb + j] }

    /// C after this problem's product on a bf16 path.
    func run(_ path: BFloat16GEMM.Path) -> [Float] {
        var result = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    _ = BFloat16GEMM.gemm(path: path, transposeA: transposeA, transposeB: transposeB,
                                          m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!, lda: lda,
                                          b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
                }
            }
        }
        return result
    }
}
