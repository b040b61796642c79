import FSBCore
import FSBNN
import TestSupport
import XCTest

/// The bf16 convolution kernels (`fsb_conv_bf16.c`, the batch split over the threads, the
/// weights packed once) against a reference assembled in this file from the bf16 GEMM alone:
/// an im2col per image, `BFloat16GEMM.gemm` per image, the weight gradient summed over fixed
/// groups of 8 images (each group in image order, then the groups in order) and a col2im
/// that adds the taps in increasing order — the same operations, so the bits must be equal,
/// for 1 and 2 threads, on batches that leave a partial group and on strided, padded,
/// non-square layers. Run on every hardware bf16 path this CPU has (skipped without one).
final class BFloat16ConvolutionTests: XCTestCase {
    struct Case { let batch, channels, height, width, outputs, kernel, stride, padding: Int }

    static let cases = [
        Case(batch: 19, channels: 3, height: 9, width: 7, outputs: 5, kernel: 3, stride: 1, padding: 1),
        Case(batch: 8, channels: 4, height: 8, width: 8, outputs: 33, kernel: 3, stride: 2, padding: 1),
        Case(batch: 3, channels: 2, height: 11, width: 6, outputs: 17, kernel: 5, stride: 1, padding: 0),
        Case(batch: 1, channels: 16, height: 16, width: 16, outputs: 16, kernel: 3, stride: 1, padding: 1),
    ]

    func testForwardAndBackwardEqualThePerImageGEMMReference() throws {
        let hardware = BFloat16GEMM.Path.allCases.filter { $0 != .portable && $0.isAvailable }
        guard !hardware.isEmpty else { throw XCTSkip("this CPU has no hardware bf16 path (AMX-BF16 or AVX512-BF16)") }
        let saved = Kernels.threadCount
        defer { Kernels.threadCount = saved }
        for path in hardware + [.portable] {
            for (index, c) in Self.cases.enumerated() {
                let conv = try Conv2D(name: "conv", inputChannels: c.channels, outputChannels: c.outputs, kernelSize: c.kernel,
                                      stride: c.stride, padding: c.padding, bias: false, method: .fp, seed: UInt64(index))
                conv.precision = .bfloat16(path)
                let input = randomTensor([c.batch, c.channels, c.height, c.width], seed: UInt64(10 + index))
                let outH = (c.height + 2 * c.padding - c.kernel) / c.stride + 1
                let outW = (c.width + 2 * c.padding - c.kernel) / c.stride + 1
                let dOutput = randomTensor([c.batch, c.outputs, outH, outW], seed: UInt64(20 + index))
                let (expectedOutput, dWeight, dX) = reference(c, weight: conv.parameters[0].value, input: input,
                                                              dOutput: dOutput, path: path)
                for threads in [1, 2] {
                    Kernels.threadCount = threads
                    conv.parameters[0].zeroGradient()
                    let output = conv.forward(input, training: true)
                    Self.assertSameBits(Array(output.storage), expectedOutput, "\(path) case \(index) threads \(threads): forward")
                    let dInput = conv.backward(dOutput)
                    Self.assertSameBits(Array(conv.parameters[0].gradient.storage), dWeight,
                                        "\(path) case \(index) threads \(threads): weight gradient")
                    Self.assertSameBits(Array(dInput.storage), dX, "\(path) case \(index) threads \(threads): input gradient")
                }
            }
        }
    }

    /// Equal lengths and bits, else one failure naming the first differing element.
    static func assertSameBits(_ actual: [Float], _ expected: [Float], _ label: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        guard actual.count == expected.count else {
            return XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        }
        if let i = actual.indices.first(where: { actual[$0].bitPattern != expected[$0].bitPattern }) {
            XCTFail("\(label): element \(i) is \(actual[i]), expected \(expected[i])", file: file, line: line)
        }
    }

    /// The reference (output, dWeight, dInput) of the convolution `c` for `dOutput`.
    func reference(_ c: Case, weight: Tensor, input: Tensor, dOutput: Tensor,
                   path: BFloat16GEMM.Path) -> (output: [Float], dWeight: [Float], dInput: [Float]) {
        let outH = (c.height + 2 * c.padding - c.kernel) / c.stride + 1, outW = (c.width + 2 * c.padding - c.kernel) / c.stride + 1
        let pixels = outH * outW, rows = c.channels * c.kernel * c.kernel, plane = c.channels * c.height * c.width
        let w = weight.storage, x = input.storage
        func columns(_ b: Int) -> [Float] {
            var out = [Float](repeating: 0, count: rows * pixels)
            for ch in 0..<c.channels { for ky in 0..<c.kernel { for kx in 0..<c.kernel {
                let r = (ch * c.kernel + ky) * c.kernel + kx
                for oy in 0..<outH { for ox in 0..<outW {
                    let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
                    if iy >= 0 && iy < c.height && ix >= 0 && ix < c.width {
                        out[r * pixels + oy * outW + ox] = x[b * plane + (ch * c.height + iy) * c.width + ix]
                    }
                } }
            } } }
            return out
        }
        func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ b: [Float], beta: Float, _ out: inout [Float]) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { o in
                        _ = BFloat16GEMM.gemm(path: path, transposeA: ta, transposeB: tb, m: m, n: n, k: k,
                                              a: a.baseAddress!, lda: ta ? m : k, b: b.baseAddress!, ldb: tb ? k : n,
                                              beta: beta, c: o.baseAddress!, ldc: n)
                    }
                }
            }
        }
        let wArray = Array(w)
        var output = [Float](), dInput = [Float](repeating: 0, count: c.batch * plane)
        var dWeight = [Float](repeating: 0, count: c.outputs * rows)
        var group = [Float](repeating: 0, count: c.outputs * rows)
        for b in 0..<c.batch {
            let cols = columns(b)
            var out = [Float](repeating: 0, count: c.outputs * pixels)
            gemm(false, false, c.outputs, pixels, rows, wArray, cols, beta: 0, &out)
            output += out
            let dOut = Array(dOutput.storage[(b * c.outputs * pixels)..<((b + 1) * c.outputs * pixels)])
            gemm(false, true, c.outputs, rows, pixels, dOut, cols, beta: b % 8 == 0 ? 0 : 1, &group)
            if b % 8 == 7 || b == c.batch - 1 {
                if b < 8 { dWeight = group } else { for i in 0..<dWeight.count { dWeight[i] += group[i] } }
            }
            var dCols = [Float](repeating: 0, count: rows * pixels)
            gemm(true, false, rows, pixels, c.outputs, wArray, dOut, beta: 0, &dCols)
            for ch in 0..<c.channels { for ky in 0..<c.kernel { for kx in 0..<c.kernel {
                let r = (ch * c.kernel + ky) * c.kernel + kx
                for oy in 0..<outH { for ox in 0..<outW {
                    let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
                    if iy >= 0 && iy < c.height && ix >= 0 && ix < c.width {
                        dInput[b * plane + (ch * c.height + iy) * c.width + ix] += dCols[r * pixels + oy * outW + ox]
                    }
                } }
            } } }
        }
        return (output, dWeight, dInput)
    }
}
