import FSBCore
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

    /// The range of every size of a layer (channels, height, width, kernel, stride).
    public static let dimensionRange = ValueRange(1...65_536)
    /// The range of the padding.
    public static let paddingRange = ValueRange(0...65_536)
    /// At most this many multiply-accumulates, input, weight or output elements per layer
    /// and input, so that every count the simulator derives (times the batch size, see
    /// `HardwareSimulation.workLimit`) fits an `Int`.
    public static let elementLimit = 1 << 40

    /// A description of the first problem with this shape (sizes outside `dimensionRange`,
    /// a kernel larger than the padded input, more than `elementLimit` MACs or elements,
    /// a codebook outside `1...Co*Ci`), or nil when valid.
    public var problem: String? {
        let sizes: [(String, Int)] = [
            ("inputChannels", inputChannels), ("inputHeight", inputHeight), ("inputWidth", inputWidth),
            ("outputChannels", outputChannels), ("kernelHeight", kernelHeight),
            ("kernelWidth", kernelWidth), ("stride", stride),
        ]
        for (field, value) in sizes {
            if let problem = LayerShape.dimensionRange.problem(value) { return "\(name): \(field) \(problem), got \(value)" }
        }
        if let problem = LayerShape.paddingRange.problem(padding) { return "\(name): padding \(problem), got \(padding)" }
        if kernelHeight > inputHeight + 2 * padding || kernelWidth > inputWidth + 2 * padding {
            return "\(name): kernel \(kernelHeight)x\(kernelWidth) is larger than the padded input "
                + "\(inputHeight + 2 * padding)x\(inputWidth + 2 * padding)"
        }
        let counts: [(String, Int?)] = [
            ("input elements", CheckedArithmetic.product([inputChannels, inputHeight, inputWidth])),
            ("output elements", CheckedArithmetic.product([outputChannels, outputHeight, outputWidth])),
            ("weights", CheckedArithmetic.product([outputChannels, inputChannels, kernelHeight, kernelWidth])),
            ("multiply-accumulates", CheckedArithmetic.product([outputChannels, inputChannels, kernelHeight, kernelWidth,
                                                                outputHeight, outputWidth])),
        ]
        for (what, count) in counts where (count ?? Int.max) > LayerShape.elementLimit {
            return "\(name): \(what) must be at most \(LayerShape.elementLimit) per input, got \(count.map(String.init) ?? "more than 2^63")"
        }
        if let codebook, codebook < 1 || codebook > outputChannels * inputChannels {
            return "\(name): codebook must be in 1...\(outputChannels * inputChannels), got \(codebook)"
        }
        return nil
    }
}
