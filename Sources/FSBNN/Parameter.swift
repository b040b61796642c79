import FSBCore

/// What a trainable tensor is, so optimizers can treat groups differently
/// (for example no weight decay on FSB factors or BatchNorm unless the config says so).
public enum ParameterRole: String, CaseIterable, Sendable {
    case weight, bias, normalization, scalingFactor
}

/// A constraint re-applied after every optimizer step.
public enum ParameterConstraint: Sendable {
    case none
    case nonnegative
    case clip(Float)
}

/// A trainable tensor with its gradient (same shape).
public final class Parameter {
    public let name: String
    public var value: Tensor
    public var gradient: Tensor
    public let role: ParameterRole
    public let constraint: ParameterConstraint

    public init(name: String, value: Tensor, role: ParameterRole, constraint: ParameterConstraint = .none) {
        self.name = name
        self.value = value
        self.gradient = Tensor(shape: value.shape)
        self.role = role
        self.constraint = constraint
    }

    /// Re-imposes the constraint on `value` (clamp at 0, or clip to [-c, c]).
    public func applyConstraint() {
        switch constraint {
        case .none: return
        case .nonnegative:
            value.storage.withUnsafeMutableBufferPointer { v in
                for i in v.indices where v[i] < 0 { v[i] = 0 }
            }
        case .clip(let limit):
            value.storage.withUnsafeMutableBufferPointer { v in
                for i in v.indices { v[i] = min(limit, max(-limit, v[i])) }
            }
        }
    }
}
