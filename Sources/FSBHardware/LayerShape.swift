/// The shape of one convolution or linear layer as the accelerator simulator sees it.
///
/// Input is `[inputChannels, inputHeight, inputWidth]` (one image, CHW), weights are
/// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`; a linear layer is the case
/// `inputHeight = inputWidth = kernelHeight = kernelWidth = 1`. The output size is the usual
/// `floor((H + 2*padding - kernelHeight) / stride) + 1`. `codebook` is the FSB sign-codebook
/// size `N` of the layer (nil: every kernel slice has its own sign pattern).
///
/// Layers read from a SCALE-Sim topology carry `padding = 0`: SCALE-Sim's IFMAP already
/// includes the padding (see `TopologyCSV`).
public struct LayerShape: Equatable, Sendable, Codable {
    /// Convolution or fully connected.
    public enum Kind: String, Equatable, Sendable, Codable, CaseIterable {
        case conv, linear
    }

    public var name: String
    public var kind: Kind
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var outputChannels: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    public var padding: Int
    public var codebook: Int?

    public init(name: String, kind: Kind = .conv, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                outputChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
                padding: Int = 0, codebook: Int? = nil) {
        self.name = name
        self.kind = kind
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        self.codebook = codebook
    }

    /// A fully connected layer `inputFeatures -> outputFeatures` (one output pixel).
    public static func linear(name: String, inputFeatures: Int, outputFeatures: Int) -> LayerShape {
        LayerShape(name: name, kind: .linear, inputChannels: inputFeatures, inputHeight: 1, inputWidth: 1,
                   outputChannels: outputFeatures, kernelHeight: 1, kernelWidth: 1)
    }

    /// Output rows: `floor((inputHeight + 2*padding - kernelHeight) / stride) + 1`.
    public var outputHeight: Int { (inputHeight + 2 * padding - kernelHeight) / stride + 1 }
    /// Output columns: `floor((inputWidth + 2*padding - kernelWidth) / stride) + 1`.
    public var outputWidth: Int { (inputWidth + 2 * padding - kernelWidth) / stride + 1 }
    /// `K = kernelHeight * kernelWidth`.
    public var kernelSize: Int { kernelHeight * kernelWidth }
    /// `P`: output pixels per output channel.
    public var outputPixels: Int { outputHeight * outputWidth }
    /// The reduction depth of one output `Ci * K` (SCALE-Sim's "window size").
    public var windowSize: Int { inputChannels * kernelSize }
    /// Input elements `Ci * H * W` (padding not stored).
    public var inputElements: Int { inputChannels * inputHeight * inputWidth }
    /// Output elements `Co * P`.
    public var outputElements: Int { outputChannels * outputPixels }
    /// Weights `Co * Ci * K`.
    public var weightElements: Int { outputChannels * windowSize }
    /// Multiply-accumulates of the plain layer, `Co * Ci * K * P`.
    public var macs: Int { weightElements * outputPixels }

    /// A description of the first problem with this shape (non-positive sizes, a kernel
    /// larger than the padded input, a codebook outside `1...Co*Ci`), or nil when valid.
    public var problem: String? {
        let positives: [(String, Int)] = [
            ("inputChannels", inputChannels), ("inputHeight", inputHeight), ("inputWidth", inputWidth),
            ("outputChannels", outputChannels), ("kernelHeight", kernelHeight),
            ("kernelWidth", kernelWidth), ("stride", stride),
        ]
        for (field, value) in positives where value < 1 {
            return "\(name): \(field) must be >= 1, got \(value)"
        }
        if padding < 0 { return "\(name): padding must be >= 0, got \(padding)" }
        if kernelHeight > inputHeight + 2 * padding || kernelWidth > inputWidth + 2 * padding {
            return "\(name): kernel \(kernelHeight)x\(kernelWidth) is larger than the padded input "
                + "\(inputHeight + 2 * padding)x\(inputWidth + 2 * padding)"
        }
        if let codebook, codebook < 1 || codebook > outputChannels * inputChannels {
            return "\(name): codebook must be in 1...\(outputChannels * inputChannels), got \(codebook)"
        }
        return nil
    }
}
