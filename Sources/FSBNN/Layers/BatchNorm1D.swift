import FSBCore

/// Batch normalisation over features `[N, F]` (statistics over N); same rules, names and
/// buffers as `BatchNorm2D`.
public final class BatchNorm1D: BatchNormLayer, Layer {
    public var features: Int { core.channels }

    public init(name: String, features: Int) {
        super.init(name: name, channels: features)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [features] else {
            throw ShapeError(layer: name, expected: "[\(features)]", found: inputShape)
        }
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == features, "\(name): input \(input.shape)")
        return core.forward(input, batch: input.shape[0], plane: 1, training: training)
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        core.backward(dOutput, batch: dOutput.shape[0], plane: 1)
    }
}
