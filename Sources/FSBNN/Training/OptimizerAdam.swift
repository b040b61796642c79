import FSBCore
import Foundation

/// Adam (Kingma & Ba, ICLR 2015) and AdamW (Loshchilov & Hutter, ICLR 2019).
///
/// `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)`.
/// Adam adds L2 decay to the gradient (`g += wd*w`); AdamW decays the weight directly
/// (`w -= lr*wd*w`) before the Adam step.
public typealias Adam = RuleOptimizer<AdamRule>

extension RuleOptimizer where Rule == AdamRule {
    public convenience init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                            weightDecay: WeightDecayPolicy = .init(coefficient: 0), decoupled: Bool = false) {
        self.init(rule: AdamRule(beta1: beta1, beta2: beta2, epsilon: epsilon, decoupled: decoupled), weightDecay: weightDecay)
    }

    /// Number of steps taken (t in the formula).
    public var stepCount: Int { rule.stepCount }
}

/// Adam's update; the moments `m` and `v` are its slots, the step count its counter.
public struct AdamRule: OptimizerRule {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// True for AdamW's decoupled weight decay.
    public let decoupled: Bool
    public private(set) var stepCount = 0
    private var correction1: Float = 1
    private var correction2: Float = 1

    public init(beta1: Float, beta2: Float, epsilon: Float, decoupled: Bool) {
        (self.beta1, self.beta2, self.epsilon, self.decoupled) = (beta1, beta2, epsilon, decoupled)
    }

    public var slots: [String] { ["m", "v"] }

    public var counters: [String: Float] {
        get { ["adam.step": Float(stepCount)] }
        set { stepCount = Int(newValue["adam.step"] ?? 0) }
    }

    public mutating func beginStep() {
        stepCount += 1
        correction1 = 1 - Float(pow(Double(beta1), Double(stepCount)))
        correction2 = 1 - Float(pow(Double(beta2), Double(stepCount)))
    }

    public func update(_ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                       state: [UnsafeMutablePointer<Float>], isFirstStep: Bool, learningRate: Float, decay: Float) {
        let m = state[0], v = state[1], (b1, b2, eps) = (beta1, beta2, epsilon)
        for i in 0..<w.count {
            var grad = g[i]
            if decoupled {
                w[i] -= learningRate * decay * w[i]
            } else {
                grad += decay * w[i]
            }
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad * grad
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            w[i] -= learningRate * mHat / (vHat.squareRoot() + eps)
        }
    }
}
