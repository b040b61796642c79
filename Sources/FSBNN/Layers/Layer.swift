import FSBCore

/// A network layer with a hand-written forward and backward pass.
///
/// `forward` caches what `backward` needs; `backward(dOutput)` reads that cache, ADDS into
/// its parameters' gradients and returns `dInput` (same shape as the last input).
/// Shapes include the batch as the first dimension (`[N, C, H, W]` or `[N, F]`);
/// shape methods (`outputShape(for:)`) take per-sample shapes without the batch.
public protocol Layer: AnyObject {
    /// Stable dotted name, e.g. `"layer1.0.conv1"`; parameters are named `"<name>.<field>"`.
    var name: String { get }
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ dOutput: Tensor) -> Tensor
    /// The trainable parameters of this layer and its sublayers, in a stable order.
    var parameters: [Parameter] { get }
    /// Non-trainable state to checkpoint (e.g. BatchNorm running statistics), keyed by full
    /// name (`"bn1.running_mean"`). Setting replaces the entries whose keys are present.
    var buffers: [String: Tensor] { get set }
    /// Generator states of random layers (dropout), keyed by full stream name.
    var randomState: [String: [UInt64]] { get set }
    /// Direct children of a container layer (empty for leaves).
    var sublayers: [Layer] { get }
    /// Per-sample output shape for a per-sample input shape; throws when the input does not fit.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    /// Appends one record per leaf layer (in execution order) and returns the output shape.
    func traceShapes(inputShape: [Int], into records: inout [LayerShapeRecord]) throws -> [Int]
}

/// A leaf layer seen during shape tracing with its per-sample input and output shapes.
public struct LayerShapeRecord {
    public let layer: Layer
    public let inputShape: [Int]
    public let outputShape: [Int]
}

extension Layer {
    public var parameters: [Parameter] { sublayers.flatMap(\.parameters) }

    public var buffers: [String: Tensor] {
        get {
            var all: [String: Tensor] = [:]
            for child in sublayers { all.merge(child.buffers) { current, _ in current } }
            return all
        }
        set { for child in sublayers { child.buffers = newValue } }
    }

    public var randomState: [String: [UInt64]] {
        get {
            var all: [String: [UInt64]] = [:]
            for child in sublayers { all.merge(child.randomState) { current, _ in current } }
            return all
        }
        set { for child in sublayers { child.randomState = newValue } }
    }

    public var sublayers: [Layer] { [] }

    public func traceShapes(inputShape: [Int], into records: inout [LayerShapeRecord]) throws -> [Int] {
        let output = try outputShape(for: inputShape)
        records.append(LayerShapeRecord(layer: self, inputShape: inputShape, outputShape: output))
        return output
    }

    /// This layer and all layers below it, depth first, containers before their children.
    public var allLayers: [Layer] { [self] + sublayers.flatMap(\.allLayers) }
}

/// Errors about layer shapes that reach users (a dataset that does not fit the model).
struct ShapeError: UserFacingError {
    let layer: String
    let expected: String
    let found: [Int]
    var description: String {
        "layer '\(layer)': expected input \(expected), found per-sample shape \(found)"
    }
}
