import FSBCore
import FSBNN
import TestSupport
import XCTest

/// The FSB sign path (`SignConvolutionPlan`: sign convolutions, then `A' x Z`) against the
/// plain GEMM path of the same `Conv2D`, a hand-computed case, and the refusal of layers
/// that are not fsb with kernel granularity.
final class SignConvolutionTests: XCTestCase {
    struct Case {
        var batch = 2, inputChannels = 5, outputChannels = 7, height = 8, width = 8
        var kernel = 3, stride = 1, padding = 1
        var codebook: Int? = 4
        var alphaSign: FSBOptions.AlphaSign = .nonnegative
        var bias = true
        var columnBudget = 1 << 20
    }

    /// A conv of `c` with random factors (negative ones too for `alphaSign = free`) and bias.
    func makeConvolution(_ c: Case, seed: UInt64 = 3) throws -> Conv2D {
        let options = FSBOptions(granularity: .kernel, alphaSign: c.alphaSign, signCodebook: c.codebook)
        let conv = try Conv2D(name: "conv", inputChannels: c.inputChannels, outputChannels: c.outputChannels,
                              kernelSize: c.kernel, stride: c.stride, padding: c.padding, bias: c.bias,
                              method: .fsb(options), seed: seed, workspace: ScratchWorkspace(columnBudget: c.columnBudget))
        let scale = try XCTUnwrap(conv.weight.scale)
        let factors = randomTensor(scale.value.shape, seed: seed + 10, scale: 0.5)
        scale.value = c.alphaSign == .free ? factors : Tensor(shape: factors.shape, storage: factors.storage.map(abs))
        if let bias = conv.bias { bias.value = randomTensor(bias.value.shape, seed: seed + 20) }
        return conv
    }

