import FSBCore

/// Runs its layers in order (a BatchNorm2D followed by a ReLU in one fused pass, see
/// `LayerChain`); backward runs them in reverse.
public final class Sequential: ContainerLayer {
    public let name: String
    public let layers: [Layer]

    public init(name: String, layers: [Layer]) {
        self.name = name
        self.layers = layers
    }

    public var sublayers: [Layer] { layers }

    public func traceShapes(inputShape: [Int], into records: inout [LayerShapeRecord]) throws -> [Int] {
        var shape = inputShape
        for layer in layers { shape = try layer.traceShapes(inputShape: shape, into: &records) }
        return shape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerChain.forward(layers, input, training: training)
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        var d = dOutput
        for layer in layers.reversed() { d = layer.backward(d) }
        return d
    }
}
