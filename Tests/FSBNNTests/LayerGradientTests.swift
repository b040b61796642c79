import FSBCore
import FSBNN
import TestSupport
import XCTest

/// Finite-difference gradient checks of every layer in training mode.
final class LayerGradientTests: XCTestCase {
    static let fsbVariants: [FSBOptions] = {
        var variants: [FSBOptions] = FSBOptions.Granularity.allCases.map { FSBOptions(granularity: $0) }
        variants.append(FSBOptions(granularity: .kernel, alphaSign: .free))
        variants.append(FSBOptions(granularity: .kernel, signCodebook: 3))
        variants.append(FSBOptions(granularity: .filter, signCodebook: 2))
        return variants
    }()

    func testConv2DFullPrecisionAndFSBGradients() throws {
        let methods: [WeightMethod] = [.fp] + Self.fsbVariants.map { .fsb($0) }
        for method in methods {
            for (stride, padding, bias) in [(1, 1, true), (2, 0, false)] {
                let conv = try Conv2D(name: "conv", inputChannels: 3, outputChannels: 4, kernelSize: 3,
                                      stride: stride, padding: padding, bias: bias, method: method, seed: 7)
                if let scale = conv.weight.scale {  // spread the factors so every group differs
                    var rng = SeededGenerator(seed: 3, stream: "spread")
                    for i in 0..<scale.count { scale.value[i] = 0.2 + rng.nextUniform() }
                }
                LayerGradientHarness.check(conv, input: randomTensor([2, 3, 7, 6], seed: 1))
            }
        }
    }

    func testLinearFullPrecisionAndFSBGradients() throws {
        let methods: [WeightMethod] = [.fp] + Self.fsbVariants.map { .fsb($0) }
        for method in methods {
            let linear = try Linear(name: "fc", inputFeatures: 5, outputFeatures: 4, method: method, seed: 5)
            LayerGradientHarness.check(linear, input: randomTensor([3, 5], seed: 2))
        }
    }

    /// BinaryConnect, BWN and TWN: the forward is piecewise constant in the latent `W`, so the
    /// gradient w.r.t. `What` and the input is checked on an fp twin holding `What`, and the
    /// straight-through mapping `dWhat -> dW` against the formula written out here.
    func testBinaryMethodsStraightThroughGradients() throws {
        for method in [WeightMethod.binaryconnect, .bwn, .twn] {
            for isConv in [true, false] {
                let (layer, twin): (Layer, Layer)
                let weight: WeightParameterization, twinWeight: WeightParameterization
                let input: Tensor
                if isConv {
                    let conv = try Conv2D(name: "c", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1,
                                          bias: true, method: method, seed: 11)
                    let fp = try Conv2D(name: "c", inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1,
                                        bias: true, method: .fp, seed: 11)
                    (layer, twin, weight, twinWeight) = (conv, fp, conv.weight, fp.weight)
                    input = randomTensor([2, 2, 5, 5], seed: 4)
                } else {
                    let linear = try Linear(name: "l", inputFeatures: 6, outputFeatures: 3, method: method, seed: 11)
                    let fp = try Linear(name: "l", inputFeatures: 6, outputFeatures: 3, method: .fp, seed: 11)
                    (layer, twin, weight, twinWeight) = (linear, fp, linear.weight, fp.weight)
                    input = randomTensor([4, 6], seed: 4)
                }
                let latent = try XCTUnwrap(weight.latent)
                // Latent weights on both sides of |W| = 1, away from 0.
                var rng = SeededGenerator(seed: 8, stream: "latent")
                for i in 0..<latent.count {
                    let magnitude = 0.05 + 1.6 * rng.nextUniform()
                    latent.value[i] = rng.nextSign() * (abs(magnitude - 1) < 0.02 ? magnitude + 0.05 : magnitude)
                }
                weight.refresh()
                let what = weight.effectiveWeight
                try XCTUnwrap(twinWeight.latent).value = what
                // The twin's gradients (dWhat and dInput) are right by finite differences.
                LayerGradientHarness.check(twin, input: input)
                let r = randomTensor(layer.forward(input, training: true).shape, seed: 99)
                for p in layer.parameters + twin.parameters { p.zeroGradient() }
                let output = layer.forward(input, training: true)
                let twinOutput = twin.forward(input, training: true)
                assertTensorsClose(output, twinOutput, tolerance: 1e-5, "\(method) forward")
                assertTensorsClose(layer.backward(r), twin.backward(r), tolerance: 1e-5, "\(method) dInput")
                let dWhat = try XCTUnwrap(twinWeight.latent).gradient
                let n = latent.count / weight.outputChannels
                for i in 0..<latent.count {
                    let w = latent.value[i]
                    let inside: Float = abs(w) <= 1 ? 1 : 0
                    let expected: Float
                    if method == .binaryconnect {
                        expected = dWhat[i] * inside
                    } else if method == .twn {
                        expected = dWhat[i]  // TWN's straight-through estimator: dW = dWhat
                    } else {
                        let o = i / n
                        var meanAbs: Float = 0
                        for j in (o * n)..<(o * n + n) { meanAbs += abs(latent.value[j]) }
                        meanAbs /= Float(n)
                        expected = dWhat[i] * (1 / Float(n) + meanAbs * inside)
                    }
                    XCTAssertEqual(latent.gradient[i], expected, accuracy: 1e-5 * max(1, abs(expected)), "\(method) dW[\(i)]")
                }
            }
        }
    }

