import FSBCore
@testable import FSBNN
import XCTest

/// Optimizer steps against values computed by hand (see the comments).
final class OptimizerTests: XCTestCase {
    private func scalar(_ name: String = "w", value: Float = 1, role: ParameterRole = .weight,
                        constraint: ParameterConstraint = .none) -> Parameter {
        Parameter(name: name, value: Tensor(shape: [1], storage: [value]), role: role, constraint: constraint)
    }

    /// Steps a weight of value 1 with gradient 0.5 (the same at every step) by `optimizer` at
    /// learning rate 0.1, checking its value after step k against `expected[k]`.
    private func assertSteps(_ optimizer: Optimizer, expected: [Float], line: UInt = #line) {
        let p = scalar()
        p.gradient[0] = 0.5
        for (step, value) in expected.enumerated() {
            optimizer.step([p], learningRate: 0.1)
            XCTAssertEqual(p.value[0], value, accuracy: 1e-6, "step \(step + 1)", line: line)
        }
    }

    func testSGDMomentumWithWeightDecay() {
        // step 1: d = 0.5 + 0.01*1 = 0.51, b = 0.51, w = 1 - 0.1*0.51 = 0.949
        // step 2: d = 0.5 + 0.01*0.949 = 0.50949, b = 0.9*0.51 + 0.50949 = 0.96849, w = 0.852151
        assertSteps(SGD(momentum: 0.9, weightDecay: .init(coefficient: 0.01)), expected: [0.949, 0.852151])
    }

    func testSGDNesterov() {
        // b = 0.51, d = 0.51 + 0.9*0.51 = 0.969, w = 1 - 0.0969 = 0.9031
        assertSteps(SGD(momentum: 0.9, nesterov: true, weightDecay: .init(coefficient: 0.01)), expected: [0.9031])
    }

    func testWeightDecaySkipsExemptRoles() {
        // A scaling factor gets no decay by default: w = 1 - 0.1*0.5 = 0.95.
        let p = scalar(role: .scalingFactor)
        let sgd = SGD(weightDecay: .init(coefficient: 0.5))
        p.gradient[0] = 0.5
        sgd.step([p], learningRate: 0.1)
        XCTAssertEqual(p.value[0], 0.95, accuracy: 1e-7)
        let q = scalar(role: .scalingFactor)
        q.gradient[0] = 0.5
        SGD(weightDecay: .init(coefficient: 0.5, roles: [.scalingFactor])).step([q], learningRate: 0.1)
        XCTAssertEqual(q.value[0], 1 - 0.1 * (0.5 + 0.5), accuracy: 1e-7)
    }

    func testNonnegativeConstraintClampsAfterStep() {
        let p = scalar(value: 0.01, role: .scalingFactor, constraint: .nonnegative)
        p.gradient[0] = 1
        SGD().step([p], learningRate: 0.1)
        XCTAssertEqual(p.value[0], 0)
    }

    func testAdamTwoSteps() {
        // m1 = 0.05, v1 = 0.00025, mhat = 0.5, vhat = 0.25 -> w = 1 - 0.1*0.5/0.5 = 0.9
        // m2 = 0.095, v2 = 0.00049975, mhat = 0.5, vhat = 0.25 -> w = 0.8
        assertSteps(Adam(), expected: [0.9, 0.8])
    }

    func testAdamL2AndAdamWDecoupled() {
        // Adam with L2 0.1: g = 0.5 + 0.1 = 0.6, first step moves by lr exactly: w = 0.9.
        assertSteps(Adam(weightDecay: .init(coefficient: 0.1)), expected: [0.9])
        // AdamW: w = 1 - 0.1*0.1*1 = 0.99, then - 0.1 -> 0.89.
        assertSteps(Adam(weightDecay: .init(coefficient: 0.1), decoupled: true), expected: [0.89])
    }

    func testOptimizerStateRoundTrip() throws {
        for make in [{ SGD(momentum: 0.9) as Optimizer }, { Adam() as Optimizer }] {
            let a = scalar(), b = scalar()
            let first = make(), second = make()
            a.gradient[0] = 0.3
            first.step([a], learningRate: 0.1)
            try second.loadState(first.stateTensors(), parameters: [b])
            b.value = a.value
            a.gradient[0] = 0.7
            b.gradient[0] = 0.7
            first.step([a], learningRate: 0.1)
            second.step([b], learningRate: 0.1)
            XCTAssertEqual(a.value, b.value)
        }
    }

    /// A new optimizer is its update rule: `RuleOptimizer` brings the loop, the state slots,
    /// decay by role, constraints and the saved state.
    private struct SignDescent: OptimizerRule {
        var steps = 0
        var slots: [String] { ["last"] }
        var counters: [String: Float] {
            get { ["sign.steps": Float(steps)] }
            set { steps = Int(newValue["sign.steps"] ?? 0) }
        }
        mutating func beginStep() { steps += 1 }
        func update(_ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                    state: [UnsafeMutablePointer<Float>], isFirstStep: Bool, learningRate: Float, decay: Float) {
            for i in 0..<w.count {
                state[0][i] = isFirstStep ? 0 : g[i]
                w[i] -= learningRate * ((g[i] + decay * w[i]) < 0 ? -1 : 1)
            }
        }
    }

    func testARuleIsAWholeOptimizer() throws {
        let p = scalar(value: 0.05, role: .scalingFactor, constraint: .nonnegative), q = scalar("q")
        let optimizer = RuleOptimizer(rule: SignDescent(), weightDecay: .init(coefficient: 10))
        p.gradient[0] = 0.5
        q.gradient[0] = -0.5
        optimizer.step([p, q], learningRate: 0.1)
        // p: no decay for its role, 0.05 - 0.1 clamped at 0; q: -0.5 + 10*1 > 0, 1 - 0.1.
        XCTAssertEqual([p.value[0], q.value[0]], [0, 0.9])
        optimizer.step([q], learningRate: 0.1)
        let saved = optimizer.stateTensors()
        XCTAssertEqual(Set(saved.keys), ["sign.steps", "w.last", "q.last"])
        XCTAssertEqual(saved["sign.steps"]?.storage, [2])
        XCTAssertEqual(saved["w.last"]?.storage, [0])
        XCTAssertEqual(saved["q.last"]?.storage, [-0.5])
        let restored = RuleOptimizer(rule: SignDescent())
        try restored.loadState(saved, parameters: [p, q])
        XCTAssertEqual(restored.rule.steps, 2)
        XCTAssertEqual(restored.stateTensors(), saved)
        XCTAssertThrowsError(try restored.loadState(saved.filter { $0.key != "sign.steps" }, parameters: [p])) { error in
            XCTAssertEqual("\(error)", #"optimizer state: missing "sign.steps""#)
        }
    }

    func testGradientClipping() {
        let p = scalar()
        let q = scalar("v")
        p.gradient[0] = 3
        q.gradient[0] = 4
        let norm = GradientClipping.clipGlobalNorm([p, q], maxNorm: 1)
        XCTAssertEqual(norm, 5)
        XCTAssertEqual(p.gradient[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(q.gradient[0], 0.8, accuracy: 1e-6)
    }
}
