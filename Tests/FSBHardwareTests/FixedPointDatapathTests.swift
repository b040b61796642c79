import FSBCore
@testable import FSBHardware
import TestSupport
import XCTest

final class FixedPointDatapathTests: XCTestCase {
    let widths = FixedPointDatapath.Widths(activationBits: 8, factorBits: 8, accumulatorBits: 32)

    func randomSigns(_ shape: [Int], seed: UInt64, codebook: Int? = nil) -> Tensor {
        var rng = SeededGenerator(seed: seed, stream: "signs")
        let k = shape[2] * shape[3]
        var t = Tensor(shape: shape)
        if let codebook {
            let patterns = (0..<codebook).map { _ in (0..<k).map { _ in rng.nextSign() } }
            for slice in 0..<(shape[0] * shape[1]) {
                let pattern = patterns[rng.nextInt(below: codebook)]
                for j in 0..<k { t[slice * k + j] = pattern[j] }
            }
        } else {
            for i in 0..<t.count { t[i] = rng.nextSign() }
        }
        return t
    }

    func testHandComputedExample() throws {
        // One output channel, one input channel, 2x2 kernel on a 2x3 input, stride 1.
        let signs = Tensor(shape: [1, 1, 2, 2], storage: [1, -1, -1, 1])
        let factors = Tensor(shape: [1, 1], storage: [0.5])
        let datapath = try FixedPointDatapath(signs: signs, factors: factors, widths: widths, factorScale: 0.25)
        XCTAssertEqual(datapath.factors.values, [2])
        let input = QuantizedTensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 7], scale: 1, bits: 8)
        // z at p=0: 1 - 2 - 4 + 5 = 0; p=1: 2 - 3 - 5 + 7 = 1. acc = 2 * z.
        let fsb = try datapath.runFSB(input)
        XCTAssertEqual(fsb.shape, [1, 1, 2])
        XCTAssertEqual(fsb.accumulators, [0, 2])
        XCTAssertEqual(fsb.scale, 0.25)
        XCTAssertEqual(try datapath.runPlain(input), fsb)
        XCTAssertEqual(try datapath.runFSBShared(input), fsb)
        XCTAssertEqual(FixedPointDatapath.requantize(fsb, outputScale: 0.5, bits: 8).values, [0, 1])
    }

    func testPaddingStrideAndBias() throws {
        let signs = Tensor(shape: [2, 1, 3, 3], repeating: 1)
        let factors = Tensor(shape: [2, 1], storage: [1, -1])
        let bias = Tensor(shape: [2], storage: [2, 0])
        let datapath = try FixedPointDatapath(signs: signs, factors: factors, bias: bias, stride: 2, padding: 1,
                                              widths: widths, factorScale: 1)
        let input = QuantizedTensor(shape: [1, 3, 3], values: [1, 1, 1, 1, 1, 1, 1, 1, 1], scale: 1, bits: 8)
        let out = try datapath.runFSB(input)
        // 2x2 outputs; each window covers a 2x2 corner of ones: z = 4.
        XCTAssertEqual(out.accumulators, [6, 6, 6, 6, -4, -4, -4, -4])
        XCTAssertEqual(try datapath.runPlain(input), out)
    }

    func testFSBEqualsPlainIntegerConvolutionOnRandomLayers() throws {
        for seed in 0..<6 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed, stream: "geometry")
            let co = 1 + rng.nextInt(below: 5), ci = 1 + rng.nextInt(below: 4)
            let kh = 1 + rng.nextInt(below: 3), kw = 1 + rng.nextInt(below: 3)
            let stride = 1 + rng.nextInt(below: 2), padding = rng.nextInt(below: 2)
            let h = kh + rng.nextInt(below: 5), w = kw + rng.nextInt(below: 5)
            let codebook: Int? = seed % 2 == 0 ? nil : 2
            let signs = randomSigns([co, ci, kh, kw], seed: seed, codebook: codebook)
            var factors = randomTensor([co, ci], seed: seed + 100, scale: 0.3)
            for i in 0..<factors.count { factors[i] = abs(factors[i]) }
            let bias = randomTensor([co], seed: seed + 200)
            let datapath = try FixedPointDatapath(signs: signs, factors: factors, bias: bias, stride: stride,
                                                  padding: padding, widths: widths)
            let input = datapath.quantizeInput(randomTensor([ci, h, w], seed: seed + 300))
            let fsb = try datapath.runFSB(input)
            let plain = try datapath.runPlain(input)
            let shared = try datapath.runFSBShared(input)
            XCTAssertEqual(fsb.overflows, 0)
            XCTAssertEqual(fsb, plain, "seed \(seed)")
            XCTAssertEqual(shared, fsb, "seed \(seed)")
            if codebook != nil {
                let book = SignCodebook(signs: datapath.signs, slices: co * ci, kernelSize: kh * kw)
                XCTAssertLessThanOrEqual(book.patterns.count, 2)
            }
            // The integers approximate the real convolution of the dequantized operands.
            let real = realConvolution(input: input.dequantized(), signs: signs,
                                       factors: datapath.factors.dequantized(), bias: bias,
                                       stride: stride, padding: padding)
            let result = Tensor(shape: fsb.shape, storage: fsb.accumulators.map { Float($0) * fsb.scale })
            assertTensorsClose(result, real, tolerance: 1e-3, "seed \(seed)")
        }
    }

    /// Runs that cannot saturate skip the per-addition checks (`runFSBUnsaturated`,
    /// `runPlainUnsaturated`): the same integers as the checked loops, on random layers with
    /// strides 1-3, padding 0-2 and kernels wider than the input; with a narrow accumulator the
    /// bound fails and the checked loops run.
    func testUncheckedRunsEqualTheCheckedOnes() throws {
        for seed in 0..<24 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed, stream: "unchecked-geometry")
            let co = 1 + rng.nextInt(below: 5), ci = 1 + rng.nextInt(below: 4)
            let kh = 1 + rng.nextInt(below: 4), kw = 1 + rng.nextInt(below: 4)
            let stride = 1 + rng.nextInt(below: 3), padding = rng.nextInt(below: 3)
            let h = max(1, kh - 2 * padding) + rng.nextInt(below: 6), w = max(1, kw - 2 * padding) + rng.nextInt(below: 6)
            let signs = randomSigns([co, ci, kh, kw], seed: seed)
            let factors = randomTensor([co, ci], seed: seed + 100, scale: 0.3)
            let bias = randomTensor([co], seed: seed + 200)
            let datapath = try FixedPointDatapath(signs: signs, factors: factors, bias: bias, stride: stride,
                                                  padding: padding, widths: widths)
            let input = datapath.quantizeInput(randomTensor([ci, h, w], seed: seed + 300))
            let label = "seed \(seed): \(co)x\(ci)x\(kh)x\(kw) stride \(stride) padding \(padding) input \(h)x\(w)"
            let biasQ = datapath.quantizedBias(scale: input.scale * datapath.factors.scale)
            XCTAssertTrue(datapath.cannotSaturate(input, biasQ: biasQ), label)
            let checked = try datapath.runFSB(input, checkingEveryAddition: true)
            XCTAssertEqual(try datapath.runFSB(input), checked, label)
            XCTAssertEqual(try datapath.runPlain(input), try datapath.runPlain(input, checkingEveryAddition: true), label)
            XCTAssertEqual(checked, try datapath.runPlain(input, checkingEveryAddition: true), label)
        }
        let narrow = FixedPointDatapath.Widths(activationBits: 8, factorBits: 8, accumulatorBits: 10)
        let datapath = try FixedPointDatapath(signs: Tensor(shape: [1, 1, 1, 4], repeating: 1),
                                              factors: Tensor(shape: [1, 1], storage: [1]), widths: narrow, factorScale: 1 / 64)
        let input = QuantizedTensor(shape: [1, 1, 4], values: [127, 127, 127, 127], scale: 1, bits: 8)
        XCTAssertFalse(datapath.cannotSaturate(input, biasQ: [0]))
    }

    func testOverflowSaturatesAndIsCounted() throws {
        let narrow = FixedPointDatapath.Widths(activationBits: 8, factorBits: 8, accumulatorBits: 10)
        let signs = Tensor(shape: [1, 1, 1, 4], repeating: 1)
        let datapath = try FixedPointDatapath(signs: signs, factors: Tensor(shape: [1, 1], storage: [1]),
                                              widths: narrow, factorScale: 1 / 64)
        let input = QuantizedTensor(shape: [1, 1, 4], values: [127, 127, 127, 127], scale: 1, bits: 8)
        let out = try datapath.runFSB(input)
        XCTAssertEqual(out.accumulators, [511])   // 508 * 64 saturates at 2^9 - 1
        XCTAssertGreaterThan(out.overflows, 0)
    }

    func testRejectsBadInput() {
        let signs = Tensor(shape: [1, 1, 1, 2], storage: [1, 0])
        XCTAssertThrowsError(try FixedPointDatapath(signs: signs, factors: Tensor(shape: [1, 1]), widths: widths)) {
            XCTAssertEqual(($0 as? FSBError)?.message, "signs[1]: expected +1 or -1, found 0.0")
        }
        XCTAssertThrowsError(try FixedPointDatapath(signs: Tensor(shape: [2, 1, 1, 1], repeating: 1),
                                                    factors: Tensor(shape: [1, 1]), widths: widths))
    }

    func testQuantizerPowerOfTwoScale() {
        XCTAssertEqual(QuantizedTensor.powerOfTwoScale(maxAbs: 1, bits: 8), 1.0 / 64)   // 64 <= 127 < 128
        let q = QuantizedTensor.quantize(Tensor(shape: [3], storage: [1, -0.5, 2]), bits: 8)
        XCTAssertEqual(q.scale, 1.0 / 32)
        XCTAssertEqual(q.values, [32, -16, 64])
        XCTAssertEqual(QuantizedTensor.quantize(Tensor(shape: [1], storage: [10]), bits: 4, scale: 1).values, [7])
    }

    func realConvolution(input: Tensor, signs: Tensor, factors: Tensor, bias: Tensor, stride: Int, padding: Int) -> Tensor {
        let (co, ci, kh, kw) = (signs.shape[0], signs.shape[1], signs.shape[2], signs.shape[3])
        let (h, w) = (input.shape[1], input.shape[2])
        let (oh, ow) = ((h + 2 * padding - kh) / stride + 1, (w + 2 * padding - kw) / stride + 1)
        var out = Tensor(shape: [co, oh, ow])
        for o in 0..<co {
            for r in 0..<oh {
                for c in 0..<ow {
                    var sum = Double(bias[o])
                    for i in 0..<ci {
                        for a in 0..<kh {
                            for b in 0..<kw {
                                let (y, x) = (r * stride - padding + a, c * stride - padding + b)
                                guard y >= 0, x >= 0, y < h, x < w else { continue }
                                sum += Double(factors[o * ci + i]) * Double(signs[((o * ci + i) * kh + a) * kw + b])
                                    * Double(input[(i * h + y) * w + x])
                            }
                        }
                    }
                    out[(o * oh + r) * ow + c] = Float(sum)
                }
            }
        }
        return out
    }
}
