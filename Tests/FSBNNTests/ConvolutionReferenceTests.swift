import FSBCore
import FSBNN
import TestSupport
import XCTest

/// Conv2D (implicit-im2col GEMMs; stride-1 input gradients as a transposed convolution,
/// others through col2im) against a direct convolution written out here.
final class ConvolutionReferenceTests: XCTestCase {
    struct Case { let n, ci, h, w, co, k, stride, padding: Int; let bias: Bool }

    /// y[n,o,oy,ox] = b[o] + sum_{i,ky,kx} W[o,i,ky,kx] * x[n,i,oy*s-p+ky,ox*s-p+kx].
    func directForward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ c: Case) -> Tensor {
        let outH = (c.h + 2 * c.padding - c.k) / c.stride + 1, outW = (c.w + 2 * c.padding - c.k) / c.stride + 1
        var y = Tensor(shape: [c.n, c.co, outH, outW])
        for n in 0..<c.n { for o in 0..<c.co { for oy in 0..<outH { for ox in 0..<outW {
            var sum: Double = bias.map { Double($0[o]) } ?? 0
            for i in 0..<c.ci { for ky in 0..<c.k { for kx in 0..<c.k {
                let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
                if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w { continue }
                sum += Double(weight[((o * c.ci + i) * c.k + ky) * c.k + kx]) * Double(x[((n * c.ci + i) * c.h + iy) * c.w + ix])
            } } }
            y[((n * c.co + o) * outH + oy) * outW + ox] = Float(sum)
        } } } }
        return y
    }

    /// dX, dW, dB of the direct convolution for upstream gradient dY.
    func directBackward(_ x: Tensor, _ weight: Tensor, _ dY: Tensor, _ c: Case) -> (Tensor, Tensor, Tensor) {
        let outH = dY.shape[2], outW = dY.shape[3]
        var dX = Tensor(shape: x.shape), dW = Tensor(shape: weight.shape), dB = Tensor(shape: [c.co])
        for n in 0..<c.n { for o in 0..<c.co { for oy in 0..<outH { for ox in 0..<outW {
            let g = dY[((n * c.co + o) * outH + oy) * outW + ox]
            dB[o] += g
            for i in 0..<c.ci { for ky in 0..<c.k { for kx in 0..<c.k {
                let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
                if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w { continue }
                let xi = ((n * c.ci + i) * c.h + iy) * c.w + ix, wi = ((o * c.ci + i) * c.k + ky) * c.k + kx
                dX[xi] += g * weight[wi]
                dW[wi] += g * x[xi]
            } } }
        } } } }
        return (dX, dW, dB)
    }

    func testMatchesDirectConvolution() throws {
        let cases = [
            Case(n: 3, ci: 3, h: 7, w: 5, co: 4, k: 3, stride: 1, padding: 1, bias: true),   // odd sizes
            Case(n: 3, ci: 2, h: 9, w: 8, co: 5, k: 3, stride: 2, padding: 1, bias: false),  // stride 2
            Case(n: 2, ci: 4, h: 6, w: 6, co: 3, k: 1, stride: 1, padding: 0, bias: true),   // 1x1
            Case(n: 2, ci: 4, h: 8, w: 8, co: 6, k: 1, stride: 2, padding: 0, bias: false),  // 1x1 stride 2
            Case(n: 2, ci: 2, h: 11, w: 9, co: 3, k: 5, stride: 1, padding: 2, bias: true),  // 5x5 pad 2
            Case(n: 1, ci: 3, h: 12, w: 10, co: 2, k: 5, stride: 2, padding: 0, bias: false), // 5x5 stride 2
            Case(n: 2, ci: 1, h: 3, w: 3, co: 2, k: 3, stride: 1, padding: 2, bias: true),   // padding > needed
            Case(n: 2, ci: 2, h: 2, w: 3, co: 2, k: 5, stride: 1, padding: 2, bias: false),  // kernel wider than input
            Case(n: 3, ci: 2, h: 1, w: 1, co: 3, k: 3, stride: 1, padding: 1, bias: true),   // 1x1 image, 3x3 same
            Case(n: 2, ci: 3, h: 9, w: 7, co: 4, k: 5, stride: 1, padding: 0, bias: false),  // 5x5 valid: dX through col2im
            Case(n: 2, ci: 2, h: 4, w: 5, co: 3, k: 1, stride: 1, padding: 1, bias: true),   // output larger than input: col2im
            Case(n: 2, ci: 2, h: 3, w: 16, co: 4, k: 3, stride: 1, padding: 1, bias: true),  // 16-wide rows: dW without packing (AVX-512)
        ]
        for (index, c) in cases.enumerated() {
          // Whole batch in one GEMM, and chunks of one and two images (columns budget).
          let outH = (c.h + 2 * c.padding - c.k) / c.stride + 1, outW = (c.w + 2 * c.padding - c.k) / c.stride + 1
          let perImage = c.ci * c.k * c.k * outH * outW
          for budget in [1 << 20, perImage, 2 * perImage] {
            let conv = try Conv2D(name: "conv", inputChannels: c.ci, outputChannels: c.co, kernelSize: c.k,
                                  stride: c.stride, padding: c.padding, bias: c.bias, method: .fp, seed: UInt64(index),
                                  workspace: ScratchWorkspace(columnBudget: budget))
            if let bias = conv.bias { bias.value = randomTensor([c.co], seed: 50 + UInt64(index)) }
            let weight = try XCTUnwrap(conv.weight.latent).value
            let x = randomTensor([c.n, c.ci, c.h, c.w], seed: 10 + UInt64(index))
            let y = conv.forward(x, training: true)
            let expected = directForward(x, weight, conv.bias?.value, c)
            assertTensorsClose(y, expected, tolerance: 1e-5, "case \(index) budget \(budget) forward")
            XCTAssertEqual(try conv.outputShape(for: [c.ci, c.h, c.w]), Array(expected.shape.dropFirst()))
            let dY = randomTensor(y.shape, seed: 20 + UInt64(index))
            let dX = conv.backward(dY)
            let (refX, refW, refB) = directBackward(x, weight, dY, c)
            assertTensorsClose(dX, refX, tolerance: 1e-5, "case \(index) budget \(budget) dInput")
            assertTensorsClose(try XCTUnwrap(conv.weight.latent).gradient, refW, tolerance: 1e-4, "case \(index) budget \(budget) dWeight")
            if let bias = conv.bias { assertTensorsClose(bias.gradient, refB, tolerance: 1e-4, "case \(index) budget \(budget) dBias") }
          }
        }
    }

    /// Inference packs What once and reuses it: the output must equal the training-mode
    /// forward bit for bit, and follow every change of the weights.
    func testInferenceWithCachedPackedWeightsFollowsWeightChanges() throws {
        for method in [WeightMethod.fp, .fsb(FSBOptions())] {
            let conv = try Conv2D(name: "conv", inputChannels: 5, outputChannels: 12, kernelSize: 3,
                                  padding: 1, bias: false, method: method, seed: 3)
            let x = randomTensor([2, 5, 9, 16], seed: 4)
            for step in 0..<3 {
                let inference = conv.forward(x, training: false)
                let again = conv.forward(x, training: false)  // from the cache
                let training = conv.forward(x, training: true)
                XCTAssertEqual(inference.storage.map(\.bitPattern), training.storage.map(\.bitPattern), "\(method) step \(step)")
                XCTAssertEqual(again.storage.map(\.bitPattern), training.storage.map(\.bitPattern), "\(method) step \(step) cached")
                let trainable = try XCTUnwrap(conv.parameters.first)
                trainable.value.storage.withUnsafeMutableBufferPointer { values in  // an optimizer-like update
                    for i in values.indices { values[i] *= 1.5 }
                }
            }
        }
    }

    func testRejectsInputSmallerThanKernel() throws {
        let conv = try Conv2D(name: "c", inputChannels: 1, outputChannels: 1, kernelSize: 5, bias: false, method: .fp, seed: 0)
        XCTAssertThrowsError(try conv.outputShape(for: [1, 3, 3]))
        XCTAssertThrowsError(try conv.outputShape(for: [2, 8, 8]))
    }
}
