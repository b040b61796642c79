import CKernels
import FSBCore
import XCTest

/// `fsb_conv_weight_gradient_direct` (the packing-free weight gradient of small stride-1
/// convolutions) against a double-precision sum over the explicit column matrix, and
/// independent of the thread count and (AVX2) of whether the images are staged with their
/// padding or read with masked loads; shapes it does not handle are declined untouched.
final class ConvWeightGradientTests: XCTestCase {
    struct Case { let batch, channels, height, width, kernel, pad, outputs: Int }

    private func shape(_ c: Case) -> fsb_conv_shape {
        fsb_conv_shape(batch: c.batch, channels: c.channels, height: c.height, width: c.width, kernel_h: c.kernel,
                       kernel_w: c.kernel, pad_h: c.pad, pad_w: c.pad, stride_h: 1, stride_w: 1)
    }

    /// Shapes each vector variant handles: AVX-512 (rows at least 10 wide) and AVX2 (rows a
    /// multiple of 8 wide, at most 32 outputs; tiles of 4 or 6 input channels at one tap, 2
    /// output channels).
    static let handled: [String: [Case]] = [
        "avx512": [
            Case(batch: 3, channels: 16, height: 32, width: 32, kernel: 3, pad: 1, outputs: 16),  // ResNet-20 stage 1, 3 column blocks
            Case(batch: 2, channels: 2, height: 5, width: 16, kernel: 3, pad: 1, outputs: 8),    // 16-wide rows
            Case(batch: 1, channels: 6, height: 20, width: 20, kernel: 5, pad: 0, outputs: 4),   // 5x5 valid, 16x16 output
            Case(batch: 3, channels: 1, height: 28, width: 28, kernel: 5, pad: 2, outputs: 6),   // LeNet-5 conv1: 28-wide rows, partial tiles
            Case(batch: 5, channels: 6, height: 14, width: 14, kernel: 5, pad: 0, outputs: 16),  // LeNet-5 conv2: 10-wide rows
            Case(batch: 2, channels: 3, height: 9, width: 19, kernel: 3, pad: 1, outputs: 5),    // 19-wide rows: 16 + 3 lanes
        ],
        "avx2": [
            Case(batch: 3, channels: 16, height: 32, width: 32, kernel: 3, pad: 1, outputs: 16),  // ResNet-20 stage 1, 3 column blocks, 4-channel tiles
            Case(batch: 2, channels: 32, height: 16, width: 16, kernel: 3, pad: 1, outputs: 32),  // stage 2
            Case(batch: 3, channels: 64, height: 8, width: 8, kernel: 3, pad: 1, outputs: 32),    // 64 channels, 8-wide rows
            Case(batch: 2, channels: 2, height: 5, width: 16, kernel: 3, pad: 1, outputs: 8),    // 6-channel tiles, 4 repeated
            Case(batch: 1, channels: 6, height: 20, width: 20, kernel: 5, pad: 0, outputs: 4),   // 5x5 valid, 16x16 output, 6-channel tiles
            Case(batch: 2, channels: 3, height: 8, width: 8, kernel: 3, pad: 1, outputs: 5),     // 4-channel tiles, one repeated; odd outputs
            Case(batch: 1, channels: 10, height: 6, width: 24, kernel: 3, pad: 1, outputs: 3),   // 6-channel tiles, 2 repeated; 3 chunks per row
            Case(batch: 3, channels: 4, height: 24, width: 24, kernel: 3, pad: 1, outputs: 6),   // column blocks end mid-image and mid-row
        ],
    ]

    /// Shapes each variant declines (the caller then takes the packed GEMM).
    static let declined: [String: [Case]] = [
        "avx512": [
            Case(batch: 1, channels: 2, height: 8, width: 8, kernel: 3, pad: 1, outputs: 4),     // 8-wide rows: half the lanes idle
            Case(batch: 1, channels: 128, height: 16, width: 16, kernel: 3, pad: 1, outputs: 128), // VGG-sized: the GEMM's
        ],
        "avx2": [
            Case(batch: 1, channels: 1, height: 28, width: 28, kernel: 5, pad: 2, outputs: 6),   // 28-wide rows: not whole 8-lane chunks
            Case(batch: 1, channels: 64, height: 8, width: 8, kernel: 3, pad: 1, outputs: 64),   // ResNet-20 stage 3: the GEMM's
            Case(batch: 1, channels: 128, height: 16, width: 16, kernel: 3, pad: 1, outputs: 128), // VGG-sized: the GEMM's
        ],
    ]

