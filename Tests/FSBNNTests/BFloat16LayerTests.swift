import FSBCore
import FSBNN
import TestSupport
import XCTest

/// Conv2D and Linear with bf16 products (`ComputePrecision.bfloat16`) on every bf16 GEMM path
/// this CPU has (the portable one everywhere): outputs close to the float32 layer's, and
/// gradients close to float32 finite differences, for fp, bwn and fsb weights.
///
/// Tolerances: rounding both operands to bfloat16 (8-bit significands) changes each product
/// by at most 2 * 2^-8 relative; with random signs those errors mostly cancel in a sum, so a
/// sum's error is about 2^-8 of the sum's typical size (not of each element: a sum that
/// cancels to nearly zero keeps the absolute error of its terms). So the comparisons are
/// norm-wise: 2^-5 for outputs; for gradients 2^-5 plus the finite differences' own error
/// (3e-3 per element, as in the float32 checks); and bf16 must really be used (the outputs
/// are not the float32 bits).
final class BFloat16LayerTests: XCTestCase {
    static let methods: [WeightMethod] = [.fp, .bwn, .twn, .fsb(FSBOptions(granularity: .kernel))]

    func paths() -> [BFloat16GEMM.Path] { BFloat16GEMM.Path.allCases.filter(\.isAvailable) }

    static func convolutions(_ method: WeightMethod) throws -> [(Conv2D, [Int])] {
        try [(1, 1, true, 3, [2, 3, 7, 6]), (2, 0, false, 3, [2, 3, 7, 6]), (1, 0, false, 5, [2, 2, 9, 9])].map { stride, padding, bias, size, shape in
            (try Conv2D(name: "conv", inputChannels: shape[1], outputChannels: 5, kernelSize: size, stride: stride,
                        padding: padding, bias: bias, method: method, seed: 7), shape)
        }
    }

    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> (relative: Double, identical: Bool) {
        var difference = 0.0, norm = 0.0, identical = true
        for i in 0..<a.count {
            difference += pow(Double(a[i]) - Double(b[i]), 2); norm += pow(Double(b[i]), 2)
            if a[i].bitPattern != b[i].bitPattern { identical = false }
        }
        return ((difference / max(norm, 1e-30)).squareRoot(), identical)
    }

    func testOutputsAreCloseToFloat32() throws {
        for path in paths() {
            for method in Self.methods {
                var layers: [(Layer, Tensor)] = try Self.convolutions(method).map { ($0.0, randomTensor($0.1, seed: 1)) }
                layers.append((try Linear(name: "fc", inputFeatures: 40, outputFeatures: 7, method: method, seed: 5),
                               randomTensor([3, 40], seed: 2)))
                for (layer, input) in layers {
                    let reference = layer.forward(input, training: true)
                    Self.setPrecision(layer, .bfloat16(path))
                    for training in [true, false] {
                        let (relative, identical) = Self.relativeDifference(layer.forward(input, training: training), reference)
                        XCTAssertLessThanOrEqual(relative, 0x1p-5, "\(path) \(method) \(layer.name) training=\(training)")
                        XCTAssertFalse(identical, "\(path) \(method) \(layer.name): bf16 gave the float32 bits")
                    }
                }
            }
        }
    }

    func testGradientsMatchFloat32FiniteDifferences() throws {
        for path in paths() {
            for method in Self.methods {
                for (conv, shape) in try Self.convolutions(method) {
                    try check(conv, input: randomTensor(shape, seed: 1), path: path, label: "\(method) conv \(shape)")
                }
                let linear = try Linear(name: "fc", inputFeatures: 6, outputFeatures: 4, method: method, seed: 5)
                try check(linear, input: randomTensor([3, 6], seed: 2), path: path, label: "\(method) linear")
            }
        }
    }

    /// The bf16 layer's analytic gradients against central differences of the same layer in
    /// float32, w.r.t. the input and every parameter (for bwn the latent weight's gradient is
    /// the straight-through one, so only the input and `What`-independent parameters are
    /// compared by differences; its weight gradient is compared with the float32 analytic one).
    private func check(_ layer: Layer, input: Tensor, path: BFloat16GEMM.Path, label: String) throws {
        Self.setPrecision(layer, .float32)
        let r = randomTensor(layer.forward(input, training: true).shape, seed: 99)
        let loss: (Tensor) -> Double = { x in
            let y = layer.forward(x, training: true)
            var total = 0.0
            for i in 0..<y.count { total += Double(y[i]) * Double(r[i]) }
            return total
        }
        for parameter in layer.parameters { parameter.zeroGradient() }
        _ = layer.forward(input, training: true)
        _ = layer.backward(r)
        let float32Gradients = layer.parameters.map(\.gradient)

        Self.setPrecision(layer, .bfloat16(path))
        for parameter in layer.parameters { parameter.zeroGradient() }
        _ = layer.forward(input, training: true)
        let dInput = layer.backward(r)
        let bf16Gradients = layer.parameters.map(\.gradient)
        Self.setPrecision(layer, .float32)

        var x = input
        let indices = FiniteDifference.sampleIndices(count: x.count, limit: 48)
        let numeric = FiniteDifference.gradient(indices: indices, read: { x[$0] }, write: { x[$0] = $1 }, step: 1e-2,
                                                loss: { loss(x) })
        Self.assertNormClose(indices.map { dInput[$0] }, numeric, "\(path) \(label) dInput")
        for (index, parameter) in layer.parameters.enumerated() {
            let sample = FiniteDifference.sampleIndices(count: parameter.count, limit: 48)
            let expected: [Double]
            if parameter.role == .weight && isStraightThrough(layer) {
                expected = sample.map { Double(float32Gradients[index][$0]) }
            } else {
                expected = FiniteDifference.gradient(indices: sample, read: { parameter.value[$0] },
                                                     write: { parameter.value[$0] = $1 }, step: 1e-2,
                                                     loss: { loss(input) })
            }
            Self.assertNormClose(sample.map { bf16Gradients[index][$0] }, expected, "\(path) \(label) \(parameter.name)")
        }
    }

    /// ||analytic - expected|| <= 2^-5 ||expected|| + 3e-3 sqrt(count).
    static func assertNormClose(_ analytic: [Float], _ expected: [Double], _ label: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        var difference = 0.0, norm = 0.0
        for (a, e) in zip(analytic, expected) { difference += pow(Double(a) - e, 2); norm += e * e }
        let bound = 0x1p-5 * norm.squareRoot() + 3e-3 * Double(expected.count).squareRoot()
        XCTAssertLessThanOrEqual(difference.squareRoot(), bound, label, file: file, line: line)
    }

    private func isStraightThrough(_ layer: Layer) -> Bool {
        let method = (layer as? any ComputeLayer)?.weight.method
        return method == .bwn || method == .binaryconnect || method == .twn
    }

    static func setPrecision(_ layer: Layer, _ precision: ComputePrecision) {
        (layer as? any ComputeLayer)?.precision = precision
    }

    func testHardwarePathsAreTestedWhereTheCPUHasThem() throws {
        let missing = BFloat16GEMM.Path.allCases.filter { !$0.isAvailable }
        if !missing.isEmpty {
            throw XCTSkip("bf16 layers not tested on " + missing.map { "\($0.rawValue) (needs \($0.requirement))" }.joined(separator: ", "))
        }
    }
}
