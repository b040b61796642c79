import FSBCore
import FSBNN
import TestSupport
import XCTest

/// Model builders (published parameter counts, names, method plans), network state and the profile.
final class ModelTests: XCTestCase {
    let cifar = [3, 32, 32]
    let mnist = [1, 28, 28]

    func paramCount(_ network: Network) -> Int { network.parameters.reduce(0) { $0 + $1.count } }

    func testPublishedParameterCounts() throws {
        // LeNet-5: conv1 6*1*25+6 = 156, conv2 16*6*25+16 = 2,416, fc1 400*120+120 = 48,120,
        // fc2 120*84+84 = 10,164, fc 84*10+10 = 850 -> 61,706.
        let lenet = try ModelFactory.build(ModelSpec(architecture: .lenet5), inputShape: mnist, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(lenet), 61_706)
        // With BN: convs lose their bias (-22), BN adds 2*(6+16+120+84) = 452 -> 62,136.
        let lenetBN = try ModelFactory.build(ModelSpec(architecture: .lenet5, batchNorm: true), inputShape: mnist,
                                             classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(lenetBN), 62_136)
        // ResNet-20 (option A): conv1 432 + bn1 32; layer1 3*(2*2,304 + 64) = 14,016;
        // layer2 (4,608 + 9,216 + 128) + 2*(2*9,216 + 128) = 51,072;
        // layer3 (18,432 + 36,864 + 256) + 2*(2*36,864 + 256) = 203,520; fc 64*10+10 = 650 -> 269,722.
        let resnet20 = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 20)), inputShape: cifar, classCount: 10, seed: 1)
        print("ResNet-20 parameters:", paramCount(resnet20))
        XCTAssertEqual(paramCount(resnet20), 269_722)
        // Each extra block per stage adds 4,672 + 18,560 + 73,984 = 97,216.
        let resnet32 = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 32)), inputShape: cifar, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(resnet32), 464_154)
        let resnet56 = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 56)), inputShape: cifar, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(resnet56), 853_018)
        // Option B adds 1x1 projections: 16*32 + 64 and 32*64 + 128 -> +2,752.
        let resnet20B = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 20), shortcut: .optionB),
                                               inputShape: cifar, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(resnet20B), 272_474)
        // VGG-small: convs 3,456 + 147,456 + 294,912 + 589,824 + 1,179,648 + 2,359,296 = 4,574,592,
        // BN 2*(128+128+256+256+512+512) = 3,584, fc 8,192*10+10 = 81,930 -> 4,660,106.
        let vgg = try ModelFactory.build(ModelSpec(architecture: .vggSmall), inputShape: cifar, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(vgg), 4_660_106)
        // MLP 784-100-10: 78,500 + 1,010.
        let mlp = try ModelFactory.build(ModelSpec(architecture: .mlp(hidden: [100])), inputShape: mnist, classCount: 10, seed: 1)
        XCTAssertEqual(paramCount(mlp), 79_510)
        // Width 0.5 ResNet-20: channels 8-16-32.
        let half = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 20), widthMultiplier: 0.5),
                                          inputShape: cifar, classCount: 10, seed: 1)
        XCTAssertEqual(half.layerShapes.map(\.outputChannels).max(), 32)
    }

    func testFSBResNet20ProfileCounts() throws {
        let plan = MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp)
        let network = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 20), methods: plan),
                                             inputShape: cifar, classCount: 10, seed: 1)
        // 3x3 weights outside conv1: 6*2,304 + 4,608 + 5*9,216 + 18,432 + 5*36,864 = 267,264;
        // trainable = 269,722 - 267,264 + 267,264/9 = 32,154.
        let profile = network.profile()
        XCTAssertEqual(profile.fixedParams, 267_264)
        XCTAssertEqual(profile.trainableParams, 32_154)
        XCTAssertEqual(paramCount(network), 32_154)
        XCTAssertEqual(profile.totalParams, 32_154 + 267_264)
    }

    func testNamesAndMethodPlan() throws {
        let plan = MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp,
                              overrides: ["layer2.0.conv1": .bwn])
        let network = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 20), methods: plan),
                                             inputShape: cifar, classCount: 10, seed: 1)
        let layers = network.layerShapes
        XCTAssertEqual(layers.count, 1 + 18 + 1)
        XCTAssertEqual(layers.first?.name, "conv1")
        XCTAssertEqual(layers.first?.method, "fp")
        XCTAssertEqual(layers.first?.weights, .dense)
        XCTAssertEqual(layers.last?.name, "fc")
        XCTAssertEqual(layers.last?.method, "fp")
        XCTAssertEqual(layers.last?.kind, .linear)
        XCTAssertEqual(layers[1].name, "layer1.0.conv1")
        XCTAssertEqual(layers[1].method, "fsb")
        XCTAssertEqual(layers[1].weights, .fixedSigns(codebook: nil))
        let overridden = try XCTUnwrap(layers.first { $0.name == "layer2.0.conv1" })
        XCTAssertEqual(overridden.method, "bwn")
        XCTAssertEqual(overridden.weights, .binary)
        XCTAssertEqual([overridden.inputChannels, overridden.inputHeight, overridden.outputChannels, overridden.outputHeight,
                        overridden.stride, overridden.padding, overridden.kernelHeight], [16, 32, 32, 16, 2, 1, 3])
        XCTAssertEqual(network.parameters.first?.name, "conv1.weight")
        XCTAssertTrue(network.parameters.contains { $0.name == "layer3.2.bn2.bias" })
        XCTAssertTrue(network.parameters.contains { $0.name == "layer1.0.conv1.scale" })
        let lenet = try ModelFactory.build(ModelSpec(architecture: .lenet5), inputShape: mnist, classCount: 10, seed: 1)
        XCTAssertEqual(lenet.layerShapes.map(\.name), ["conv1", "conv2", "fc1", "fc2", "fc"])
        XCTAssertThrowsError(try ModelFactory.build(
            ModelSpec(architecture: .lenet5, methods: MethodPlan(default: .fp, overrides: ["conv9": .bwn])),
            inputShape: mnist, classCount: 10, seed: 1)) { XCTAssertTrue("\($0)".contains("conv9")) }
        XCTAssertThrowsError(try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 21)), inputShape: cifar, classCount: 10, seed: 1))
        XCTAssertNoThrow(try lenet.checkInput(shape: [5, 1, 28, 28]))
        XCTAssertThrowsError(try lenet.checkInput(shape: [5, 3, 32, 32])) { XCTAssertTrue("\($0)".contains("[5, 3, 32, 32]")) }
        XCTAssertThrowsError(try ModelFactory.build(ModelSpec(architecture: .lenet5), inputShape: [1, 8, 8], classCount: 10, seed: 1))
    }

    func testNetworkGradientsEndToEnd() throws {
        let plan = MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp)
        let network = try ModelFactory.build(ModelSpec(architecture: .resnet(depth: 8), widthMultiplier: 0.25, methods: plan),
                                             inputShape: [3, 8, 8], classCount: 5, seed: 3)
        LayerGradientHarness.check(network.root, input: randomTensor([2, 3, 8, 8], seed: 1), step: 1e-3, limit: 12,
                                   relative: 3e-2, absolute: 3e-3, kinkAware: true)
        let lenet = try ModelFactory.build(ModelSpec(architecture: .lenet5, batchNorm: true, dropout: 0.3,
                                                     methods: plan), inputShape: [1, 12, 12], classCount: 4, seed: 3)
        let saved = lenet.randomState
        XCTAssertEqual(Set(saved.keys), ["dropout1.dropout", "dropout2.dropout"])
        LayerGradientHarness.check(lenet.root, input: randomTensor([3, 1, 12, 12], seed: 2), step: 1e-3, limit: 12,
                                   relative: 3e-2, absolute: 3e-3, kinkAware: true,
                                   prepare: { lenet.randomState = saved })
    }

    /// Smoke test that the pieces train together: an FSB LeNet (fp first/last layers) fits a
    /// fixed batch of random images with random labels under plain SGD.
    func testFSBLeNetFitsAFixedBatch() throws {
        let plan = MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp)
        let network = try ModelFactory.build(ModelSpec(architecture: .lenet5, batchNorm: true, methods: plan),
                                             inputShape: [1, 16, 16], classCount: 4, seed: 9)
        let x = randomTensor([16, 1, 16, 16], seed: 1)
        let labels = (0..<16).map { ($0 * 7) % 4 }
        var losses: [Double] = []
        for _ in 0..<60 {
            network.zeroGradients()
            let (loss, dLogits) = TestLoss.softmaxCrossEntropy(network.forward(x, training: true), labels: labels)
            losses.append(loss)
            network.backward(dLogits)
            for p in network.parameters {
                for i in 0..<p.count { p.value[i] -= 0.1 * p.gradient[i] }
                p.applyConstraint()
            }
        }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "losses \(losses.first!) -> \(losses.last!)")
    }

    /// Same seed -> the same logits and gradients, bit for bit (threaded loops included).
    func testTrainingStepIsDeterministic() throws {
        let plan = MethodPlan(default: .fsb(FSBOptions(granularity: .element)), firstLayer: .fp, lastLayer: .bwn)
        let spec = ModelSpec(architecture: .resnet(depth: 8), widthMultiplier: 0.5, shortcut: .optionB, dropout: 0.2, methods: plan)
        func run() throws -> (Tensor, [Tensor]) {
            let network = try ModelFactory.build(spec, inputShape: [3, 12, 12], classCount: 10, seed: 77)
            let x = randomTensor([16, 3, 12, 12], seed: 5)
            network.zeroGradients()
            let logits = network.forward(x, training: true)
            network.backward(randomTensor(logits.shape, seed: 6))
            return (logits, network.parameters.map(\.gradient))
        }
        let (logitsA, gradientsA) = try run()
        let (logitsB, gradientsB) = try run()
        XCTAssertEqual(logitsA, logitsB)
        XCTAssertEqual(gradientsA, gradientsB)
    }

    func testStateRoundTripAndErrors() throws {
        let spec = ModelSpec(architecture: .resnet(depth: 8), widthMultiplier: 0.5,
                             methods: MethodPlan(default: .bwn, firstLayer: .fp, lastLayer: .fp))
        let a = try ModelFactory.build(spec, inputShape: [3, 8, 8], classCount: 10, seed: 1)
        let b = try ModelFactory.build(spec, inputShape: [3, 8, 8], classCount: 10, seed: 2)
        let x = randomTensor([4, 3, 8, 8], seed: 3)
        _ = a.forward(x, training: true)  // moves the running statistics
        let state = a.stateTensors()
        XCTAssertEqual(state.map(\.name), a.stateTensors().map(\.name))
        XCTAssertTrue(state.contains { $0.name == "layer1.0.bn1.running_var" })
        XCTAssertEqual(Set(state.map(\.name)).count, state.count)
        var dictionary = Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) })
        try b.loadState(dictionary)
        XCTAssertEqual(a.forward(x, training: false), b.forward(x, training: false))

        dictionary["layer1.0.conv1.weight"] = Tensor(shape: [3, 3])
        XCTAssertThrowsError(try b.loadState(dictionary)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("layer1.0.conv1.weight") && text.contains("[3, 3]") && text.contains("[8, 8, 3, 3]"), text)
        }
        dictionary.removeValue(forKey: "layer1.0.conv1.weight")
        XCTAssertThrowsError(try b.loadState(dictionary)) { XCTAssertTrue("\($0)".contains("layer1.0.conv1.weight")) }
        var extra = Dictionary(uniqueKeysWithValues: state.map { ($0.name, $0.tensor) })
        extra["ghost.weight"] = Tensor(shape: [1])
        XCTAssertThrowsError(try b.loadState(extra)) { XCTAssertTrue("\($0)".contains("ghost.weight")) }
    }

    func testBatchNormRunningStatistics() {
        let bn = BatchNorm1D(name: "bn", features: 1)
        let x = Tensor(shape: [4, 1], storage: [1, 2, 3, 6])
        _ = bn.forward(x, training: true)
        // mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3.
        XCTAssertEqual(bn.buffers["bn.running_mean"]![0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(bn.buffers["bn.running_var"]![0], 0.9 + 0.1 * 14 / 3, accuracy: 1e-6)
        let y = bn.forward(Tensor(shape: [1, 1], storage: [2]), training: false)
        XCTAssertEqual(y[0], (2 - 0.3) / (0.9 + 0.1 * Float(14) / 3 + 1e-5).squareRoot(), accuracy: 1e-5)
        let trainOut = bn.forward(x, training: true)
        XCTAssertEqual(trainOut[3], 3 / (3.5 + 1e-5).squareRoot(), accuracy: 1e-5)
    }

    /// conv_a fp 1->4 3x3 pad 1 + bias on 6x6; BN(4); ReLU; conv_b fsb-kernel 4->8 3x3 stride 2
    /// pad 1 (P = 9); flatten 72; fc fp 72->10 + bias. Every number below is worked by hand.
    func testProfileOfSmallModelByHand() throws {
        func build(_ method: WeightMethod) throws -> Network {
            let root = Sequential(name: "", layers: [
                try Conv2D(name: "conv_a", inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, bias: true,
                           method: .fp, seed: 1),
                BatchNorm2D(name: "bn", channels: 4),
                ReLU(name: "relu"),
                try Conv2D(name: "conv_b", inputChannels: 4, outputChannels: 8, kernelSize: 3, stride: 2, padding: 1,
                           bias: false, method: method, seed: 1),
                Flatten(name: "flatten"),
                try Linear(name: "fc", inputFeatures: 72, outputFeatures: 10, method: .fp, seed: 1),
            ])
            return try Network(root: root, inputShape: [1, 6, 6], classCount: 10, seed: 1)
        }
        let profile = try build(.fsb(FSBOptions())).profile()
        XCTAssertEqual(profile.rows.map(\.name), ["conv_a", "bn", "relu", "conv_b", "flatten", "fc"])
        let convA = profile.rows[0], bn = profile.rows[1], convB = profile.rows[3], fc = profile.rows[5]
        // conv_a: 36 weights + 4 biases, all fp; MACs 4*1*9*36 = 1,296.
        XCTAssertEqual([convA.params, convA.trainableParams, convA.fixedParams, convA.memoryBits, convA.macs, convA.mults, convA.addsubs],
                       [40, 40, 0, 1_280, 1_296, 1_296, 1_296])
        XCTAssertEqual(convA.outputShape, [4, 6, 6])
        XCTAssertEqual(bn.params, 8)
        XCTAssertEqual(bn.memoryBits, 256)
        // conv_b fsb kernel: 288 signs (fixed, 0 bits), 32 factors (1,024 bits); P = 9:
        // MACs 288*9 = 2,592, mults Co*Ci*P = 288, add/subs Co*Ci*K*P = 2,592.
        XCTAssertEqual([convB.params, convB.trainableParams, convB.fixedParams, convB.memoryBits, convB.updateBits,
                        convB.fp32Bits, convB.macs, convB.mults, convB.addsubs],
                       [320, 32, 288, 1_024, 1_024, 9_216, 2_592, 288, 2_592])
        XCTAssertEqual(try XCTUnwrap(convB.bitsPerWeight), 1_024.0 / 288, accuracy: 1e-12)
        // fc: 720 + 10, fp.
        XCTAssertEqual([fc.params, fc.memoryBits, fc.macs], [730, 23_360, 720])
        XCTAssertEqual(profile.totalParams, 40 + 8 + 320 + 730)
        XCTAssertEqual(profile.trainableParams, 40 + 8 + 32 + 730)
        XCTAssertEqual(profile.modelSizeBits, 1_280 + 256 + 1_024 + 23_360)
        XCTAssertEqual(profile.fp32SizeBits, 1_280 + 256 + 9_216 + 23_360)
        XCTAssertEqual(profile.compressionRatio, 34_112.0 / 25_920, accuracy: 1e-12)
        XCTAssertEqual(profile.updateSizeBits, 25_920)
        XCTAssertEqual([profile.macs, profile.mults, profile.addsubs], [4_608, 2_304, 4_608])

        // bwn: 288 sign bits + 8 scales; update carries them all; mults Co*P = 72.
        let bwn = try build(.bwn).profile().rows[3]
        XCTAssertEqual([bwn.trainableParams, bwn.fixedParams, bwn.memoryBits, bwn.updateBits, bwn.mults, bwn.addsubs],
                       [288, 0, 544, 544, 72, 2_592])
        // Codebook of 2 patterns: add/subs N*Ci*K*P + Co*Ci*P = 648 + 288.
        let codebook = try build(.fsb(FSBOptions(signCodebook: 2))).profile().rows[3]
        XCTAssertEqual([codebook.mults, codebook.addsubs], [288, 936])
        // binaryconnect: 1 bit per weight, no multiplications.
        let bc = try build(.binaryconnect).profile().rows[3]
        XCTAssertEqual([bc.memoryBits, bc.mults, bc.addsubs], [288, 0, 2_592])
        // twn: 2 bits per weight + 8 scales = 832 bits, also the update; mults Co*P = 72;
        // add/subs one per non-zero ternary weight and output pixel.
        let twnNetwork = try build(.twn)
        let twn = twnNetwork.profile().rows[3]
        let ternary = try XCTUnwrap(twnNetwork.weightParameterizations[1].weight as? TWNWeight)
        let nonzeros = ternary.effectiveWeight.storage.filter { $0 != 0 }.count
        XCTAssertEqual([twn.method, "\(twn.memoryBits)", "\(twn.updateBits)", "\(twn.mults)", "\(twn.addsubs)"],
                       ["twn", "832", "832", "72", "\(nonzeros * 9)"])
        XCTAssertEqual(try XCTUnwrap(twn.bitsPerWeight), 832.0 / 288, accuracy: 1e-12)
        XCTAssertGreaterThan(nonzeros, 0)
        XCTAssertLessThan(nonzeros, 288)

        let csv = profile.csv().split(separator: "\n")
        XCTAssertEqual(csv.first, "layer,kind,method,output_shape,params,trainable_params,fixed_params,bits_per_weight,memory_bits,memory_kib,update_bits,fp32_bits,macs,mults,addsubs")
        XCTAssertEqual(csv.count, 1 + 6 + 1)
        XCTAssertTrue(csv.last!.hasPrefix("total,,,,1098,810,288,,25920,"))
        let text = profile.render()
        XCTAssertTrue(text.contains("conv_b"))
        XCTAssertTrue(text.contains("Total params: 1098 (trainable 810, fixed 288)"))
        XCTAssertTrue(text.contains("compression ratio 1.32x"))
    }
}
