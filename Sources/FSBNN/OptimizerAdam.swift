import FSBCore
import Foundation

/// Adam (Kingma & Ba, ICLR 2015) and AdamW (Loshchilov & Hutter, ICLR 2019).
///
/// `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)`.
/// Adam adds L2 decay to the gradient (`g += wd*w`); AdamW decays the weight directly
/// (`w -= lr*wd*w`) before the Adam step.
public final class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: WeightDecayPolicy
    /// True for AdamW's decoupled weight decay.
    public let decoupled: Bool
    private var firstMoment: [String: Tensor] = [:]
    private var secondMoment: [String: Tensor] = [:]
    /// Number of steps taken (t in the formula).
    public private(set) var stepCount = 0

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: WeightDecayPolicy = .init(coefficient: 0), decoupled: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        stepCount += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(stepCount)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(stepCount)))
        for parameter in parameters {
            let decay = weightDecay.coefficient(for: parameter)
            var m = firstMoment.removeValue(forKey: parameter.name) ?? Tensor(shape: parameter.value.shape)
            var v = secondMoment.removeValue(forKey: parameter.name) ?? Tensor(shape: parameter.value.shape)
            let (b1, b2, eps, isDecoupled) = (beta1, beta2, epsilon, decoupled)
            parameter.value.storage.withUnsafeMutableBufferPointer { w in
                parameter.gradient.storage.withUnsafeBufferPointer { g in
                    m.storage.withUnsafeMutableBufferPointer { m in
                        v.storage.withUnsafeMutableBufferPointer { v in
                            for i in 0..<w.count {
                                var grad = g[i]
                                if isDecoupled {
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
                }
            }
            firstMoment[parameter.name] = m
            secondMoment[parameter.name] = v
            parameter.applyConstraint()
        }
    }

    public func stateTensors() -> [String: Tensor] {
        var state: [String: Tensor] = ["adam.step": Tensor(shape: [1], storage: [Float(stepCount)])]
        for (name, tensor) in firstMoment { state["\(name).m"] = tensor }
        for (name, tensor) in secondMoment { state["\(name).v"] = tensor }
        return state
    }

    public func loadState(_ state: [String: Tensor], parameters: [Parameter]) throws {
        let step = try savedSlot(state, "adam.step", shape: [1])
        stepCount = Int(step[0])
        firstMoment = [:]
        secondMoment = [:]
        for parameter in parameters where state["\(parameter.name).m"] != nil {
            firstMoment[parameter.name] = try savedSlot(state, "\(parameter.name).m", shape: parameter.value.shape)
            secondMoment[parameter.name] = try savedSlot(state, "\(parameter.name).v", shape: parameter.value.shape)
        }
    }
}
