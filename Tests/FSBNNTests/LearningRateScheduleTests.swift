@testable import FSBNN
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testConstant() {
        let s = LearningRateSchedule(base: 0.1, kind: .constant)
        XCTAssertEqual(s.rate(step: 57, stepsPerEpoch: 10, totalEpochs: 10), 0.1)
    }

    func testStepDecaysAtMilestoneEpochs() {
        let s = LearningRateSchedule(base: 1, kind: .step(milestones: [2, 4], gamma: 0.1))
        XCTAssertEqual(s.rate(step: 19, stepsPerEpoch: 10, totalEpochs: 6), 1)
        XCTAssertEqual(s.rate(step: 20, stepsPerEpoch: 10, totalEpochs: 6), 0.1, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 45, stepsPerEpoch: 10, totalEpochs: 6), 0.01, accuracy: 1e-12)
    }

    func testCosine() {
        let s = LearningRateSchedule(base: 1, kind: .cosine(minimum: 0))
        XCTAssertEqual(s.rate(step: 0, stepsPerEpoch: 10, totalEpochs: 1), 1, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 5, stepsPerEpoch: 10, totalEpochs: 1), 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 10, stepsPerEpoch: 10, totalEpochs: 1), 0, accuracy: 1e-12)
    }

    func testLinearWarmupThenCosine() {
        let s = LearningRateSchedule(base: 1, kind: .cosine(minimum: 0), warmupEpochs: 1)
        let rates = (0..<8).map { s.rate(step: $0, stepsPerEpoch: 4, totalEpochs: 2) }
        XCTAssertEqual(Array(rates[0..<4]), [0.25, 0.5, 0.75, 1.0])
        XCTAssertEqual(rates[4], 1, accuracy: 1e-12)
        XCTAssertEqual(rates[6], 0.5, accuracy: 1e-12)
    }

    func testOneCycleMatchesPyTorchShape() {
        // base 1, div 25, final div 1e4, pct 0.3, 100 steps: peak at step 29 (0.3*100 - 1).
        let s = LearningRateSchedule(base: 1, kind: .oneCycle(pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4))
        XCTAssertEqual(s.rate(step: 0, stepsPerEpoch: 100, totalEpochs: 1), 0.04, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 29, stepsPerEpoch: 100, totalEpochs: 1), 1, accuracy: 1e-12)
        XCTAssertEqual(s.rate(step: 99, stepsPerEpoch: 100, totalEpochs: 1), 4e-6, accuracy: 1e-12)
    }
}
