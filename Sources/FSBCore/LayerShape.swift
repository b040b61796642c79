/// The shape of one convolution or linear layer and what its weights are: the one description
/// of a layer shared by the model profile, the network-to-simulator bridge and the
/// accelerator simulator (`Network.layerShapes` builds it from a model, `TopologyCSV` from a
/// SCALE-Sim file).
///
/// Input is `[inputChannels, inputHeight, inputWidth]` (one image, CHW), weights are
/// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`; a linear layer is the case
/// `inputHeight = inputWidth = kernelHeight = kernelWidth = 1`. The output size is the usual
/// `floor((H + 2*padding - kernelHeight) / stride) + 1` (`outputSize`).
///
/// `method` is the layer's weight method as written in configs (`"fp"`, `"fsb"`, ...) and
/// `weights` its `WeightEncoding` (the FSB sign codebook is part of it); both are nil for
/// layers read from a SCALE-Sim topology, which has no methods (the simulator runs such
/// layers on the accelerator's main unit). Those layers also carry `padding = 0`:
/// SCALE-Sim's IFMAP already includes the padding (see `TopologyCSV`).
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
    /// The weight method's name, or nil (topology layers).
    public var method: String?
    /// What the weights are, or nil (topology layers: the main unit's own encoding).
    public var weights: WeightEncoding?

    public init(name: String, kind: Kind = .conv, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                outputChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
                padding: Int = 0, method: String? = nil, weights: WeightEncoding? = nil) {
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
        self.method = method
        self.weights = weights
    }

    /// A fully connected layer `inputFeatures -> outputFeatures` (one output pixel).
    public static func linear(name: String, inputFeatures: Int, outputFeatures: Int, method: String? = nil,
                              weights: WeightEncoding? = nil) -> LayerShape {
        LayerShape(name: name, kind: .linear, inputChannels: inputFeatures, inputHeight: 1, inputWidth: 1,
                   outputChannels: outputFeatures, kernelHeight: 1, kernelWidth: 1, method: method, weights: weights)
    }

    /// The output size along one axis: `floor((input + 2*padding - kernel) / stride) + 1`.
    @inline(__always)
    public static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (input + 2 * padding - kernel) / stride + 1
    }

    /// Output rows: `floor((inputHeight + 2*padding - kernelHeight) / stride) + 1`.
    public var outputHeight: Int { LayerShape.outputSize(input: inputHeight, kernel: kernelHeight, stride: stride, padding: padding) }
    /// Output columns: `floor((inputWidth + 2*padding - kernelWidth) / stride) + 1`.
    public var outputWidth: Int { LayerShape.outputSize(input: inputWidth, kernel: kernelWidth, stride: stride, padding: padding) }
    /// The FSB sign-codebook size `N` of a `fixedSigns` layer (nil: none, or not fsb).
    public var signCodebook: Int? {
        if case .fixedSigns(let codebook) = weights { return codebook }
        return nil
    }
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
    /// a codebook outside `1...Co*Ci`, a ternary nonzero fraction outside `0...1`), or nil
    /// when valid.
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
        if let codebook = signCodebook, codebook < 1 || codebook > outputChannels * inputChannels {
            return "\(name): codebook must be in 1...\(outputChannels * inputChannels), got \(codebook)"
        }
        if case .ternary(let fraction) = weights, !(0...1).contains(fraction) {
            return "\(name): ternary nonzero fraction must be in 0...1, got \(fraction)"
        }
        return nil
    }
}
