/// The shape of one Conv2D or Linear layer as the profile and the hardware simulator need it.
/// A linear layer is described as a 1x1 "convolution" on a 1x1 input
/// (`inputChannels` = input features, `outputChannels` = output features).
public struct ComputeLayerInfo: Equatable, Sendable {
    public enum Kind: String, Sendable { case conv, linear }
    public let name: String
    public let kind: Kind
    public let inputChannels: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let outputChannels: Int
    public let outputHeight: Int
    public let outputWidth: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    public let hasBias: Bool
    public let method: WeightMethod

    /// Output pixels per image, `P`.
    public var outputPixels: Int { outputHeight * outputWidth }
    /// Kernel window, `K`.
    public var kernelSize: Int { kernelHeight * kernelWidth }
    /// Weights `Co * Ci * K`.
    public var weightCount: Int { outputChannels * inputChannels * kernelSize }
    /// Dense multiply-accumulates per image, `Co * Ci * K * P`.
    public var macs: Int { weightCount * outputPixels }
}
