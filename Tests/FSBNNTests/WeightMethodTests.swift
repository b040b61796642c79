import FSBCore
import FSBNN
import TestSupport
import XCTest

/// The forward weights of bwn and fsb, fixed signs under training, constraints, and sign
/// regeneration from the seed.
final class WeightMethodTests: XCTestCase {
    func testBWNForwardWeightIsAlphaTimesSign() throws {
        let weight = try WeightMethod.bwn.makeWeight(layerName: "c", shape: [3, 2, 3, 3], seed: 4)
        let w = try XCTUnwrap(weight.latent).value
        weight.refresh()
        let n = 18
        for o in 0..<3 {
            var sum: Double = 0
            for j in 0..<n { sum += Double(abs(w[o * n + j])) }
            let alpha = Float(sum / Double(n))
            XCTAssertEqual(try XCTUnwrap(weight as? BWNWeight).quantizer.alpha[o], alpha)
            for j in 0..<n {
                XCTAssertEqual(weight.effectiveWeight[o * n + j], w[o * n + j] < 0 ? -alpha : alpha)
            }
        }
    }

    /// TWN: per output channel `Δ = 0.7 mean|W|`, `t = sign(W)` where `|W| > Δ` else 0,
    /// `alpha` = mean of `|W|` over `|W| > Δ`; an all-zero filter gives `alpha = 0`, `What = 0`.
    func testTWNForwardWeightIsAlphaTimesTernary() throws {
        let weight = try XCTUnwrap(try WeightMethod.twn.makeWeight(layerName: "fc", shape: [3, 4], seed: 1) as? TWNWeight)
        XCTAssertEqual(weight.latentWeight.constraint, .none)
        // Row 0: mean|W| = 3.6/4 = 0.9, Δ = 0.63: 1 and -2 pass, alpha = 1.5. Row 1: all zero.
        // Row 2: equal magnitudes 0.5: Δ = 0.35, all pass, alpha = 0.5.
        weight.latentWeight.value = Tensor(shape: [3, 4], storage: [1, -2, 0.1, 0.5, 0, 0, 0, 0, 0.5, -0.5, 0.5, -0.5])
        weight.refresh()
        XCTAssertEqual(weight.effectiveWeight.storage, [1.5, -1.5, 0, 0, 0, 0, 0, 0, 0.5, -0.5, 0.5, -0.5])
        XCTAssertEqual(weight.quantizer.alpha, [1.5, 0, 0.5])
        XCTAssertEqual(weight.quantizer.threshold[0], Float(0.7 * 0.9), accuracy: 1e-7)
        XCTAssertEqual(weight.quantizer.threshold[1], 0)
        XCTAssertEqual(weight.quantizer.nonzeroCount, 6)
        // 2 bits per weight + 32 per filter; a linear layer (P = 1): Co mults, one add/sub per non-zero.
        XCTAssertEqual([weight.storedBits, weight.updateBits, weight.trainableCount, weight.fixedCount], [2 * 12 + 32 * 3, 2 * 12 + 32 * 3, 12, 0])
        XCTAssertEqual(weight.operationCounts(outputPixels: 1).mults, 3)
        XCTAssertEqual(weight.operationCounts(outputPixels: 1).addsubs, 6)

        // A He-initialised convolution: every filter checked against the formulas written out here.
        let conv = try XCTUnwrap(try WeightMethod.twn.makeWeight(layerName: "c", shape: [3, 2, 3, 3], seed: 4) as? TWNWeight)
        let w = conv.latentWeight.value, n = 18
        var nonzeros = 0
        for o in 0..<3 {
            let filter = (o * n)..<(o * n + n)
            let delta = Float(0.7 * (filter.reduce(0.0) { $0 + Double(abs(w[$1])) } / Double(n)))
            let kept = filter.filter { abs(w[$0]) > delta }
            let alpha = Float(kept.reduce(0.0) { $0 + Double(abs(w[$1])) } / Double(kept.count))
            XCTAssertEqual(conv.quantizer.alpha[o], alpha)
            XCTAssertGreaterThan(kept.count, 0)
            XCTAssertLessThan(kept.count, n, "some weights of a Gaussian filter fall under 0.7 mean|W|")
            nonzeros += kept.count
            for j in filter {
                XCTAssertEqual(conv.effectiveWeight[j], w[j] > delta ? alpha : (w[j] < -delta ? -alpha : 0))
            }
        }
        XCTAssertEqual(conv.operationCounts(outputPixels: 10).addsubs, nonzeros * 10)
        XCTAssertEqual(conv.operationCounts(outputPixels: 10).mults, 3 * 10)
    }

