import FSBCore

/// Which parameter roles receive weight decay. By default only `weight`
/// (never FSB scaling factors, BatchNorm parameters or biases, unless asked).
public struct WeightDecayPolicy: Equatable, Sendable {
    /// The decay coefficient (L2 for SGD/Adam, decoupled for AdamW).
    public var coefficient: Float
    /// Roles the decay applies to.
    public var roles: Set<ParameterRole>

    public init(coefficient: Float, roles: Set<ParameterRole> = [.weight]) {
        self.coefficient = coefficient
        self.roles = roles
    }

    /// The coefficient for one parameter (0 when its role is exempt).
    public func coefficient(for parameter: Parameter) -> Float {
        roles.contains(parameter.role) ? coefficient : 0
    }
}

/// An optimizer: owns per-parameter state and applies one step. `RuleOptimizer` implements
/// it for every `OptimizerRule` (SGD, Adam/AdamW); after the step each parameter's
/// constraint is re-applied.
public protocol Optimizer: AnyObject {
    /// Applies one update with the given learning rate, then re-applies constraints.
    func step(_ parameters: [Parameter], learningRate: Float)
    /// Every state tensor, keyed `"<parameter>.<slot>"`, plus scalar counters as 1-element tensors.
    func stateTensors() -> [String: Tensor]
    /// Restores state saved by `stateTensors()`; throws naming the missing or mis-shaped entry.
    func loadState(_ state: [String: Tensor], parameters: [Parameter]) throws
}

extension Optimizer {
    /// Fetches a saved state tensor and checks its shape.
    func savedSlot(_ state: [String: Tensor], _ key: String, shape: [Int]) throws -> Tensor {
        guard let tensor = state[key] else {
            throw FSBError("optimizer state: missing \"\(key)\"")
        }
        guard tensor.shape == shape else {
            throw FSBError("optimizer state: \"\(key)\" has shape \(tensor.shape), expected \(shape)")
        }
        return tensor
    }
}
