import FSBCore

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
/// decay, with PyTorch's update rule (Sutskever et al. 2013):
/// `g = grad + wd*w; b = mu*b + g (b = g on the first step); w -= lr * (nesterov ? g + mu*b : b)`.
public final class SGD: Optimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: WeightDecayPolicy
    /// Momentum buffers by parameter name.
    private var velocity: [String: Tensor] = [:]

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: WeightDecayPolicy = .init(coefficient: 0)) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate: Float) {
        for parameter in parameters {
            let decay = weightDecay.coefficient(for: parameter)
            let mu = momentum
            let isFirst = velocity[parameter.name] == nil
            var buffer = velocity.removeValue(forKey: parameter.name) ?? Tensor(shape: parameter.value.shape)
            let useNesterov = nesterov
            parameter.value.storage.withUnsafeMutableBufferPointer { w in
                parameter.gradient.storage.withUnsafeBufferPointer { g in
                    buffer.storage.withUnsafeMutableBufferPointer { b in
                        for i in 0..<w.count {
                            var d = g[i] + decay * w[i]
                            if mu != 0 {
                                b[i] = isFirst ? d : mu * b[i] + d
                                d = useNesterov ? d + mu * b[i] : b[i]
                            }
                            w[i] -= learningRate * d
                        }
                    }
                }
            }
            if mu != 0 { velocity[parameter.name] = buffer }
            parameter.applyConstraint()
        }
    }

    public func stateTensors() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, tensor) in velocity { state["\(name).momentum"] = tensor }
        return state
    }

    public func loadState(_ state: [String: Tensor], parameters: [Parameter]) throws {
        velocity = [:]
        guard momentum != 0 else { return }
        for parameter in parameters where state["\(parameter.name).momentum"] != nil {
            velocity[parameter.name] = try savedSlot(state, "\(parameter.name).momentum", shape: parameter.value.shape)
        }
    }
}