    func testFSBWeightIsFactorTimesSignWithBroadcast() throws {
        let shape = [3, 2, 3, 3]
        for granularity in FSBOptions.Granularity.allCases {
            let weight = try WeightMethod.fsb(FSBOptions(granularity: granularity)).makeWeight(layerName: "c",
                                                    shape: shape, seed: 4)
            let a = try XCTUnwrap(weight.scale)
            XCTAssertEqual(a.value.shape, granularity == .filter ? [3] : granularity == .kernel ? [3, 2] : shape)
            XCTAssertEqual(a.role, .scalingFactor)
            XCTAssertFalse(weight.parameters.contains { $0.name.hasSuffix("signs") })
            for i in 0..<a.count { a.value[i] = Float(i + 1) * 0.1 }
            weight.refresh()
            let s = try XCTUnwrap(weight.signs)
            for o in 0..<3 { for i in 0..<2 { for k in 0..<9 {
                let flat = (o * 2 + i) * 9 + k
                let factor: Float
                switch granularity {
                case .filter: factor = a.value[o]
                case .kernel: factor = a.value[o * 2 + i]
                case .element: factor = a.value[flat]
                }
                XCTAssertEqual(weight.effectiveWeight[flat], factor * s[flat])
                XCTAssertTrue(s[flat] == 1 || s[flat] == -1)
            } } }
        }
        // Linear layers: kernel and element coincide.
        let kernel = try WeightMethod.fsb(FSBOptions(granularity: .kernel)).makeWeight(layerName: "fc", shape: [4, 5], seed: 1)
        let element = try WeightMethod.fsb(FSBOptions(granularity: .element)).makeWeight(layerName: "fc", shape: [4, 5], seed: 1)
        XCTAssertEqual(kernel.scale?.value.shape, [4, 5])
        XCTAssertEqual(element.scale?.value.shape, [4, 5])
    }

