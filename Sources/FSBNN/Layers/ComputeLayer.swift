import FSBCore

/// A layer whose product is with a weight of some method: `Conv2D` and `Linear`. The
/// profile, the sign path, precision switching, checkpoints and the bridge to the simulator
/// see every such layer through this protocol.
public protocol ComputeLayer: Layer {
    /// The weight: its method, trainable tensors and `What`.
    var weight: any WeightParameterization { get }
    /// `[Co]`, zero-initialised; nil when the layer has no bias.
    var bias: Parameter? { get }
    /// The arithmetic of the layer's products.
    var precision: ComputePrecision { get set }
    /// When set, inference (`training == false`) calls this instead of the float path; used
    /// by the simulator's bit-accurate check to run the layer on an integer datapath model.
    var inferenceOverride: ((Tensor) -> Tensor)? { get set }
    /// The layer's shape (with its method and weight encoding) for the per-sample input
    /// shape that shape tracing recorded.
    func layerShape(inputShape: [Int]) -> LayerShape
}

extension ComputeLayer {
    /// The weight's trainable tensors, then the bias.
    public var parameters: [Parameter] { weight.parameters + [bias].compactMap { $0 } }

    /// The weight's fixed tensors (FSB signs from a checkpoint).
    public var buffers: [String: Tensor] {
        get { weight.buffers }
        set { weight.buffers = newValue }
    }
}
