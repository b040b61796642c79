import FSBCore

/// A whole model: a root `Sequential` over per-sample input shape `inputShape` (`[C, H, W]`),
/// producing logits `[N, classCount]`. Gives the trainer its parameters, the checkpoint code
/// its state (parameters + buffers, stable names) and the profile/hardware code its shapes.
public final class Network {
    public let root: Sequential
    /// Per-sample input shape, e.g. `[1, 28, 28]`.
    public let inputShape: [Int]
    public let classCount: Int
    /// The model seed every init, sign and dropout stream derives from.
    public let seed: UInt64
    /// Every leaf layer in execution order with its per-sample input and output shapes.
    public let shapeRecords: [LayerShapeRecord]

    /// Builds the network and checks that `inputShape` flows through it to `[classCount]`.
    public init(root: Sequential, inputShape: [Int], classCount: Int, seed: UInt64) throws {
        self.root = root
        self.inputShape = inputShape
        self.classCount = classCount
        self.seed = seed
        var records: [LayerShapeRecord] = []
        let output = try root.traceShapes(inputShape: inputShape, into: &records)
        guard output == [classCount] else {
            throw FSBError("model output shape is \(output), expected [\(classCount)] logits")
        }
        shapeRecords = records
    }

    /// Throws a one-line error unless `shape` is `[N] + inputShape` with `N >= 1`; call it
    /// once per dataset before training, since `forward` treats a wrong shape as a bug.
    public func checkInput(shape: [Int]) throws {
        guard shape.count == inputShape.count + 1, shape[0] >= 1, Array(shape.dropFirst()) == inputShape else {
            throw FSBError("model input: expected batches shaped [N, \(inputShape.map(String.init).joined(separator: ", "))], found \(shape)")
        }
    }

    /// Logits `[N, classCount]` for input `[N] + inputShape`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        root.forward(input, training: training)
    }

    /// Back-propagates `dLogits` `[N, classCount]`, accumulating every parameter gradient.
    /// The gradient with respect to the network input is not needed, so a leading Conv2D
    /// skips computing it.
    public func backward(_ dLogits: Tensor) {
        if let firstConvolution = root.layers.first as? Conv2D { firstConvolution.skipsNextInputGradient = true }
        _ = root.backward(dLogits)
    }

    /// Trainable parameters in a stable order (FSB signs are never among them).
    public var parameters: [Parameter] { root.parameters }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Every layer (containers and leaves), depth first.
    public var allLayers: [Layer] { root.allLayers }

    /// Every Conv2D and Linear as a `LayerShape` (shapes, method and weight encoding), in
    /// execution order: what the profile and the accelerator simulator see of the network.
    public var layerShapes: [LayerShape] { shapeRecords.compactMap(Network.layerShape) }

    /// The shape of a traced Conv2D or Linear (nil for other layers).
    static func layerShape(of record: LayerShapeRecord) -> LayerShape? {
        (record.layer as? any ComputeLayer)?.layerShape(inputShape: record.inputShape)
    }

    /// The weight parameterization of every Conv2D/Linear, keyed by layer name, in execution order.
    public var weightParameterizations: [(layerName: String, weight: any WeightParameterization)] {
        shapeRecords.compactMap { record in
            (record.layer as? any ComputeLayer).map { (layerName: $0.name, weight: $0.weight) }
        }
    }

    /// The fixed signs of every FSB layer, keyed by layer name.
    public var fixedSigns: [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, weight) in weightParameterizations { if let signs = weight.signs { result[name] = signs } }
        return result
    }

    /// Sets the signs of every FSB layer with `signInit = checkpoint` to `sign(W)` of the fp
    /// weight `"<layer>.weight"` in `weights` (a trained fp model's state). Returns the layers set.
    @discardableResult
    public func setFixedSigns(from weights: [String: Tensor]) throws -> [String] {
        var updated: [String] = []
        for (name, weight) in weightParameterizations {
            guard let fsb = weight as? FSBWeight, fsb.options.signInit == .checkpoint else { continue }
            guard let source = weights["\(name).weight"] else {
                throw FSBError("sign checkpoint has no tensor '\(name).weight' for fsb layer '\(name)' (signInit = checkpoint)")
            }
            try fsb.setSigns(fromWeight: source)
            updated.append(name)
        }
        return updated
    }

    /// Parameters in `parameters` order, then buffers sorted by name.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        let parameterState = parameters.map { (name: $0.name, tensor: $0.value) }
        let bufferState = root.buffers.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
        return parameterState + bufferState
    }

    /// Restores what `stateTensors()` saved. Every tensor must be present with the model's
    /// shape, and no unknown tensor may be present; nothing changes when this throws.
    public func loadState(_ state: [String: Tensor]) throws {
        let expected = stateTensors()
        let expectedNames = Set(expected.map(\.name))
        for item in expected {
            guard let stored = state[item.name] else {
                throw FSBError("checkpoint does not match the model: tensor \"\(item.name)\" (shape \(item.tensor.shape)) is missing")
            }
            guard stored.shape == item.tensor.shape else {
                throw FSBError("checkpoint does not match the model: tensor \"\(item.name)\" has shape \(stored.shape), the model expects \(item.tensor.shape)")
            }
        }
        if let unknown = state.keys.sorted().first(where: { !expectedNames.contains($0) }) {
            throw FSBError("checkpoint does not match the model: it holds tensor \"\(unknown)\" that the model does not have")
        }
        for (name, weight) in weightParameterizations where weight.fsbOptions?.signInit == .checkpoint {
            if let stored = state["\(name).signs"], !stored.storage.allSatisfy({ $0 == 1 || $0 == -1 }) {
                throw FSBError("tensor '\(name).signs': expected only +1/-1 values")
            }
        }
        for parameter in parameters { if let stored = state[parameter.name] { parameter.value = stored } }
        var bufferState: [String: Tensor] = [:]
        for name in root.buffers.keys { bufferState[name] = state[name] }
        root.buffers = bufferState
    }

    /// Generator states of the random layers (dropout), keyed by stream name.
    public var randomState: [String: [UInt64]] {
        get { root.randomState }
        set { root.randomState = newValue }
    }

    /// Parameter counts, memory and arithmetic per layer and in total.
    public func profile() -> ModelProfile { ModelProfile(network: self) }
}
