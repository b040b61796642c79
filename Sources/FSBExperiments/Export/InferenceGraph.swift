import FSBCore
import FSBData
import FSBNN

/// A trained network flattened into the steps of one inference, for the exporters: values
/// (per-sample shapes, without the batch) and the steps that compute them, in execution
/// order. Value 0 is the normalised input image `[C, H, W]`; the last step's output is the
/// logits `[classes]`. Dropout (the identity in inference) has no step.
///
/// Built from the network's own layers (`Sequential`, `ResidualBlock`, `Conv2D`, `Linear`,
/// `BatchNorm2D/1D`, `ReLU`, `MaxPool2D`, `AvgPool2D`, `GlobalAvgPool`, `Flatten`,
/// `Dropout`); a residual block becomes its convolutions, normalisations and ReLUs, its
/// shortcut (identity, option-A zero-padded subsampling, or option-B projection) and an
/// `add`. Weights are the effective weights `What` each layer's method computes.
public struct InferenceGraph {
    /// A tensor flowing through the graph.
    public struct Value: Equatable {
        /// The layer that produced it (the image for value 0).
        public var name: String
        /// Per-sample shape: `[C, H, W]` or `[F]`.
        public var shape: [Int]
    }

    /// The weights of a Conv2D or Linear layer.
    public struct ComputeWeights {
        /// The layer's weight parameterization (method, signs, factors, latent weights).
        public var parameterization: WeightParameterization
        /// `What`: `[Co, Ci, kh, kw]` or `[Co, Ci]`.
        public var effective: Tensor
        /// `[Co]`, or nil.
        public var bias: Tensor?
        public var method: WeightMethod { parameterization.method }
    }

    /// What a step computes.
    public enum Operation {
        /// A convolution with square kernel, stride and zero padding.
        case convolution(weights: ComputeWeights, kernel: Int, stride: Int, padding: Int)
        /// `y = x What^T + b` over `[F]`.
        case linear(weights: ComputeWeights)
        /// Per-channel inference normalisation over `[C, H, W]` or `[F]`.
        case batchNorm(BatchNormInference)
        case relu
        /// Square window, stride, no padding.
        case maxPool(kernel: Int, stride: Int)
        case averagePool(kernel: Int, stride: Int)
        /// `[C, H, W]` -> `[C]`, the mean of each plane.
        case globalAveragePool
        /// `[C, H, W]` -> `[C*H*W]`, row-major.
        case flatten
        /// Element-wise sum of two values of one shape.
        case add
        /// ResNet option-A shortcut: `x[:, ::stride, ::stride]` placed at channels
        /// `channelOffset ..< channelOffset + Ci` of `outputChannels` zero channels.
        case paddedSubsample(stride: Int, channelOffset: Int, outputChannels: Int)
    }

    /// One step: `values[output] = operation(values[inputs])`.
    public struct Step {
        /// The network layer's name (`"layer2.0.conv1"`); residual sums are `"<block>.add"`.
        public var name: String
        public var operation: Operation
        public var inputs: [Int]
        public var output: Int
    }

    public private(set) var values: [Value]
    public private(set) var steps: [Step]
    /// Dataset whose normalisation the input expects.
    public let dataset: DatasetName
    /// Per-channel mean and std of the normalisation `x = (pixel/255 - mean) / std`.
    public let mean: [Float]
    public let std: [Float]
    public let classCount: Int

    /// Index of the logits value.
    public var outputValue: Int { steps.last?.output ?? 0 }

    /// Flattens `network`, whose input is an image of `dataset`.
    public init(network: Network, dataset: DatasetName) throws {
        self.dataset = dataset
        mean = dataset.channelMean
        std = dataset.channelStd
        classCount = network.classCount
        values = [Value(name: "input", shape: network.inputShape)]
        steps = []
        let output = try append(network.root, input: 0)
        guard values[output].shape == [network.classCount] else {
            throw FSBError("export: the network ends in shape \(values[output].shape), expected [\(network.classCount)] logits")
        }
    }

