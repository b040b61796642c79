import FSBCore
import XCTest

/// Central finite differences for gradient checks: for each checked element `i`,
/// `(L(x_i + h) - L(x_i - h)) / 2h`, with the loss evaluated in Double.
public enum FiniteDifference {
    /// Numerical gradient of `loss` with respect to the elements `indices` of a value that
    /// `read`/`write` expose (write must make the next `loss()` call see the new value).
    public static func gradient(
        indices: [Int],
        read: (Int) -> Float,
        write: (Int, Float) -> Void,
        step: Float = 1e-2,
        loss: () -> Double
    ) -> [Double] {
        indices.map { i in
            let original = read(i)
            write(i, original + step)
            let plus = loss()
            write(i, original - step)
            let minus = loss()
            write(i, original)
            let actualStep = Double(original + step) - Double(original - step)
            return (plus - minus) / actualStep
        }
    }

    /// Indices to check: all of them when `count <= limit`, else `limit` spread evenly.
    public static func sampleIndices(count: Int, limit: Int = 64) -> [Int] {
        if count <= limit { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }
}

/// Asserts that an analytic gradient matches a numerical one element by element:
/// `|a - n| <= absolute + relative * max(|a|, |n|)`.
public func assertGradientClose(
    analytic: [Float], numeric: [Double], relative: Double = 2e-2, absolute: Double = 2e-3,
    _ label: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(analytic.count, numeric.count, "\(label): count", file: file, line: line)
    for (i, (a, n)) in zip(analytic, numeric).enumerated() {
        let tolerance = absolute + relative * max(abs(Double(a)), abs(n))
        if abs(Double(a) - n) > tolerance {
            XCTFail("\(label)[\(i)]: analytic \(a) vs numeric \(n)", file: file, line: line)
            return
        }
    }
}

/// Asserts two tensors have the same shape and agree to `tolerance` element-wise.
public func assertTensorsClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-4, _ label: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "\(label): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    for i in 0..<actual.count {
        let scale = max(1, abs(expected[i]))
        if abs(actual[i] - expected[i]) > tolerance * scale {
            XCTFail("\(label)[\(i)]: \(actual[i]) vs \(expected[i])", file: file, line: line)
            return
        }
    }
}

/// A tensor of i.i.d. standard normal values from a seeded generator.
public func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed, stream: "test")
    var t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = rng.nextGaussian() * scale }
    return t
}