    func testInitialisation() throws {
        let fanIn = 16 * 9
        let he = Float((2.0 / Double(fanIn)).squareRoot())
        let kernel = try WeightMethod.fsb(FSBOptions()).makeWeight(layerName: "c", shape: [32, 16, 3, 3], seed: 2)
        XCTAssertTrue(try XCTUnwrap(kernel.scale).value.storage.allSatisfy { $0 == he })
        let element = try WeightMethod.fsb(FSBOptions(granularity: .element)).makeWeight(layerName: "c",
                                                 shape: [32, 16, 3, 3], seed: 2)
        let a = try XCTUnwrap(element.scale).value.storage
        XCTAssertTrue(a.allSatisfy { $0 >= 0 })
        let rms = (a.reduce(0) { $0 + Double($1 * $1) } / Double(a.count)).squareRoot()
        XCTAssertEqual(rms, Double(he), accuracy: 0.05 * Double(he))
        let fp = try WeightMethod.fp.makeWeight(layerName: "c", shape: [32, 16, 3, 3], seed: 2)
        let w = try XCTUnwrap(fp.latent).value.storage
        let std = (w.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)).squareRoot()
        XCTAssertEqual(std, Double(he), accuracy: 0.05 * Double(he))
    }

    /// 200 plain SGD steps on random data: signs never change, nonnegative factors stay >= 0,
    /// and the loss actually moves the factors (some are clamped at 0).
    func testSignsStayFixedUnderTraining() throws {
        for alphaSign in FSBOptions.AlphaSign.allCases {
            let options = FSBOptions(granularity: .kernel, alphaSign: alphaSign)
            let conv = try Conv2D(name: "conv", inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: 1,
                                  bias: true, method: .fsb(options), seed: 13)
            let linear = try Linear(name: "fc", inputFeatures: 4 * 25, outputFeatures: 3, method: .fsb(options), seed: 13)
            let model = Sequential(name: "", layers: [conv, ReLU(name: "relu"), Flatten(name: "flat"), linear])
            let initialSigns = [conv.weight.signs, linear.weight.signs]
            var sawNegative = false
            for step in 0..<200 {
                let x = randomTensor([4, 3, 5, 5], seed: UInt64(step))
                let target = randomTensor([4, 3], seed: UInt64(1000 + step))
                for p in model.parameters { p.zeroGradient() }
                let y = model.forward(x, training: true)
                var dY = y
                for i in 0..<dY.count { dY[i] = y[i] - target[i] }  // gradient of 0.5*|y - t|^2
                _ = model.backward(dY)
                for p in model.parameters {
                    for i in 0..<p.count { p.value[i] -= 0.5 * p.gradient[i] }
                    p.applyConstraint()
                    if p.role == .scalingFactor, p.value.storage.contains(where: { $0 < 0 }) { sawNegative = true }
                }
            }
            XCTAssertEqual(conv.weight.signs, initialSigns[0], "\(alphaSign): conv signs changed")
            XCTAssertEqual(linear.weight.signs, initialSigns[1], "\(alphaSign): linear signs changed")
            if alphaSign == .nonnegative {
                XCTAssertFalse(sawNegative, "a nonnegative factor went below 0")
                XCTAssertTrue(conv.weight.scale!.value.storage.contains(0) || linear.weight.scale!.value.storage.contains(0),
                              "the clamp was never exercised")
            } else {
                XCTAssertTrue(sawNegative, "free factors never turned negative in 200 steps")
            }
        }
    }

    func testBinaryConnectConstraintClipsLatentWeights() throws {
        let weight = try WeightMethod.binaryconnect.makeWeight(layerName: "c", shape: [2, 3], seed: 1)
        let w = try XCTUnwrap(weight.latent)
        w.value = Tensor(shape: [2, 3], storage: [-3, -1, -0.5, 0, 0.5, 2])
        w.applyConstraint()
        XCTAssertEqual(w.value.storage, [-1, -1, -0.5, 0, 0.5, 1])
        weight.refresh()
        XCTAssertEqual(weight.effectiveWeight.storage, [-1, -1, -1, 1, 1, 1])  // sign(0) = +1
    }

    func testSignsRegenerateFromSeed() throws {
        let spec = ModelSpec(architecture: .resnet(depth: 8), widthMultiplier: 0.5,
                             methods: MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp))
        let a = try ModelFactory.build(spec, inputShape: [3, 16, 16], classCount: 10, seed: 42)
        let b = try ModelFactory.build(spec, inputShape: [3, 16, 16], classCount: 10, seed: 42)
        let c = try ModelFactory.build(spec, inputShape: [3, 16, 16], classCount: 10, seed: 43)
        XCTAssertEqual(Set(a.fixedSigns.keys), ["layer1.0.conv1", "layer1.0.conv2", "layer2.0.conv1", "layer2.0.conv2",
                                                "layer3.0.conv1", "layer3.0.conv2"])
        XCTAssertEqual(a.fixedSigns, b.fixedSigns)
        for (name, signs) in a.fixedSigns {
            XCTAssertNotEqual(signs, c.fixedSigns[name], "\(name): different seeds gave the same signs")
            let weight = try XCTUnwrap(a.weightParameterizations.first { $0.layerName == name }?.weight)
            XCTAssertEqual(weight.layout.signStream, "\(name).signs")
            XCTAssertEqual(signs, FSBWeight.generateSigns(shape: weight.weightShape, kernelSize: 9,
                                                                       codebook: nil, seed: 42, stream: "\(name).signs"))
        }
        // Random signs are not checkpointed; the state has no sign tensors.
        XCTAssertFalse(a.stateTensors().contains { $0.name.hasSuffix(".signs") })
    }

    func testSignCodebookUsesAtMostNPatterns() throws {
        let weight = try WeightMethod.fsb(FSBOptions(signCodebook: 4)).makeWeight(layerName: "c",
                                                shape: [16, 8, 3, 3], seed: 5)
        let s = try XCTUnwrap(weight.signs)
        var patterns = Set<[Float]>()
        for slice in 0..<(16 * 8) { patterns.insert(Array(s.storage[(slice * 9)..<(slice * 9 + 9)])) }
        XCTAssertLessThanOrEqual(patterns.count, 4)
        XCTAssertGreaterThan(patterns.count, 1)
        // K == 1: the codebook does not apply, signs are drawn freely.
        let linear = try WeightMethod.fsb(FSBOptions(signCodebook: 1)).makeWeight(layerName: "fc",
                                                shape: [8, 8], seed: 5)
        XCTAssertEqual(linear.signs, FSBWeight.generateSigns(shape: [8, 8], kernelSize: 1, codebook: nil,
                                                                          seed: 5, stream: "fc.signs"))
        XCTAssertThrowsError(try WeightMethod.fsb(FSBOptions(signCodebook: 0)).makeWeight(layerName: "c",
                                                        shape: [2, 2, 3, 3], seed: 0))
    }

    func testSignsFromCheckpointWeights() throws {
        let fpSpec = ModelSpec(architecture: .lenet5)
        let plan = MethodPlan(default: .fsb(FSBOptions(signInit: .checkpoint)), firstLayer: .fp, lastLayer: .fp)
        let fp = try ModelFactory.build(fpSpec, inputShape: [1, 28, 28], classCount: 10, seed: 1)
        let fsb = try ModelFactory.build(ModelSpec(architecture: .lenet5, methods: plan), inputShape: [1, 28, 28],
                                         classCount: 10, seed: 2)
        var weights: [String: Tensor] = [:]
        for (name, tensor) in fp.stateTensors() { weights[name] = tensor }
        weights["conv2.weight"]![0] = 0  // sign(0) = +1
        let updated = try fsb.setFixedSigns(from: weights)
        XCTAssertEqual(updated, ["conv2", "fc1", "fc2"])
        for name in updated {
            let w = weights["\(name).weight"]!
            let s = fsb.fixedSigns[name]!
            for i in 0..<w.count { XCTAssertEqual(s[i], w[i] < 0 ? -1 : 1) }
        }
        XCTAssertEqual(fsb.fixedSigns["conv2"]![0], 1)
        // Checkpoint signs are part of the state and restored by loadState.
        let state = fsb.stateTensors()
        XCTAssertTrue(state.contains { $0.name == "conv2.signs" })
        let other = try ModelFactory.build(ModelSpec(architecture: .lenet5, methods: plan), inputShape: [1, 28, 28],
                                           classCount: 10, seed: 2)
        XCTAssertNotEqual(other.fixedSigns, fsb.fixedSigns)
        try other.loadState(Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) }))
        XCTAssertEqual(other.fixedSigns, fsb.fixedSigns)
        let profile = fsb.profile()
        XCTAssertEqual(profile.rows.first { $0.name == "conv2" }?.memoryBits, 32 * 16 * 6 + 16 * 6 * 25 + 32 * 16)  // A, stored signs, bias
        weights.removeValue(forKey: "fc1.weight")
        XCTAssertThrowsError(try fsb.setFixedSigns(from: weights)) { error in
            XCTAssertTrue("\(error)".contains("fc1.weight"))
        }
    }

    /// `refresh()` skips the recomputation only while nothing it reads changed: an in-place
    /// update or a replacement of the trainable tensor, or new signs, must show in `What`.
    func testRefreshFollowsEveryChangeOfTheTrainableTensorAndTheSigns() throws {
        let fsb = try WeightMethod.fsb(FSBOptions(granularity: .kernel)).makeWeight(layerName: "c",
                                             shape: [2, 2, 3, 3], seed: 4)
        let scale = try XCTUnwrap(fsb.scale)
        fsb.refresh()
        let before = fsb.effectiveWeight
        fsb.refresh()  // nothing changed: same What
        XCTAssertEqual(fsb.effectiveWeight.storage, before.storage)
        scale.value.storage.withUnsafeMutableBufferPointer { $0[0] *= 3 }  // in place, as the optimizers do
        fsb.refresh()
        XCTAssertEqual(fsb.effectiveWeight[0], before[0] * 3)
        scale.value = Tensor(shape: scale.value.shape, repeating: 0.5)  // replaced, as a checkpoint load does
        fsb.refresh()
        XCTAssertEqual(fsb.effectiveWeight.storage.map(abs), [Float](repeating: 0.5, count: 36))
        let flipped = Tensor(shape: [2, 2, 3, 3], storage: try XCTUnwrap(fsb.signs).storage.map { -$0 })
        try XCTUnwrap(fsb as? FSBWeight).setSigns(fromWeight: flipped)
        fsb.refresh()
        XCTAssertEqual(fsb.effectiveWeight.storage, flipped.storage.map { $0 < 0 ? -0.5 : 0.5 })

        let bwn = try WeightMethod.bwn.makeWeight(layerName: "c", shape: [2, 2, 3, 3], seed: 4)
        let latent = try XCTUnwrap(bwn.latent)
        bwn.refresh()
        latent.value[5] = -latent.value[5]
        bwn.refresh()
        XCTAssertEqual(bwn.effectiveWeight[5] < 0, latent.value[5] < 0)
    }
}
