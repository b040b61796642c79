import FSBCore

/// Flattens `[N, d1, d2, ...]` to `[N, d1*d2*...]` (row-major, no copy of the elements).
public final class Flatten: Layer {
    public let name: String
    private var cachedInputShape: [Int] = []

    public init(name: String) { self.name = name }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { [inputShape.reduce(1, *)] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        cachedInputShape = input.shape
        return input.reshaped([input.shape[0], input.count / max(1, input.shape[0])])
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "\(name): backward before forward")
        return dOutput.reshaped(cachedInputShape)
    }
}