    /// The vector kernels this CPU can run (selected one at a time); none is reported as a skip.
    private func availableKernels() throws -> [String] {
        let vectorKernels: [String] = ["avx512", "avx2"]
        let available = vectorKernels.filter { Kernels.selectGEMMKernel($0) }
        Kernels.selectGEMMKernel(nil)
        if available.isEmpty { throw XCTSkip("needs the AVX-512 or the AVX2 kernel") }
        return available
    }

    func testMatchesExplicitColumnsAndIsThreadCountIndependent() throws {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads; Kernels.selectGEMMKernel(nil) }
        var generator = SeededGenerator(seed: 21, stream: "direct-weight-gradient")
        for kernel in try availableKernels() {
            XCTAssertTrue(Kernels.selectGEMMKernel(kernel))
            for c in Self.handled[kernel] ?? [] {
                let outH = c.height + 2 * c.pad - c.kernel + 1, outW = c.width + 2 * c.pad - c.kernel + 1
                let pixels = outH * outW, rows = c.channels * c.kernel * c.kernel, columnCount = c.batch * pixels
                let images = (0..<(c.batch * c.channels * c.height * c.width)).map { _ in generator.nextGaussian() }
                let dy = (0..<(c.batch * c.outputs * pixels)).map { _ in generator.nextGaussian() }
                var columns = [Float](repeating: .nan, count: rows * columnCount)
                fsb_im2col_batched(images, c.batch, c.channels, c.height, c.width, c.kernel, c.kernel, c.pad, c.pad, 1, 1, &columns)
                var results: [[Float]] = []
                for (threads, staging): (Int, Int32) in [(1, 1), (2, 1), (1, 0)] {
                    Kernels.threadCount = threads
                    let saved = fsb_set_direct_staging(staging)
                    defer { fsb_set_direct_staging(saved) }
                    var dw = [Float](repeating: .nan, count: c.outputs * rows)
                    XCTAssertEqual(fsb_conv_weight_gradient_direct(c.outputs, dy, images, shape(c), &dw, rows), 1, "\(kernel) \(c)")
                    results.append(dw)
                }
                XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern), "\(kernel) \(c): 1 vs 2 threads")
                XCTAssertEqual(results[0].map(\.bitPattern), results[2].map(\.bitPattern), "\(kernel) \(c): staged vs masked loads")
                for o in 0..<c.outputs {
                    for r in 0..<rows {
                        var sum = 0.0, magnitude = 0.0
                        for j in 0..<columnCount {
                            let term = Double(dy[(j / pixels * c.outputs + o) * pixels + j % pixels]) * Double(columns[r * columnCount + j])
                            sum += term
                            magnitude += abs(term)
                        }
                        XCTAssertEqual(Double(results[0][o * rows + r]), sum, accuracy: 1e-5 * magnitude + 1e-6,
                                       "\(kernel) \(c) o\(o) r\(r)")
                    }
                }
            }
        }
    }

    func testDeclinesShapesItDoesNotHandle() throws {
        defer { Kernels.selectGEMMKernel(nil) }
        var kernels = try availableKernels()
        kernels.append("portable")  // no vector variant: everything declined
        for kernel in kernels {
            XCTAssertTrue(Kernels.selectGEMMKernel(kernel))
            let cases = kernel == "portable" ? Self.handled["avx2"]! : Self.declined[kernel] ?? []
            for c in cases {
                var dw = [Float](repeating: 7, count: c.outputs * c.channels * c.kernel * c.kernel)
                let images = [Float](repeating: 1, count: c.batch * c.channels * c.height * c.width)
                let dy = [Float](repeating: 1, count: c.batch * c.outputs * c.height * c.width * 4)
                XCTAssertEqual(fsb_conv_weight_gradient_direct(c.outputs, dy, images, shape(c), &dw, c.channels * c.kernel * c.kernel), 0,
                               "\(kernel) \(c)")
                XCTAssertTrue(dw.allSatisfy { $0 == 7 }, "\(kernel) \(c): wrote although declined")
            }
        }
    }
}
