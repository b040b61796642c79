import FSBCore

/// Builds the models of the experiments from a `ModelSpec`, with stable layer names:
/// - MLP: `flatten`, `fc1`, [`bn1`], `relu1`, [`dropout1`], ..., `fc`.
/// - LeNet-5 (input 28x28 gives the classic 400-120-84 head): `conv1` 6@5x5 pad 2, [`bn1`],
///   `relu1`, `pool1` (max 2), `conv2` 16@5x5, [`bn2`], `relu2`, `pool2`, `flatten`, `fc1` 120,
///   [`bn3`], `relu3`, [`dropout1`], `fc2` 84, [`bn4`], `relu4`, [`dropout2`], `fc`. Convs have a
///   bias only without BatchNorm. 61,706 parameters for 1x28x28 and 10 classes.
/// - VGG-small: `conv1`..`conv6` (128-128-M-256-256-M-512-512-M, 3x3 pad 1, no bias) each with
///   `bnK`, `reluK`; `pool1`..`pool3`; `flatten`, [`dropout`], `fc`. 4,660,106 parameters for CIFAR.
/// - ResNet-(6n+2): `conv1` 16@3x3, `bn1`, `relu1`, stages `layer1`..`layer3` (16, 32, 64
///   channels, strides 1, 2, 2) of n `ResidualBlock`s `layerS.B`, `avgpool`, [`dropout`], `fc`.
///   269,722 parameters for ResNet-20 on CIFAR-10 with option A.
/// The first compute layer is `conv1` (`fc1` for an MLP), the last is always `fc`.
public enum ModelFactory {
    public static func build(_ spec: ModelSpec, inputShape: [Int], classCount: Int, seed: UInt64) throws -> Network {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw FSBError("model input shape must be [channels, height, width] with positive sizes, found \(inputShape)")
        }
        guard classCount >= 1 else { throw FSBError("model class count must be at least 1, found \(classCount)") }
        guard spec.widthMultiplier > 0, spec.widthMultiplier.isFinite else {
            throw FSBError("model widthMultiplier must be positive, found \(spec.widthMultiplier)")
        }
        guard spec.dropout >= 0, spec.dropout < 1 else {
            throw FSBError("model dropout must be in [0, 1), found \(spec.dropout)")
        }
        var builder = Builder(spec: spec, seed: seed, inputShape: inputShape, classCount: classCount)
        let layers: [Layer]
        switch spec.architecture {
        case .mlp(let hidden): layers = try builder.mlp(hidden: hidden)
        case .lenet5: layers = try builder.lenet5()
        case .vggSmall: layers = try builder.vggSmall()
        case .resnet(let depth): layers = try builder.resnet(depth: depth)
        }
        let network = try Network(root: Sequential(name: "", layers: layers), inputShape: inputShape,
                                  classCount: classCount, seed: seed)
        let names = Set(network.layerShapes.map(\.name))
        if let unknown = spec.methods.overrides.keys.sorted().first(where: { !names.contains($0) }) {
            throw UnknownLayerOverride(name: unknown, layers: network.layerShapes.map(\.name))
        }
        return network
    }

    /// Carries the spec while the layers are created.
    private struct Builder {
        let spec: ModelSpec
        let seed: UInt64
        let inputShape: [Int]
        let classCount: Int
        let workspace = ScratchWorkspace()
        var computeLayerCount = 0

        init(spec: ModelSpec, seed: UInt64, inputShape: [Int], classCount: Int) {
            self.spec = spec
            self.seed = seed
            self.inputShape = inputShape
            self.classCount = classCount
        }

        func width(_ channels: Int) -> Int { max(1, Int((Double(channels) * spec.widthMultiplier).rounded())) }

        /// The method of a compute layer; the first one created is the "first layer".
        mutating func method(_ name: String) -> WeightMethod {
            computeLayerCount += 1
            return spec.methods.method(for: name, isFirst: computeLayerCount == 1, isLast: name == "fc")
        }

        mutating func conv(_ name: String, _ input: Int, _ output: Int, kernel: Int, stride: Int = 1,
                           padding: Int, bias: Bool) throws -> Conv2D {
            try Conv2D(name: name, inputChannels: input, outputChannels: output, kernelSize: kernel,
                       stride: stride, padding: padding, bias: bias, method: method(name), seed: seed,
                       workspace: workspace)
        }

        mutating func linear(_ name: String, _ input: Int, _ output: Int) throws -> Linear {
            try Linear(name: name, inputFeatures: input, outputFeatures: output, bias: true,
                       method: method(name), seed: seed)
        }

        func dropout(_ name: String) throws -> [Layer] {
            spec.dropout > 0 ? [try Dropout(name: name, rate: Float(spec.dropout), seed: seed)] : []
        }

        /// Per-sample feature count after `layers` (validates the input fits them).
        func flatSize(after layers: [Layer]) throws -> Int {
            try Sequential(name: "", layers: layers).outputShape(for: inputShape).reduce(1, *)
        }

        /// Hidden fc blocks `fcK [bnK] reluK [dropoutJ]` followed by `fc`.
        mutating func head(features: Int, hidden: [Int], firstIndex: Int, batchNormIndex: Int) throws -> [Layer] {
            var layers: [Layer] = []
            var current = features
            for (j, size) in hidden.enumerated() {
                guard size > 0 else { throw FSBError("model hidden layer \(j + 1) must have a positive size, found \(size)") }
                let k = firstIndex + j
                layers.append(try linear("fc\(k)", current, size))
                if spec.batchNorm { layers.append(BatchNorm1D(name: "bn\(batchNormIndex + j)", features: size)) }
                layers.append(ReLU(name: "relu\(batchNormIndex + j)"))
                layers += try dropout("dropout\(j + 1)")
                current = size
            }
            layers.append(try linear("fc", current, classCount))
            return layers
        }

        mutating func mlp(hidden: [Int]) throws -> [Layer] {
            let features = inputShape.reduce(1, *)
            return [Flatten(name: "flatten")] + (try head(features: features, hidden: hidden.map(width), firstIndex: 1, batchNormIndex: 1))
        }

        mutating func lenet5() throws -> [Layer] {
            let c1 = width(6), c2 = width(16)
            let bn = spec.batchNorm
            var layers: [Layer] = [try conv("conv1", inputShape[0], c1, kernel: 5, padding: 2, bias: !bn)]
            if bn { layers.append(BatchNorm2D(name: "bn1", channels: c1)) }
            layers += [ReLU(name: "relu1"), MaxPool2D(name: "pool1", kernelSize: 2)]
            layers.append(try conv("conv2", c1, c2, kernel: 5, padding: 0, bias: !bn))
            if bn { layers.append(BatchNorm2D(name: "bn2", channels: c2)) }
            layers += [ReLU(name: "relu2"), MaxPool2D(name: "pool2", kernelSize: 2), Flatten(name: "flatten")]
            let features = try flatSize(after: layers)
            return layers + (try head(features: features, hidden: [width(120), width(84)], firstIndex: 1, batchNormIndex: 3))
        }

        mutating func vggSmall() throws -> [Layer] {
            let plan = [128, 128, 0, 256, 256, 0, 512, 512, 0]
            var layers: [Layer] = []
            var channels = inputShape[0]
            var convIndex = 0, poolIndex = 0
            for entry in plan {
                if entry == 0 {
                    poolIndex += 1
                    layers.append(MaxPool2D(name: "pool\(poolIndex)", kernelSize: 2))
                    continue
                }
                convIndex += 1
                let output = width(entry)
                layers.append(try conv("conv\(convIndex)", channels, output, kernel: 3, padding: 1, bias: false))
                layers.append(BatchNorm2D(name: "bn\(convIndex)", channels: output))
                layers.append(ReLU(name: "relu\(convIndex)"))
                channels = output
            }
            layers.append(Flatten(name: "flatten"))
            let features = try flatSize(after: layers)
            layers += try dropout("dropout")
            layers.append(try linear("fc", features, classCount))
            return layers
        }

        mutating func resnet(depth: Int) throws -> [Layer] {
            guard depth >= 8, (depth - 2) % 6 == 0 else {
                throw FSBError("model resnet depth must be 6n+2 with n >= 1 (20, 32, 56, ...), found \(depth)")
            }
            let blocksPerStage = (depth - 2) / 6
            let stem = width(16)
            var layers: [Layer] = [
                try conv("conv1", inputShape[0], stem, kernel: 3, padding: 1, bias: false),
                BatchNorm2D(name: "bn1", channels: stem), ReLU(name: "relu1"),
            ]
            var channels = stem
            for (stage, base) in [16, 32, 64].enumerated() {
                let output = width(base)
                var blocks: [Layer] = []
                for b in 0..<blocksPerStage {
                    let stride = (stage > 0 && b == 0) ? 2 : 1
                    let blockName = "layer\(stage + 1).\(b)"
                    var count = computeLayerCount
                    let plan = spec.methods
                    let block = try ResidualBlock(
                        name: blockName, inputChannels: channels, outputChannels: output, stride: stride,
                        shortcut: spec.shortcut, seed: seed, workspace: workspace
                    ) { name in
                        count += 1
                        return plan.method(for: name, isFirst: count == 1, isLast: false)
                    }
                    computeLayerCount = count
                    blocks.append(block)
                    channels = output
                }
                layers.append(Sequential(name: "layer\(stage + 1)", layers: blocks))
            }
            layers.append(GlobalAvgPool(name: "avgpool"))
            layers += try dropout("dropout")
            layers.append(try linear("fc", channels, classCount))
            return layers
        }
    }
}

/// A per-layer method override names no Conv2D/Linear layer of the model.
public struct UnknownLayerOverride: UserFacingError, Equatable {
    public let name: String
    /// The model's Conv2D/Linear layer names, in order.
    public let layers: [String]
    public var description: String {
        "no conv/linear layer named \"\(name)\"; layers are: \(layers.joined(separator: ", "))"
    }
}
