import FSBCore

/// A trainable tensor with its gradient, a stable name (`"layer1.0.conv1.weight"`),
/// its role and the constraint to re-apply after each optimizer step.
///
/// `gradient` has the shape of `value`; layers' `backward` ADD into it, so callers
/// zero it (`zeroGradient()` or `Network.zeroGradients()`) before each step.
public final class Parameter {
    public let name: String
    /// The current value. Every change (replacement or in-place update) bumps `version`.
    public var value: Tensor {
        didSet { version &+= 1 }  // no oldValue: Swift then modifies `value` in place (SE-0268)
    }
    /// Counts the changes of `value`, so derived tensors (an FSB layer's `What`) know when
    /// they are stale.
    public private(set) var version: UInt64 = 0
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

    /// Number of scalar elements.
    public var count: Int { value.count }

    /// Sets the gradient to zero in place.
    public func zeroGradient() { gradient.zero() }

    /// Projects `value` onto the constraint set (in place); a no-op for `.none`.
    public func applyConstraint() {
        switch constraint {
        case .none:
            return
        case .nonnegative:
            value.storage.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices where buffer[i] < 0 { buffer[i] = 0 }
            }
        case .symmetricClip(let bound):
            value.storage.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = min(bound, max(-bound, buffer[i])) }
            }
        }
    }
}