    /// Adds a step and its output value; returns the value's index.
    private mutating func step(_ name: String, _ operation: Operation, inputs: [Int], shape: [Int]) -> Int {
        values.append(Value(name: name, shape: shape))
        steps.append(Step(name: name, operation: operation, inputs: inputs, output: values.count - 1))
        return values.count - 1
    }

    private static func weights(_ parameterization: WeightParameterization, bias: Parameter?) -> ComputeWeights {
        parameterization.refresh()
        return ComputeWeights(parameterization: parameterization, effective: parameterization.effectiveWeight,
                              bias: bias?.value)
    }

    /// Appends the steps of `layer` applied to value `input`; returns its output value.
    private mutating func append(_ layer: Layer, input: Int) throws -> Int {
        let shape = values[input].shape
        switch layer {
        case let sequential as Sequential:
            var current = input
            for child in sequential.layers { current = try append(child, input: current) }
            return current
        case let block as ResidualBlock:
            return try appendResidual(block, input: input)
        case let conv as Conv2D:
            guard conv.kernelHeight == conv.kernelWidth else {
                throw FSBError("export: layer '\(conv.name)' has a \(conv.kernelHeight)x\(conv.kernelWidth) kernel; only square kernels are exported")
            }
            return step(conv.name, .convolution(weights: Self.weights(conv.weight, bias: conv.bias), kernel: conv.kernelHeight,
                                                stride: conv.stride, padding: conv.padding),
                        inputs: [input], shape: try conv.outputShape(for: shape))
        case let linear as Linear:
            return step(linear.name, .linear(weights: Self.weights(linear.weight, bias: linear.bias)),
                        inputs: [input], shape: try linear.outputShape(for: shape))
        case let norm as BatchNorm2D:
            return step(norm.name, .batchNorm(norm.inference), inputs: [input], shape: try norm.outputShape(for: shape))
        case let norm as BatchNorm1D:
            return step(norm.name, .batchNorm(norm.inference), inputs: [input], shape: try norm.outputShape(for: shape))
        case let relu as ReLU:
            return step(relu.name, .relu, inputs: [input], shape: shape)
        case let pool as MaxPool2D:
            return step(pool.name, .maxPool(kernel: pool.kernelSize, stride: pool.stride), inputs: [input],
                        shape: try pool.outputShape(for: shape))
        case let pool as AvgPool2D:
            return step(pool.name, .averagePool(kernel: pool.kernelSize, stride: pool.stride), inputs: [input],
                        shape: try pool.outputShape(for: shape))
        case let pool as GlobalAvgPool:
            return step(pool.name, .globalAveragePool, inputs: [input], shape: try pool.outputShape(for: shape))
        case let flatten as Flatten:
            // Flattening a vector changes nothing.
            if shape.count == 1 { return input }
            return step(flatten.name, .flatten, inputs: [input], shape: try flatten.outputShape(for: shape))
        case is Dropout:
            return input
        default:
            throw FSBError("export: layer '\(layer.name)' (\(type(of: layer))) has no exported form")
        }
    }

    private mutating func appendResidual(_ block: ResidualBlock, input: Int) throws -> Int {
        var main = input
        for layer in [block.conv1, block.bn1, block.relu1, block.conv2, block.bn2] as [Layer] {
            main = try append(layer, input: main)
        }
        let shortcut: Int
        if let projection = block.projection {
            shortcut = try append(projection.bn, input: try append(projection.conv, input: input))
        } else if block.usesPaddedIdentity {
            let offset = (block.outputChannels - block.inputChannels) / 2
            shortcut = step("\(block.name).shortcut", .paddedSubsample(stride: block.stride, channelOffset: offset,
                                                                      outputChannels: block.outputChannels),
                            inputs: [input], shape: values[main].shape)
        } else {
            shortcut = input
        }
        guard values[shortcut].shape == values[main].shape else {
            throw FSBError("export: block '\(block.name)': shortcut shape \(values[shortcut].shape) differs from the main path's \(values[main].shape)")
        }
        let sum = step("\(block.name).add", .add, inputs: [main, shortcut], shape: values[main].shape)
        return try append(block.outputReLU, input: sum)
    }
}
