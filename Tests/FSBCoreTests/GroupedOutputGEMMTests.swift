import CKernels
import FSBCore
import XCTest

/// `fsb_sgemm_grouped_c` (C's columns stored in groups, as a batched convolution writes NCHW)
/// must give exactly the bits of `fsb_sgemm` on a contiguous C, for groups that are and are
/// not multiples of the micro-kernel width (tiles straddling two groups), with beta 0 and 1,
/// on every micro-kernel and at 1 and 2 threads; memory between groups must stay untouched.
final class GroupedOutputGEMMTests: XCTestCase {
    func testGroupedOutputMatchesContiguousGEMMBitForBit() {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads; Kernels.selectGEMMKernel(nil) }
        var generator = SeededGenerator(seed: 7, stream: "grouped-gemm")
        for kernel in ["avx512", "avx2", "portable"] where Kernels.selectGEMMKernel(kernel) {
            for threads in [1, 2] {
                Kernels.threadCount = threads
                for (m, group, groups, k) in [(6, 784, 3, 25), (16, 100, 5, 150), (16, 64, 9, 144), (9, 7, 11, 5), (33, 1024, 2, 40)] {
                    for beta: Float in [0, 1] {
                        let n = group * groups
                        let a = (0..<(m * k)).map { _ in generator.nextGaussian() }
                        let b = (0..<(k * n)).map { _ in generator.nextGaussian() }
                        // Contiguous reference C [m, n] and grouped C [groups, m + 1 spare rows, group].
                        let stride = (m + 1) * group
                        var grouped = (0..<(groups * stride)).map { _ in generator.nextGaussian() }
                        var contiguous = [Float](repeating: 0, count: m * n)
                        for j in 0..<n { for i in 0..<m { contiguous[i * n + j] = grouped[(j / group) * stride + i * group + j % group] } }
                        let before = grouped
                        fsb_sgemm(0, 0, m, n, k, 1, a, k, b, n, beta, &contiguous, n)
                        fsb_sgemm_grouped_c(0, 0, m, n, k, 1, a, k, b, n, beta, &grouped, group, group, stride)
                        let label = "\(kernel) t\(threads) m\(m) group\(group)x\(groups) k\(k) beta\(beta)"
                        for index in 0..<grouped.count {
                            let (g, within) = (index / stride, index % stride)
                            let (i, p) = (within / group, within % group)
                            let expected = i < m ? contiguous[i * n + g * group + p] : before[index]
                            if grouped[index].bitPattern != expected.bitPattern {
                                XCTFail("\(label): element \(index) = \(grouped[index]), expected \(expected)")
                                return
                            }
                        }
                    }
                }
            }
        }
    }
}
