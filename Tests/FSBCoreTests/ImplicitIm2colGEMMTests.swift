import CKernels
import FSBCore
import XCTest

/// The implicit-im2col GEMMs (`fsb_sgemm_im2col` for a convolution's forward product,
/// `fsb_sgemm_im2col_transposed` for its weight gradient) must give exactly the bits of the
/// explicit path (`fsb_im2col_batched`, then `fsb_sgemm_grouped_c` / `fsb_sgemm(0, 1, ...)`)
/// on awkward geometries (odd sizes, strides 1-3, padding 0-3, 1x1 to 8x8 and non-square
/// kernels, rows wider than a panel or one column wide, batch 1-3, channel counts that are not
/// multiples of the tiles, several KC and NC blocks), with beta 0 and 1, on every micro-kernel
/// (the AVX-512 and AVX2 ones pack with masked vector loads, or, for at most 32 output
/// channels (64 for AVX2 with staged images) at stride 1 with output rows a multiple of 16 (AVX-512) or 8 (AVX2) wide, read B
/// straight from the images — on AVX2 from a staged copy with the padding written out, or with
/// masked loads, both tested; the portable one packs in plain C) at 1 and 2 threads.
final class ImplicitIm2colGEMMTests: XCTestCase {
    /// One convolution: input [batch, channels, height, width], `outputs` filters.
    struct Case {
        var batch: Int, channels: Int, height: Int, width: Int
        var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int
        var outputs: Int

        init(_ batch: Int, _ channels: Int, _ height: Int, _ width: Int, kernel: Int, stride: Int, pad: Int,
             outputs: Int) {
            self.init(batch, channels, height, width, kernel: (kernel, kernel), stride: (stride, stride),
                      pad: (pad, pad), outputs: outputs)
        }

        init(_ batch: Int, _ channels: Int, _ height: Int, _ width: Int, kernel: (Int, Int), stride: (Int, Int),
             pad: (Int, Int), outputs: Int) {
            self.batch = batch; self.channels = channels; self.height = height; self.width = width
            (kernelH, kernelW) = kernel; (strideH, strideW) = stride; (padH, padW) = pad
            self.outputs = outputs
        }

        var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
        var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
        var pixels: Int { outH * outW }
        var rows: Int { channels * kernelH * kernelW }
        var columnCount: Int { batch * pixels }
        var shape: fsb_conv_shape {
            fsb_conv_shape(batch: batch, channels: channels, height: height, width: width, kernel_h: kernelH,
                           kernel_w: kernelW, pad_h: padH, pad_w: padW, stride_h: strideH, stride_w: strideW)
        }
        var label: String {
            "b\(batch) c\(channels) \(height)x\(width) k\(kernelH)x\(kernelW) s\(strideH)x\(strideW) p\(padH)x\(padW) o\(outputs)"
        }

        /// The explicit column matrix [rows, batch*P].
        func columns(_ images: [Float]) -> [Float] {
            var columns = [Float](repeating: .nan, count: rows * columnCount)
            fsb_im2col_batched(images, batch, channels, height, width, kernelH, kernelW, padH, padW,
                               strideH, strideW, &columns)
            return columns
        }
    }