    /// Runs `c` through the GEMM path and the sign path with both contractions and compares
    /// them (relative tolerance 1e-4); returns the plan.
    @discardableResult
    func checkSignPathMatchesGEMM(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws -> SignConvolutionPlan {
        let conv = try makeConvolution(c)
        let input = randomTensor([c.batch, c.inputChannels, c.height, c.width], seed: 7)
        let plain = conv.forward(input, training: false)
        let plan = try conv.useSignPathForInference()
        XCTAssertEqual(plan.contraction, plan.patternCount <= SignConvolutionPlan.denseGEMMPatternLimit ? .denseGEMM : .gather,
                       "default contraction", file: file, line: line)
        plan.contraction = .gather
        assertTensorsClose(conv.forward(input, training: false), plain, tolerance: 1e-4, "gather \(c)", file: file, line: line)
        plan.contraction = .denseGEMM
        assertTensorsClose(conv.forward(input, training: false), plain, tolerance: 1e-4, "dense \(c)", file: file, line: line)
        // Every slice's signs are its orientation times its pattern, and A' holds its factor.
        let signs = try XCTUnwrap(conv.weight.signs), factors = try XCTUnwrap(conv.weight.scale).value
        let area = c.kernel * c.kernel, width = plan.patternCount * c.inputChannels
        for slice in 0..<(c.outputChannels * c.inputChannels) {
            let code = plan.sliceCodes[slice], orientation = plan.sliceOrientations[slice]
            for k in 0..<area {
                XCTAssertEqual(signs[slice * area + k], orientation * plan.patterns[code * area + k], file: file, line: line)
            }
            let o = slice / c.inputChannels, i = slice % c.inputChannels
            XCTAssertEqual(plan.combinedFactors[o * width + code * c.inputChannels + i], orientation * factors[slice], file: file, line: line)
            XCTAssertEqual(plan.gatherRows[slice], code * c.inputChannels + i, file: file, line: line)
            XCTAssertEqual(plan.signedFactors[slice], orientation * factors[slice], file: file, line: line)
        }
        XCTAssertEqual(plan.combinedFactors.storage.filter { $0 != 0 }.count,
                       factors.storage.filter { $0 != 0 }.count, "A' has one entry per slice", file: file, line: line)
        return plan
    }

    func testCodebook4And16MatchGEMM() throws {
        let four = try checkSignPathMatchesGEMM(Case(batch: 3, codebook: 4))
        XCTAssertLessThanOrEqual(four.patternCount, 4)
        XCTAssertGreaterThan(four.patternCount, 1)
        let sixteen = try checkSignPathMatchesGEMM(Case(batch: 1, inputChannels: 6, outputChannels: 8, codebook: 16))
        XCTAssertLessThanOrEqual(sixteen.patternCount, 16)
        XCTAssertGreaterThan(sixteen.patternCount, 4)
    }

    func testWithoutCodebookCountsDistinctPatterns() throws {
        let plan = try checkSignPathMatchesGEMM(Case(batch: 3, inputChannels: 8, outputChannels: 9, codebook: nil))
        // 72 random 9-sign slices: almost surely all distinct, and never more than the slices.
        XCTAssertLessThanOrEqual(plan.patternCount, 72)
        XCTAssertGreaterThan(plan.patternCount, 60)
        XCTAssertFalse(plan.mergesNegatedPatterns)
    }

    func testAlphaSignFreeMergesNegatedPatterns() throws {
        for codebook in [4, nil] as [Int?] {
            let plan = try checkSignPathMatchesGEMM(Case(batch: 2, inputChannels: 6, outputChannels: 6, codebook: codebook, alphaSign: .free))
            XCTAssertTrue(plan.mergesNegatedPatterns)
            for c in 0..<plan.patternCount { XCTAssertEqual(plan.patterns[c * 9], 1, "merged patterns start with +1") }
            XCTAssertTrue(plan.sliceOrientations.contains(-1))
        }
        // The same signs without merging keep a pattern and its negation apart: never fewer patterns.
        let conv = try makeConvolution(Case(codebook: nil, alphaSign: .free))
        let merged = try SignConvolutionPlan(convolution: conv)
        let unmerged = try SignConvolutionPlan(convolution: conv, mergesNegatedPatterns: false)
        XCTAssertGreaterThanOrEqual(unmerged.patternCount, merged.patternCount)
        XCTAssertTrue(unmerged.sliceOrientations.allSatisfy { $0 == 1 })
    }

    func testStrideAndPadding() throws {
        try checkSignPathMatchesGEMM(Case(batch: 3, height: 9, width: 7, stride: 2, padding: 1))
        try checkSignPathMatchesGEMM(Case(batch: 1, height: 8, width: 8, stride: 2, padding: 0))
        try checkSignPathMatchesGEMM(Case(batch: 3, height: 6, width: 9, stride: 1, padding: 0))
        try checkSignPathMatchesGEMM(Case(batch: 1, stride: 3, padding: 2))
    }

    func testKernelSizes1x1And5x5() throws {
        // 1x1: the codebook does not apply; the patterns are at most +1 and -1.
        let pointwise = try checkSignPathMatchesGEMM(Case(batch: 3, kernel: 1, padding: 0))
        XCTAssertLessThanOrEqual(pointwise.patternCount, 2)
        try checkSignPathMatchesGEMM(Case(batch: 1, kernel: 1, stride: 2, padding: 0, alphaSign: .free))
        // 5x5 "valid" (LeNet's conv2) and padded, with and without a codebook.
        try checkSignPathMatchesGEMM(Case(batch: 3, inputChannels: 6, outputChannels: 16, height: 14, width: 14, kernel: 5, padding: 0))
        try checkSignPathMatchesGEMM(Case(batch: 1, height: 10, width: 10, kernel: 5, stride: 2, padding: 2, codebook: nil))
    }

    func testChunkedBatchAndThreadedPlanes() throws {
        // A tiny column budget forces one image per chunk.
        try checkSignPathMatchesGEMM(Case(batch: 3, columnBudget: 16))
        // Large enough for the sign convolutions and the GEMM to run on several threads.
        try checkSignPathMatchesGEMM(Case(batch: 3, inputChannels: 16, outputChannels: 16, height: 16, width: 16, codebook: 8))
        // More than one group of 16 output channels, and pixel blocks with a partial last block (P = 100).
        try checkSignPathMatchesGEMM(Case(batch: 2, inputChannels: 12, outputChannels: 37, height: 10, width: 10, codebook: 6))
    }

    func testPlanFollowsChangedFactorsAndTrainingKeepsGEMMPath() throws {
        let c = Case(batch: 2)
        let conv = try makeConvolution(c)
        let input = randomTensor([c.batch, c.inputChannels, c.height, c.width], seed: 8)
        try conv.useSignPathForInference()
        let scale = try XCTUnwrap(conv.weight.scale)
        for i in 0..<scale.count { scale.value[i] *= Float(i % 3) }
        let signPath = conv.forward(input, training: false)
        let training = conv.forward(input, training: true)
        conv.usePlainPathForInference()
        XCTAssertNil(conv.inferenceOverride)
        let plain = conv.forward(input, training: false)
        assertTensorsClose(signPath, plain, tolerance: 1e-4, "after the factors changed")
        XCTAssertEqual(training, plain, "training runs the GEMM path")
    }

    /// Two input channels, two output channels, a 2x2 kernel on a 2x3 image: two patterns,
    /// every number worked out by hand.
    func testHandComputedTwoPatterns() throws {
        let conv = try Conv2D(name: "tiny", inputChannels: 2, outputChannels: 2, kernelSize: 2, bias: true,
                              method: .fsb(FSBOptions(granularity: .kernel)), seed: 1)
        // Slices (o, i): (0,0) and (1,1) use P0 = [+1, +1, -1, +1]; (0,1) and (1,0) use P1 = [-1, +1, +1, -1].
        let p0: [Float] = [1, 1, -1, 1], p1: [Float] = [-1, 1, 1, -1]
        try XCTUnwrap(conv.weight as? FSBWeight).setSigns(fromWeight: Tensor(shape: [2, 2, 2, 2], storage: p0 + p1 + p1 + p0))
        try XCTUnwrap(conv.weight.scale).value = Tensor(shape: [2, 2], storage: [1, 2, 3, 0.5])
        try XCTUnwrap(conv.bias).value = Tensor(shape: [2], storage: [0.25, -1])
        let plan = try conv.useSignPathForInference(contraction: .gather)
        XCTAssertEqual(plan.patterns, Tensor(shape: [2, 4], storage: p0 + p1))
        XCTAssertEqual(plan.sliceCodes, [0, 1, 1, 0])
        // A'[o, code*Ci + i]: row 0 = [A00 at (P0, i0), A01 at (P1, i1)], row 1 = [A11 at (P0, i1), A10 at (P1, i0)].
        XCTAssertEqual(plan.combinedFactors, Tensor(shape: [2, 4], storage: [1, 0, 0, 2, 0, 0.5, 3, 0]))
        // x0 = [[1 2 3] [4 5 6]], x1 = [[0 1 -1] [2 0 1]].
        // Z(P0, x0) = [1+2-4+5, 2+3-5+6] = [4, 6];    Z(P1, x0) = [-1+2+4-5, -2+3+5-6] = [0, 0]
        // Z(P0, x1) = [0+1-2+0, 1-1-0+1] = [-1, 1];   Z(P1, x1) = [-0+1+2-0, -1-1+0-1] = [3, -3]
        // y0 = 1*[4, 6] + 2*[3, -3] + 0.25 = [10.25, 0.25];  y1 = 3*[0, 0] + 0.5*[-1, 1] - 1 = [-1.5, -0.5]
        let input = Tensor(shape: [1, 2, 2, 3], storage: [1, 2, 3, 4, 5, 6, 0, 1, -1, 2, 0, 1])
        let output = conv.forward(input, training: false)
        XCTAssertEqual(output, Tensor(shape: [1, 2, 1, 2], storage: [10.25, 0.25, -1.5, -0.5]))
        plan.contraction = .denseGEMM
        XCTAssertEqual(conv.forward(input, training: false), output, "the dense contraction agrees")
        conv.usePlainPathForInference()
        XCTAssertEqual(conv.forward(input, training: false), output, "the GEMM path agrees")
    }

    func testLayersThatAreNotFSBKernelAreRefused() throws {
        let methods: [WeightMethod] = [.fp, .bwn, .binaryconnect, .twn, .fsb(FSBOptions(granularity: .filter)),
                                       .fsb(FSBOptions(granularity: .element))]
        for method in methods {
            let conv = try Conv2D(name: "stem.conv", inputChannels: 3, outputChannels: 4, kernelSize: 3, bias: false,
                                  method: method, seed: 1)
            XCTAssertFalse(SignConvolutionPlan.supports(conv))
            XCTAssertThrowsError(try conv.useSignPathForInference()) { error in
                XCTAssertTrue(error is FSBError, "\(error)")
                XCTAssertTrue("\(error)".contains("layer 'stem.conv'"), "\(error)")
                XCTAssertTrue("\(error)".contains("kernel granularity"), "\(error)")
            }
            XCTAssertNil(conv.inferenceOverride)
        }
    }

    func testNetworkInstallsOnEveryEligibleConvolution() throws {
        let fsb = WeightMethod.fsb(FSBOptions(granularity: .kernel, signCodebook: 4))
        let spec = ModelSpec(architecture: .resnet(depth: 20), widthMultiplier: 0.25,
                             methods: MethodPlan(default: fsb, firstLayer: .fp, lastLayer: .fp))
        let network = try ModelFactory.build(spec, inputShape: [3, 12, 12], classCount: 10, seed: 5)
        let input = randomTensor([2, 3, 12, 12], seed: 9)
        let plain = network.forward(input, training: false)
        let plans = try network.useSignPathForInference()
        let convolutions = network.shapeRecords.compactMap { $0.layer as? Conv2D }
        XCTAssertEqual(plans.count, convolutions.count - 1, "every conv but the fp conv1")
        XCTAssertEqual(plans.map(\.layerName), convolutions.dropFirst().map(\.name))
        XCTAssertTrue(plans.allSatisfy { $0.patternCount <= 4 })
        XCTAssertNil(convolutions[0].inferenceOverride)
        assertTensorsClose(network.forward(input, training: false), plain, tolerance: 1e-4, "ResNet-20 logits")
        network.usePlainPathForInference()
        XCTAssertTrue(convolutions.allSatisfy { $0.inferenceOverride == nil })
    }
}
