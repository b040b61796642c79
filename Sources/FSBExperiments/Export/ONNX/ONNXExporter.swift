import FSBCore
import FSBData
import FSBNN
import Foundation

/// Turns a trained model into an ONNX model (opset 13) for inference.
///
/// - Input `images`: float32 `[N, C, H, W]`, raw pixels scaled to [0, 1] (`pixel / 255`).
///   The dataset normalisation is the graph's first two nodes: `Sub` the per-channel mean,
///   `Div` by the std (initialisers `normalization.mean`, `normalization.std`,
///   `[1, C, 1, 1]`).
/// - Output `logits`: float32 `[N, classes]`.
/// - Convolutions are `Conv`, linear layers `Gemm` (`transB = 1`), with the *effective*
///   weight `What` of the layer's method as initialiser `<layer>.weight` (fsb: `A * S`,
///   bwn: `alpha[o] * sign(W)`, binaryconnect: `sign(W)`, fp: `W`) and `<layer>.bias`.
/// - BatchNorm is **not folded**: each is a `BatchNormalization` node with its running
///   statistics (`<layer>.weight`, `.bias`, `.running_mean`, `.running_var`, `epsilon`),
///   so the exported weights stay exactly the trained `What`; runtimes fold it themselves.
/// - ReLU `Relu`, pooling `MaxPool`/`AveragePool`, global average pooling
///   `GlobalAveragePool` + `Flatten`, `Flatten`, residual sums `Add`; the ResNet option-A
///   shortcut is `Slice` (steps = stride on H and W) then `Pad` (zero channels).
/// - Every intermediate value carries its shape (`value_info`), named after its layer.
/// - `metadata_props` name the dataset, architecture, methods, FSB options, the
///   checkpoint (path, SHA-256, epoch) and these conventions (keys `fsb.*`).
public enum ONNXExporter {
    /// The ONNX model of `model`.
    public static func export(_ model: TrainedModel) throws -> ONNXModel {
        let graph = try InferenceGraph(network: model.network, dataset: model.config.dataset.name)
        var builder = Builder(graph: graph)
        try builder.build()
        return ONNXModel(
            producerName: "fsb", producerVersion: "export-1",
            docString: "FSB network exported by fsb export: \(model.config.model.architecture.rawValue), method \(model.config.model.method.rawValue), dataset \(graph.dataset.rawValue). Input: raw pixels / 255, NCHW float32; output: logits.",
            graphName: model.config.name,
            nodes: builder.nodes, initializers: builder.initializers,
            inputs: [.init(name: "images", shape: [.parameter("N")] + graph.values[0].shape.map { .value($0) })],
            outputs: [.init(name: "logits", shape: [.parameter("N"), .value(graph.classCount)])],
            valueInfo: builder.valueInfo,
            metadata: metadata(model, graph: graph))
    }

    /// The `fsb.*` metadata entries.
    static func metadata(_ model: TrainedModel, graph: InferenceGraph) -> [(key: String, value: String)] {
        let config = model.config
        let fsb = config.model.fsb
        let layers = graph.steps.compactMap { step -> String? in
            switch step.operation {
            case .convolution(let weights, _, _, _), .linear(let weights): return "\(step.name)=\(weights.method.name)"
            default: return nil
            }
        }
        func list(_ values: [Float]) -> String { values.map { String($0) }.joined(separator: ",") }
        return [
            ("fsb.dataset", graph.dataset.rawValue),
            ("fsb.architecture", config.model.architecture.rawValue),
            ("fsb.method", config.model.method.rawValue),
            ("fsb.first_layer_method", config.model.firstLayerMethod.rawValue),
            ("fsb.last_layer_method", config.model.lastLayerMethod.rawValue),
            ("fsb.layer_methods", layers.joined(separator: ",")),
            ("fsb.fsb_options", "granularity=\(fsb.granularity.rawValue),alphaSign=\(fsb.alphaSign.rawValue),signInit=\(fsb.signInit.rawValue),signCodebook=\(fsb.signCodebook.map(String.init) ?? "none")"),
            ("fsb.seed", String(config.seed)),
            ("fsb.checkpoint", model.path),
            ("fsb.checkpoint_sha256", model.sha256),
            ("fsb.checkpoint_epochs", String(model.checkpoint.header.progress.epoch)),
            ("fsb.input", "images: float32 [N, \(graph.values[0].shape.map(String.init).joined(separator: ", "))], raw pixels / 255 in [0, 1]"),
            ("fsb.normalization", "(images - mean) / std, mean = \(list(graph.mean)), std = \(list(graph.std))"),
            ("fsb.weights", "effective weights What of each layer's method (fsb: A*S, bwn: alpha*sign(W), binaryconnect: sign(W), fp: W)"),
            ("fsb.batchnorm", "BatchNormalization nodes with running statistics, not folded"),
        ]
    }

    /// Accumulates nodes, initialisers and value shapes while walking the graph.
    private struct Builder {
        let graph: InferenceGraph
        var nodes: [ONNXModel.Node] = []
        var initializers: [ONNXModel.Tensor] = []
        var valueInfo: [ONNXModel.ValueInfo] = []
        /// ONNX value name of each graph value.
        var names: [String] = []

        init(graph: InferenceGraph) { self.graph = graph }

