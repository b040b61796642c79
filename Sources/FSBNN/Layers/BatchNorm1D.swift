import FSBCore

/// Batch normalisation over features `[N, F]` (statistics over N); same rules, names and
/// buffers as `BatchNorm2D`.
public final class BatchNorm1D: Layer {
    public let name: String
    public let features: Int
    let core: BatchNormalization

    public init(name: String, features: Int) {
        self.name = name
        self.features = features
        core = BatchNormalization(name: name, channels: features)
    }

    public var parameters: [Parameter] { [core.gamma, core.beta] }
    public var buffers: [String: Tensor] {
        get { core.buffers }
        set { core.setBuffers(newValue) }
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
