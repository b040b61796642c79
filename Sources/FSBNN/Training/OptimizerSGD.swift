import FSBCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
/// decay, with PyTorch's update rule (Sutskever et al. 2013):
/// `g = grad + wd*w; b = mu*b + g (b = g on the first step); w -= lr * (nesterov ? g + mu*b : b)`.
public typealias SGD = RuleOptimizer<SGDRule>

extension RuleOptimizer where Rule == SGDRule {
    public convenience init(momentum: Float = 0, nesterov: Bool = false, weightDecay: WeightDecayPolicy = .init(coefficient: 0)) {
        self.init(rule: SGDRule(momentum: momentum, nesterov: nesterov), weightDecay: weightDecay)
    }
}

/// SGD's update; the momentum buffer `b` is its one slot (none without momentum).
public struct SGDRule: OptimizerRule {
    public let momentum: Float
    public let nesterov: Bool

    public var slots: [String] { momentum == 0 ? [] : ["momentum"] }

    public func update(_ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                       state: [UnsafeMutablePointer<Float>], isFirstStep: Bool, learningRate: Float, decay: Float) {
        let mu = momentum
        for i in 0..<w.count {
            var d = g[i] + decay * w[i]
            if mu != 0 {
                let b = state[0]
                b[i] = isFirstStep ? d : mu * b[i] + d
                d = nesterov ? d + mu * b[i] : b[i]
            }
            w[i] -= learningRate * d
        }
    }
}