        mutating func build() throws {
            let channels = graph.values[0].shape[0]
            initializers.append(.init(name: "normalization.mean", dims: [1, channels, 1, 1], floats: graph.mean))
            initializers.append(.init(name: "normalization.std", dims: [1, channels, 1, 1], floats: graph.std))
            let imageShape = graph.values[0].shape
            nodes.append(.init(name: "normalization.sub", opType: "Sub", inputs: ["images", "normalization.mean"],
                               outputs: ["normalization.centered"]))
            nodes.append(.init(name: "normalization.div", opType: "Div", inputs: ["normalization.centered", "normalization.std"],
                               outputs: ["normalization"]))
            addShape("normalization.centered", imageShape)
            addShape("normalization", imageShape)
            names = [String](repeating: "", count: graph.values.count)
            names[0] = "normalization"
            for step in graph.steps {
                let output = step.output == graph.outputValue ? "logits" : step.name
                names[step.output] = output
                if output != "logits" { addShape(output, graph.values[step.output].shape) }
                try emit(step, output: output)
            }
        }

        mutating func addShape(_ name: String, _ shape: [Int]) {
            valueInfo.append(.init(name: name, shape: [.parameter("N")] + shape.map { .value($0) }))
        }

        mutating func emit(_ step: InferenceGraph.Step, output: String) throws {
            let inputs = step.inputs.map { names[$0] }
            let name = step.name
            switch step.operation {
            case .convolution(let weights, let kernel, let stride, let padding):
                var nodeInputs = [inputs[0], "\(name).weight"]
                initializers.append(.init(name: "\(name).weight", dims: weights.effective.shape, floats: weights.effective.storage))
                if let bias = weights.bias {
                    initializers.append(.init(name: "\(name).bias", dims: bias.shape, floats: bias.storage))
                    nodeInputs.append("\(name).bias")
                }
                let k = Int64(kernel), s = Int64(stride), p = Int64(padding)
                nodes.append(.init(name: name, opType: "Conv", inputs: nodeInputs, outputs: [output], attributes: [
                    ("kernel_shape", .ints([k, k])), ("strides", .ints([s, s])), ("pads", .ints([p, p, p, p])),
                    ("dilations", .ints([1, 1])), ("group", .int(1)),
                ]))
            case .linear(let weights):
                var nodeInputs = [inputs[0], "\(name).weight"]
                initializers.append(.init(name: "\(name).weight", dims: weights.effective.shape, floats: weights.effective.storage))
                if let bias = weights.bias {
                    initializers.append(.init(name: "\(name).bias", dims: bias.shape, floats: bias.storage))
                    nodeInputs.append("\(name).bias")
                }
                nodes.append(.init(name: name, opType: "Gemm", inputs: nodeInputs, outputs: [output],
                                   attributes: [("transB", .int(1))]))
            case .batchNorm(let norm):
                let c = norm.gamma.count
                initializers += [
                    .init(name: "\(name).weight", dims: [c], floats: norm.gamma),
                    .init(name: "\(name).bias", dims: [c], floats: norm.beta),
                    .init(name: "\(name).running_mean", dims: [c], floats: norm.mean),
                    .init(name: "\(name).running_var", dims: [c], floats: norm.variance),
                ]
                nodes.append(.init(name: name, opType: "BatchNormalization",
                                   inputs: [inputs[0], "\(name).weight", "\(name).bias", "\(name).running_mean", "\(name).running_var"],
                                   outputs: [output], attributes: [("epsilon", .float(norm.epsilon))]))
            case .relu:
                nodes.append(.init(name: name, opType: "Relu", inputs: inputs, outputs: [output]))
            case .maxPool(let kernel, let stride), .averagePool(let kernel, let stride):
                let isMax: Bool
                if case .maxPool = step.operation { isMax = true } else { isMax = false }
                let k = Int64(kernel), s = Int64(stride)
                nodes.append(.init(name: name, opType: isMax ? "MaxPool" : "AveragePool", inputs: inputs, outputs: [output],
                                   attributes: [("kernel_shape", .ints([k, k])), ("strides", .ints([s, s]))]))
            case .globalAveragePool:
                let pooled = "\(name).pooled"
                let channels = graph.values[step.output].shape[0]
                nodes.append(.init(name: "\(name).pool", opType: "GlobalAveragePool", inputs: inputs, outputs: [pooled]))
                addShape(pooled, [channels, 1, 1])
                nodes.append(.init(name: name, opType: "Flatten", inputs: [pooled], outputs: [output],
                                   attributes: [("axis", .int(1))]))
            case .flatten:
                nodes.append(.init(name: name, opType: "Flatten", inputs: inputs, outputs: [output],
                                   attributes: [("axis", .int(1))]))
            case .add:
                nodes.append(.init(name: name, opType: "Add", inputs: inputs, outputs: [output]))
            case .paddedSubsample(let stride, let offset, let outputChannels):
                let inputShape = graph.values[step.inputs[0]].shape
                let outputShape = graph.values[step.output].shape
                initializers += [
                    .init(name: "\(name).starts", dims: [2], int64s: [0, 0]),
                    .init(name: "\(name).ends", dims: [2], int64s: [Int64.max, Int64.max]),
                    .init(name: "\(name).axes", dims: [2], int64s: [2, 3]),
                    .init(name: "\(name).steps", dims: [2], int64s: [Int64(stride), Int64(stride)]),
                    .init(name: "\(name).pads", dims: [8],
                          int64s: [0, Int64(offset), 0, 0, 0, Int64(outputChannels - inputShape[0] - offset), 0, 0]),
                ]
                let subsampled = "\(name).subsampled"
                nodes.append(.init(name: "\(name).slice", opType: "Slice",
                                   inputs: [inputs[0], "\(name).starts", "\(name).ends", "\(name).axes", "\(name).steps"],
                                   outputs: [subsampled]))
                addShape(subsampled, [inputShape[0], outputShape[1], outputShape[2]])
                nodes.append(.init(name: "\(name).pad", opType: "Pad", inputs: [subsampled, "\(name).pads"], outputs: [output]))
            }
        }
    }
}
