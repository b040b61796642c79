import FSBCore
@testable import FSBNN
import TestSupport
import XCTest

/// The fused forward passes (a BatchNorm2D directly followed by a ReLU in one pass; the
/// residual block's sum and ReLU in one pass) give exactly the bits of the layers run one by
/// one, and leave the ReLU ready for the same backward.
final class FusedForwardTests: XCTestCase {
    private func assertSameBits(_ found: Tensor, _ expected: Tensor, _ label: String) {
        XCTAssertEqual(found.shape, expected.shape, label)
        for i in 0..<min(found.count, expected.count) where found[i].bitPattern != expected[i].bitPattern {
            XCTFail("\(label): element \(i) = \(found[i]), layer by layer \(expected[i])")
            return
        }
    }

    func testBatchNormThenReLUMatchesSeparateLayersBitForBit() {
        // 40-pixel planes: a vector part and a scalar tail; exact zeros and a NaN go through too.
        var input = randomTensor([3, 4, 5, 8], seed: 5)
        input[7] = 0
        input[100] = .nan
        for training in [true, false] {
            let fusedBN = BatchNorm2D(name: "bn", channels: 4), fusedReLU = ReLU(name: "relu")
            let plainBN = BatchNorm2D(name: "bn", channels: 4), plainReLU = ReLU(name: "relu")
            for layer in [fusedBN, plainBN] {  // non-trivial gamma, beta and running statistics
                layer.parameters[0].value = randomTensor([4], seed: 6)
                layer.parameters[1].value = randomTensor([4], seed: 7)
                layer.buffers = ["bn.running_mean": randomTensor([4], seed: 8),
                                 "bn.running_var": Tensor(shape: [4], repeating: 0.5)]
            }
            let fused = Sequential(name: "", layers: [fusedBN, fusedReLU]).forward(input, training: training)
            let separate = plainReLU.forward(plainBN.forward(input, training: training), training: training)
            assertSameBits(fused, separate, "forward, training \(training)")
            let dOutput = randomTensor(fused.shape, seed: 9)
            let dFused = fusedBN.backward(fusedReLU.backward(dOutput))
            let dSeparate = plainBN.backward(plainReLU.backward(dOutput))
            assertSameBits(dFused, dSeparate, "backward, training \(training)")
            assertSameBits(fusedBN.parameters[0].gradient, plainBN.parameters[0].gradient, "dGamma, training \(training)")
        }
    }

    func testReLUOfSumMatchesAddThenReLU() {
        let a = randomTensor([2, 3, 9, 9], seed: 1)
        var b = randomTensor([2, 3, 9, 9], seed: 2)
        b[4] = -a[4]  // an exact zero sum
        let fusedReLU = ReLU(name: "r"), plainReLU = ReLU(name: "r")
        var sum = a
        for i in 0..<sum.count { sum[i] += b[i] }
        assertSameBits(fusedReLU.forward(sumOf: a, b), plainReLU.forward(sum, training: true), "forward")
        let dOutput = randomTensor(a.shape, seed: 3)
        assertSameBits(fusedReLU.backward(dOutput), plainReLU.backward(dOutput), "backward")
    }

    /// Inference fuses Conv2D + BatchNorm2D (+ ReLU) into the convolution's GEMM; the output
    /// must be the layers' own output bit for bit (16 channels: the unpacked kernel; 40: the
    /// packed one), and the ReLU must hold it for a backward.
    func testConvolutionWithInferenceBatchNormMatchesSeparateLayersBitForBit() throws {
        for channels in [16, 40] {
            func layers() throws -> [Layer] {
                let conv1 = try Conv2D(name: "c1", inputChannels: 3, outputChannels: channels, kernelSize: 3, padding: 1,
                                       bias: false, method: .fp, seed: 1)
                let conv2 = try Conv2D(name: "c2", inputChannels: channels, outputChannels: 8, kernelSize: 3, padding: 1,
                                       bias: false, method: .fsb(FSBOptions()), seed: 2)
                let bn1 = BatchNorm2D(name: "b1", channels: channels), bn2 = BatchNorm2D(name: "b2", channels: 8)
                for (bn, seed) in [(bn1, UInt64(3)), (bn2, 4)] {  // non-trivial gamma, beta, running statistics
                    bn.parameters[0].value = randomTensor([bn.channels], seed: seed)
                    bn.parameters[1].value = randomTensor([bn.channels], seed: seed + 10)
                    var variance = randomTensor([bn.channels], seed: seed + 20)
                    for c in 0..<bn.channels { variance[c] = abs(variance[c]) + 0.1 }
                    bn.buffers = ["\(bn.name).running_mean": randomTensor([bn.channels], seed: seed + 30),
                                  "\(bn.name).running_var": variance]
                }
                return [conv1, bn1, ReLU(name: "r1"), conv2, bn2]
            }
            let x = randomTensor([2, 3, 12, 32], seed: 5)
            let fusedLayers = try layers(), plainLayers = try layers()
            let fused = Sequential(name: "", layers: fusedLayers).forward(x, training: false)
            var separate = x
            for layer in plainLayers { separate = layer.forward(separate, training: false) }
            assertSameBits(fused, separate, "\(channels) channels")
            let dOutput = randomTensor([2, channels, 12, 32], seed: 6)
            assertSameBits(fusedLayers[2].backward(dOutput), plainLayers[2].backward(dOutput), "\(channels) channels, ReLU backward")
        }
    }

    /// Inference runs a residual block's bn2, sum and output ReLU inside conv2's GEMM: the
    /// output must equal the unfused block's (conv2 replaced by an identical twin through
    /// `inferenceOverride`, which turns the fusion off) bit for bit, for every shortcut kind.
    func testResidualBlockInferenceMatchesUnfusedBlockBitForBit() throws {
        let shapes: [(inputs: Int, outputs: Int, stride: Int, shortcut: ShortcutOption)] = [
            (16, 16, 1, .optionA), (16, 32, 2, .optionA), (16, 32, 2, .optionB),
        ]
        for shape in shapes {
            func block() throws -> ResidualBlock {
                let block = try ResidualBlock(name: "b", inputChannels: shape.inputs, outputChannels: shape.outputs,
                                              stride: shape.stride, shortcut: shape.shortcut, seed: 7,
                                              workspace: ScratchWorkspace()) { _ in .fsb(FSBOptions()) }
                for case let bn as BatchNorm2D in block.sublayers {
                    bn.parameters[0].value = randomTensor([bn.channels], seed: 8)
                    bn.parameters[1].value = randomTensor([bn.channels], seed: 9)
                    bn.buffers = ["\(bn.name).running_mean": randomTensor([bn.channels], seed: 10),
                                  "\(bn.name).running_var": Tensor(shape: [bn.channels], repeating: 0.7)]
                }
                return block
            }
            let fused = try block(), unfused = try block(), twin = try block()
            unfused.conv2.inferenceOverride = { twin.conv2.forward($0, training: false) }
            let x = randomTensor([2, shape.inputs, 16, 16], seed: 11)
            let label = "\(shape.inputs)->\(shape.outputs) stride \(shape.stride) \(shape.shortcut)"
            assertSameBits(fused.forward(x, training: false), unfused.forward(x, training: false), label)
        }
    }
}