    static let cases: [Case] = [
        Case(1, 3, 7, 9, kernel: 3, stride: 1, pad: 1, outputs: 5),
        Case(3, 5, 11, 10, kernel: 3, stride: 2, pad: 1, outputs: 17),
        Case(3, 31, 23, 23, kernel: 3, stride: 1, pad: 1, outputs: 9),    // 2 KC blocks, 2 NC blocks
        Case(2, 4, 9, 9, kernel: 5, stride: 1, pad: 2, outputs: 6),
        Case(3, 7, 8, 8, kernel: 1, stride: 1, pad: 0, outputs: 33),      // 1x1
        Case(1, 2, 13, 7, kernel: 5, stride: 2, pad: 0, outputs: 3),
        Case(3, 6, 6, 17, kernel: 3, stride: 2, pad: 2, outputs: 8),
        Case(1, 3, 2, 2, kernel: 5, stride: 1, pad: 2, outputs: 4),       // kernel larger than the image
        Case(2, 16, 32, 32, kernel: 3, stride: 1, pad: 1, outputs: 16),   // ResNet-20 stage 1 (AVX-512: B unpacked)
        Case(2, 32, 16, 16, kernel: 3, stride: 1, pad: 1, outputs: 32),   // stage 2, 2 KC blocks, B unpacked
        Case(1, 3, 20, 20, kernel: 5, stride: 1, pad: 0, outputs: 24),    // 16-wide rows, 3 row panels, B unpacked
        Case(3, 40, 8, 16, kernel: 3, stride: 1, pad: 1, outputs: 8),     // two rows per panel, 2 KC blocks
        Case(3, 9, 16, 16, kernel: 1, stride: 2, pad: 0, outputs: 18),    // 1x1 stride-2 shortcut
        Case(2, 5, 10, 12, kernel: 3, stride: 3, pad: 1, outputs: 7),
        Case(3, 2, 9, 11, kernel: (3, 1), stride: (1, 2), pad: (1, 0), outputs: 5),
        Case(1, 2, 12, 12, kernel: 7, stride: 1, pad: 3, outputs: 4),     // 49 taps: largest chunked kernel
        Case(2, 2, 10, 9, kernel: 8, stride: 2, pad: 1, outputs: 3),      // 64 taps: plain-C packing
        Case(1, 2, 3, 70, kernel: 3, stride: 1, pad: 1, outputs: 5),      // rows wider than a panel
        Case(2, 2, 4, 141, kernel: 3, stride: 2, pad: 1, outputs: 3),
        Case(3, 3, 40, 1, kernel: 1, stride: 1, pad: 0, outputs: 6),      // one-column rows
        Case(1, 2, 8, 8, kernel: 3, stride: 1, pad: 1, outputs: 130),     // two MC row blocks (pre-packed A offsets)
        Case(2, 5, 8, 8, kernel: 3, stride: 1, pad: 1, outputs: 10),      // AVX2: B unpacked, 8-wide rows, a 4-row tail panel
        Case(2, 64, 8, 8, kernel: 3, stride: 1, pad: 1, outputs: 64),     // stage 3: AVX2 staged tiles up to 64 rows, several KC blocks
        Case(2, 3, 9, 8, kernel: (3, 3), stride: (2, 1), pad: (1, 1), outputs: 7),  // AVX2: B unpacked at vertical stride 2
    ]

    private func compareBits(_ found: [Float], _ expected: [Float], _ label: String) -> Bool {
        XCTAssertEqual(found.count, expected.count, label)
        for index in 0..<min(found.count, expected.count) where found[index].bitPattern != expected[index].bitPattern {
            XCTFail("\(label): element \(index) = \(found[index]), explicit path gives \(expected[index])")
            return false
        }
        return true
    }

