import FSBCore
@testable import FSBNN
import XCTest

final class SoftmaxCrossEntropyTests: XCTestCase {
    func testHandComputedLossAndGradient() {
        // logits [1, 2, 3], label 2: loss = log(1 + e^-1 + e^-2) = 0.4076059644
        let result = SoftmaxCrossEntropy.evaluate(logits: Tensor(shape: [1, 3], storage: [1, 2, 3]), labels: [2])
        XCTAssertEqual(result.loss, 0.4076059644, accuracy: 1e-7)
        XCTAssertEqual(result.dLogits[0], 0.0900305732, accuracy: 1e-6)
        XCTAssertEqual(result.dLogits[1], 0.2447284711, accuracy: 1e-6)
        XCTAssertEqual(result.dLogits[2], 0.6652409558 - 1, accuracy: 1e-6)
        XCTAssertEqual(result.correct, 1)
    }

    func testStableForHugeLogits() {
        let result = SoftmaxCrossEntropy.evaluate(logits: Tensor(shape: [2, 2], storage: [1000, 0, 0, 1000]), labels: [0, 0])
        XCTAssertTrue(result.loss.isFinite)
        XCTAssertEqual(result.loss, 500, accuracy: 1e-6) // (0 + 1000) / 2
        XCTAssertEqual(result.correct, 1)
    }

    func testLabelSmoothing() {
        // Two classes, equal logits: any target distribution gives loss ln 2.
        let result = SoftmaxCrossEntropy.evaluate(logits: Tensor(shape: [1, 2], storage: [0, 0]), labels: [0], labelSmoothing: 0.1)
        XCTAssertEqual(result.loss, log(2.0), accuracy: 1e-7)
        // gradient = softmax - target = 0.5 - 0.95 and 0.5 - 0.05
        XCTAssertEqual(result.dLogits[0], -0.45, accuracy: 1e-6)
        XCTAssertEqual(result.dLogits[1], 0.45, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifference() {
        var logits = Tensor(shape: [3, 4], storage: (0..<12).map { Float($0 % 5) * 0.3 - 0.5 })
        let labels: [Int32] = [1, 3, 0]
        let analytic = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, labelSmoothing: 0.1).dLogits
        for i in 0..<12 {
            let h: Float = 1e-2
            let saved = logits[i]
            logits[i] = saved + h
            let plus = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, labelSmoothing: 0.1).loss
            logits[i] = saved - h
            let minus = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, labelSmoothing: 0.1).loss
            logits[i] = saved
            XCTAssertEqual(Double(analytic[i]), (plus - minus) / Double(2 * h), accuracy: 1e-4)
        }
    }
}
