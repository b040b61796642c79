import FSBCore

/// What `BatchNorm2D` and `BatchNorm1D` share: the name and the `BatchNormalization` core,
/// whose gamma and beta are the layer's parameters and whose running statistics are its
/// buffers. Each subclass adds its shapes, forward and backward.
public class BatchNormLayer {
    public let name: String
    let core: BatchNormalization

    public init(name: String, channels: Int) {
        self.name = name
        core = BatchNormalization(name: name, channels: channels)
    }

    public var parameters: [Parameter] { [core.gamma, core.beta] }
    public var buffers: [String: Tensor] {
        get { core.buffers }
        set { core.setBuffers(newValue) }
    }
}