    func testBatchNormGradients() {
        let bn2 = BatchNorm2D(name: "bn", channels: 3)
        for i in 0..<3 { bn2.parameters[0].value[i] = 0.5 + Float(i) * 0.4; bn2.parameters[1].value[i] = Float(i) * 0.1 - 0.1 }
        LayerGradientHarness.check(bn2, input: randomTensor([3, 3, 4, 5], seed: 3))
        let bn1 = BatchNorm1D(name: "bn", features: 4)
        for i in 0..<4 { bn1.parameters[0].value[i] = 1.5 - Float(i) * 0.3 }
        LayerGradientHarness.check(bn1, input: randomTensor([6, 4], seed: 4))
    }

    func testActivationPoolingAndShapeLayerGradients() throws {
        let input = LayerGradientHarness.inputAwayFromZero([2, 3, 6, 5], seed: 12)
        LayerGradientHarness.check(ReLU(name: "relu"), input: input, step: 1e-3)
        LayerGradientHarness.check(MaxPool2D(name: "max", kernelSize: 2), input: input, step: 1e-3)
        LayerGradientHarness.check(MaxPool2D(name: "max3", kernelSize: 3, stride: 2), input: input, step: 1e-3)
        LayerGradientHarness.check(AvgPool2D(name: "avg", kernelSize: 2), input: input)
        LayerGradientHarness.check(AvgPool2D(name: "avg3", kernelSize: 3, stride: 2), input: input)
        LayerGradientHarness.check(GlobalAvgPool(name: "gap"), input: input)
        LayerGradientHarness.check(Flatten(name: "flat"), input: input)
        let dropout = try Dropout(name: "drop", rate: 0.4, seed: 9)
        let saved = dropout.randomState
        LayerGradientHarness.check(dropout, input: input, prepare: { dropout.randomState = saved })
        let sequential = Sequential(name: "seq", layers: [
            try Conv2D(name: "seq.conv", inputChannels: 3, outputChannels: 2, kernelSize: 3, padding: 1, bias: true,
                       method: .fsb(FSBOptions()), seed: 2),
            Flatten(name: "seq.flat"),
            try Linear(name: "seq.fc", inputFeatures: 60, outputFeatures: 3, method: .fp, seed: 2),
        ])
        LayerGradientHarness.check(sequential, input: input)
    }

    func testDropoutMaskAndInference() throws {
        let dropout = try Dropout(name: "drop", rate: 0.5, seed: 1)
        let input = Tensor(shape: [1, 1000], repeating: 1)
        XCTAssertEqual(dropout.forward(input, training: false), input)
        let output = dropout.forward(input, training: true)
        let kept = output.storage.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 2 })
        XCTAssertEqual(Double(kept.count), 500, accuracy: 60)
    }

    /// The block's ReLUs follow BatchNorm, so a parameter step moves many pre-activations at
    /// once and some finite differences straddle a kink: those are detected (two step sizes
    /// disagree) and skipped; every sublayer is also checked strictly on its own above.
    func testResidualBlockGradients() throws {
        for (shortcut, stride, inC, outC) in [(ShortcutOption.optionA, 2, 2, 4), (.optionB, 2, 2, 4), (.optionA, 1, 3, 3)] {
            let block = try ResidualBlock(name: "block", inputChannels: inC, outputChannels: outC, stride: stride,
                                          shortcut: shortcut, seed: 21, workspace: ScratchWorkspace()) { _ in .fp }
            LayerGradientHarness.check(block, input: randomTensor([3, inC, 6, 6], seed: 5), step: 1e-3,
                                       relative: 3e-2, absolute: 3e-3, kinkAware: true)
        }
        let fsbBlock = try ResidualBlock(name: "b", inputChannels: 2, outputChannels: 4, stride: 2, shortcut: .optionB,
                                         seed: 3, workspace: ScratchWorkspace()) { _ in .fsb(FSBOptions()) }
        LayerGradientHarness.check(fsbBlock, input: randomTensor([3, 2, 5, 5], seed: 6), step: 1e-3,
                                   relative: 3e-2, absolute: 3e-3, kinkAware: true)
    }
}
