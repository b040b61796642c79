import FSBCore
@testable import FSBNN
import TestSupport
import XCTest

/// Finite-difference check of one layer in training mode with the loss `sum(output * R)`:
/// `backward(R)` must give the numerical gradient w.r.t. the input and every parameter.
enum LayerGradientHarness {
    /// `sum(output * r)` in Double.
    static func weightedSum(_ output: Tensor, _ r: Tensor) -> Double {
        var total: Double = 0
        for i in 0..<output.count { total += Double(output[i]) * Double(r[i]) }
        return total
    }

    /// Runs the check; `prepare` runs before every forward (e.g. to reset a dropout generator).
    static func check(
        _ layer: Layer, input: Tensor, step: Float = 1e-2, limit: Int = 48,
        relative: Double = 2e-2, absolute: Double = 2e-3, checkInput: Bool = true, outlierFraction: Double = 0,
        prepare: () -> Void = {}, file: StaticString = #filePath, line: UInt = #line
    ) {
        prepare()
        let output = layer.forward(input, training: true)
        let r = randomTensor(output.shape, seed: 99)
        for parameter in layer.parameters { parameter.zeroGradient() }
        prepare()
        _ = layer.forward(input, training: true)
        let dInput = layer.backward(r)
        XCTAssertEqual(dInput.shape, input.shape, "\(layer.name): dInput shape", file: file, line: line)

        if checkInput {
            var x = input
            let indices = FiniteDifference.sampleIndices(count: x.count, limit: limit)
            let numeric = FiniteDifference.gradient(
                indices: indices, read: { x[$0] }, write: { x[$0] = $1 }, step: step,
                loss: { prepare(); return weightedSum(layer.forward(x, training: true), r) })
            compare(indices.map { dInput[$0] }, numeric, relative: relative, absolute: absolute,
                    outlierFraction: outlierFraction, "\(layer.name) dInput", file: file, line: line)
        }
        for parameter in layer.parameters {
            let analytic = parameter.gradient
            let indices = FiniteDifference.sampleIndices(count: parameter.count, limit: limit)
            let numeric = FiniteDifference.gradient(
                indices: indices, read: { parameter.value[$0] }, write: { parameter.value[$0] = $1 }, step: step,
                loss: { prepare(); return weightedSum(layer.forward(input, training: true), r) })
            compare(indices.map { analytic[$0] }, numeric, relative: relative, absolute: absolute,
                    outlierFraction: outlierFraction, parameter.name, file: file, line: line)
        }
    }

    /// Like `assertGradientClose`, but a composite layer with ReLUs inside may have a few
    /// elements whose finite difference straddles a kink: up to `outlierFraction` of the
    /// checked elements may disagree (0 = none may).
    static func compare(_ analytic: [Float], _ numeric: [Double], relative: Double, absolute: Double,
                        outlierFraction: Double, _ label: String, file: StaticString, line: UInt) {
        if outlierFraction == 0 {
            assertGradientClose(analytic: analytic, numeric: numeric, relative: relative, absolute: absolute,
                                label, file: file, line: line)
            return
        }
        let bad = zip(analytic, numeric).filter { a, n in
            abs(Double(a) - n) > absolute + relative * max(abs(Double(a)), abs(n))
        }
        XCTAssertLessThanOrEqual(Double(bad.count), outlierFraction * Double(analytic.count),
                                 "\(label): \(bad.count) of \(analytic.count) elements disagree, e.g. \(bad.prefix(3))",
                                 file: file, line: line)
    }

    /// A random input whose elements are at least `margin` away from zero (away from ReLU kinks).
    static func inputAwayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
        var t = randomTensor(shape, seed: seed)
        for i in 0..<t.count { t[i] += t[i] < 0 ? -margin : margin }
        return t
    }
}
