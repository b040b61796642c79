import FSBCore
import FSBNN
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
        relative: Double = 2e-2, absolute: Double = 2e-3, checkInput: Bool = true, kinkAware: Bool = false,
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
            let numeric = numericGradient(indices: indices, read: { x[$0] }, write: { x[$0] = $1 }, step: step,
                                          kinkAware: kinkAware, relative: relative, absolute: absolute,
                                          loss: { prepare(); return weightedSum(layer.forward(x, training: true), r) })
            compare(indices.map { dInput[$0] }, numeric, relative: relative, absolute: absolute,
                    "\(layer.name) dInput", file: file, line: line)
        }
        for parameter in layer.parameters {
            let analytic = parameter.gradient
            let indices = FiniteDifference.sampleIndices(count: parameter.count, limit: limit)
            let numeric = numericGradient(
                indices: indices, read: { parameter.value[$0] }, write: { parameter.value[$0] = $1 }, step: step,
                kinkAware: kinkAware, relative: relative, absolute: absolute,
                loss: { prepare(); return weightedSum(layer.forward(input, training: true), r) })
            compare(indices.map { analytic[$0] }, numeric, relative: relative, absolute: absolute,
                    parameter.name, file: file, line: line)
        }
    }

    /// Central differences at `step`; with `kinkAware`, also at `step/2`, and an element whose
    /// two estimates disagree (a ReLU/max-pool kink lies within the step, which happens often
    /// in composite layers where BatchNorm couples every activation of a channel) gets NaN
    /// and is skipped by `compare`.
    static func numericGradient(indices: [Int], read: (Int) -> Float, write: (Int, Float) -> Void, step: Float,
                                kinkAware: Bool, relative: Double, absolute: Double, loss: () -> Double) -> [Double] {
        let coarse = FiniteDifference.gradient(indices: indices, read: read, write: write, step: step, loss: loss)
        guard kinkAware else { return coarse }
        let fine = FiniteDifference.gradient(indices: indices, read: read, write: write, step: step / 2, loss: loss)
        return zip(coarse, fine).map { c, f in
            abs(c - f) <= (absolute + relative * max(abs(c), abs(f))) / 2 ? f : .nan
        }
    }

    /// `assertGradientClose` over the elements whose numeric value is not NaN; at least a
    /// quarter of the elements must remain.
    static func compare(_ analytic: [Float], _ numeric: [Double], relative: Double, absolute: Double,
                        _ label: String, file: StaticString, line: UInt) {
        let kept = zip(analytic, numeric).filter { !$0.1.isNaN }
        XCTAssertGreaterThanOrEqual(4 * kept.count, analytic.count, "\(label): too many kinks skipped", file: file, line: line)
        assertGradientClose(analytic: kept.map(\.0), numeric: kept.map(\.1), relative: relative, absolute: absolute,
                            label, file: file, line: line)
    }

    /// A random input whose elements are at least `margin` away from zero (away from ReLU kinks).
    static func inputAwayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
        var t = randomTensor(shape, seed: seed)
        for i in 0..<t.count { t[i] += t[i] < 0 ? -margin : margin }
        return t
    }
}