    /// Runs `body` for every micro-kernel this CPU can run at 1 and 2 threads.
    private func forEachKernelAndThreadCount(_ body: (String) -> Void) {
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads; Kernels.selectGEMMKernel(nil) }
        for kernel in ["avx512", "avx2", "portable"] where Kernels.selectGEMMKernel(kernel) {
            for threads in [1, 2] {
                Kernels.threadCount = threads
                body("\(kernel) t\(threads)")
            }
        }
    }

    func testForwardProductMatchesExplicitIm2colBitForBit() {
        var generator = SeededGenerator(seed: 11, stream: "implicit-im2col-forward")
        for test in Self.cases {
            let images = (0..<(test.batch * test.channels * test.height * test.width)).map { _ in generator.nextGaussian() }
            let weights = (0..<(test.outputs * test.rows)).map { _ in generator.nextGaussian() }
            let initial = (0..<(test.batch * test.outputs * test.pixels)).map { _ in generator.nextGaussian() }
            let columns = test.columns(images)
            let (n, p, o) = (test.columnCount, test.pixels, test.outputs)
            var failed = false
            forEachKernelAndThreadCount { kernelLabel in
                // AVX2's packing-free tiles read staged (padded) images, or mask their loads.
                for (staging, beta): (Int32, Float) in [(1, 0), (1, 1), (0, 0), (0, 1)] where !failed {
                    let label = "\(kernelLabel) staging \(staging)"
                    let saved = fsb_set_direct_staging(staging)
                    defer { fsb_set_direct_staging(saved) }
                    // NCHW output: column b*P + q of the product is output[b, :, q].
                    var expected = initial, found = initial
                    fsb_sgemm_grouped_c(0, 0, o, n, test.rows, 1, weights, test.rows, columns, n, beta,
                                        &expected, p, p, o * p)
                    fsb_sgemm_im2col(o, 1, weights, test.rows, images, test.shape, beta, &found, p, p, o * p)
                    failed = !compareBits(found, expected, "forward \(label) \(test.label) beta \(beta)")
                    // The same with the weights packed beforehand (inference's cached packing).
                    var packed = [Float](repeating: .nan, count: fsb_packed_a_size(o, test.rows))
                    fsb_pack_a(o, test.rows, weights, test.rows, &packed)
                    var prepacked = initial
                    fsb_sgemm_im2col_packed(o, 1, packed, images, test.shape, beta, &prepacked, p, p, o * p, nil, nil, nil, 0)
                    failed = failed || !compareBits(prepacked, expected, "pre-packed forward \(label) \(test.label) beta \(beta)")
                }
            }
        }
    }

    func testWeightGradientProductMatchesExplicitIm2colBitForBit() {
        var generator = SeededGenerator(seed: 12, stream: "implicit-im2col-dweight")
        for test in Self.cases {
            let images = (0..<(test.batch * test.channels * test.height * test.width)).map { _ in generator.nextGaussian() }
            let dProduct = (0..<(test.outputs * test.columnCount)).map { _ in generator.nextGaussian() }
            let initial = (0..<(test.outputs * test.rows)).map { _ in generator.nextGaussian() }
            let columns = test.columns(images)
            let (n, o) = (test.columnCount, test.outputs)
            var failed = false
            forEachKernelAndThreadCount { label in
                for beta: Float in [0, 1] where !failed {
                    var expected = initial, found = initial
                    fsb_sgemm(0, 1, o, test.rows, n, 0.5, dProduct, n, columns, n, beta, &expected, test.rows)
                    fsb_sgemm_im2col_transposed(o, 0.5, dProduct, n, images, test.shape, beta, &found, test.rows)
                    failed = !compareBits(found, expected, "dweight \(label) \(test.label) beta \(beta)")
                }
            }
        }
    }

    /// The explicit reference itself is checked against a direct double-precision convolution
    /// on one case, so the bit comparisons above cannot agree on a wrong answer.
    func testForwardProductEqualsDirectConvolution() {
        let test = Case(2, 3, 7, 6, kernel: 3, stride: 2, pad: 1, outputs: 5)
        var generator = SeededGenerator(seed: 13, stream: "implicit-im2col-direct")
        let images = (0..<(test.batch * test.channels * test.height * test.width)).map { _ in generator.nextGaussian() }
        let weights = (0..<(test.outputs * test.rows)).map { _ in generator.nextGaussian() }
        var found = [Float](repeating: .nan, count: test.batch * test.outputs * test.pixels)
        let p = test.pixels
        fsb_sgemm_im2col(test.outputs, 1, weights, test.rows, images, test.shape, 0, &found, p, p, test.outputs * p)
        for b in 0..<test.batch { for o in 0..<test.outputs { for oy in 0..<test.outH { for ox in 0..<test.outW {
            var sum = 0.0
            for c in 0..<test.channels { for ky in 0..<test.kernelH { for kx in 0..<test.kernelW {
                let iy = oy * test.strideH - test.padH + ky, ix = ox * test.strideW - test.padW + kx
                guard iy >= 0, iy < test.height, ix >= 0, ix < test.width else { continue }
                let w = weights[o * test.rows + (c * test.kernelH + ky) * test.kernelW + kx]
                sum += Double(w) * Double(images[((b * test.channels + c) * test.height + iy) * test.width + ix])
            }}}
            let value = found[(b * test.outputs + o) * p + oy * test.outW + ox]
            XCTAssertEqual(Double(value), sum, accuracy: 1e-4, "b\(b) o\(o) (\(oy),\(ox))")
        }}}}
    }
}
