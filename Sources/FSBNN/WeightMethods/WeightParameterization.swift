import FSBCore

/// How a `Conv2D` or `Linear` layer produces the weight `What` of its forward pass from its
/// trainable tensors, maps `dL/dWhat` back onto them, and what the weight costs to store,
/// update and compute with. One type per method, each in its own file under
/// `WeightMethods/` holding its forward, its gradient rule and its accounting together (the
/// way larq keeps a quantizer's forward, pseudo-gradient and precision in one place); the
/// factory is `WeightMethod.implementation` (`WeightMethod.swift`).
///
/// Weight layout (`WeightLayout`): `[Co, Ci, kh, kw]` for a convolution, `[Co, Ci]` for a
/// linear layer (`K = kh*kw`, `K = 1` for linear), `n = Ci*K` the fan-in. The methods:
/// `FullPrecisionWeight` (fp), `FSBWeight`, and the methods that quantize a latent real
/// weight, `LatentWeight<Quantizer>` with the quantizers `BinaryConnectQuantizer` and
/// `BWNQuantizer` (`LatentWeight.swift`). `sign(0) = +1` everywhere.
public protocol WeightParameterization: AnyObject {
    /// The method's name as written in configs and tables (`"bwn"`).
    static var name: String { get }
    /// Creates the method's tensors for `layout`; `method` is the identity this type
    /// implements (with its options).
    init(layout: WeightLayout, method: WeightMethod) throws
    /// The method's identity (with its options).
    var method: WeightMethod { get }
    /// The weight's shape, the layer name and the seed the streams derive from.
    var layout: WeightLayout { get }
    /// The trainable tensors, in a stable order.
    var parameters: [Parameter] { get }
    /// Fixed (non-trainable) tensors a checkpoint must carry, by full state name; setting
    /// restores the entries whose keys are present. Empty for most methods.
    var buffers: [String: Tensor] { get set }
    /// Non-trainable weight scalars counted as parameters by the profile (FSB's signs).
    var fixedCount: Int { get }
    /// The weight of the forward pass, `What` (valid after `refresh()`).
    var effectiveWeight: Tensor { get }
    /// Identifies `What`: it changes whenever anything `What` is computed from changes
    /// (caches derived from `What`, like a convolution's packed inference weights, compare it).
    var effectiveWeightStamp: WeightStamp { get }
    /// Recomputes `What` from the current trainable values (call before each forward); does
    /// nothing when nothing it reads changed since the last call.
    func refresh()
    /// Maps `dL/dWhat` (layout of the weight, `weightCount` elements) onto the trainable
    /// tensors' gradients, ADDING to them: the method's gradient (straight-through) rule.
    /// Uses the values of the last `refresh()`.
    func accumulateGradient(dEffectiveWeight dWhat: UnsafePointer<Float>)
    /// Bits to store the weight for inference.
    var storedBits: Int { get }
    /// Bits a model update must carry for this weight.
    var updateBits: Int { get }
    /// Multiplications and additions/subtractions per image for `outputPixels` output
    /// pixels `P` (`P = 1` for a linear layer).
    func operationCounts(outputPixels p: Int) -> (mults: Int, addsubs: Int)
    /// What the accelerator simulator needs to know about the weights (how they are stored,
    /// what arithmetic they allow); it picks the unit that runs the layer by it.
    var weightEncoding: WeightEncoding { get }
}

/// What `What` was computed from: the version of the trainable tensor and a counter of
/// the fixed tensors' replacements (FSB signs; 0 for the other methods).
public struct WeightStamp: Equatable, Sendable {
    public var source: UInt64
    public var fixed: UInt64
    public init(source: UInt64, fixed: UInt64 = 0) {
        self.source = source
        self.fixed = fixed
    }
}

/// The shape of a Conv2D/Linear weight and the names and seed its random streams derive from.
public struct WeightLayout: Equatable, Sendable {
    public let layerName: String
    /// `[Co, Ci, kh, kw]` or `[Co, Ci]`.
    public let shape: [Int]
    /// The model seed the init and sign streams derive from.
    public let seed: UInt64
    public let outputChannels: Int
    public let inputChannels: Int
    /// Kernel window size `K = kh*kw` (1 for linear layers).
    public let kernelSize: Int
    /// Number of weights `Co*Ci*K`.
    public let weightCount: Int

    public init(layerName: String, shape: [Int], seed: UInt64) throws {
        guard shape.count == 2 || shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
            throw FSBError("layer '\(layerName)': weight shape must be [Co, Ci] or [Co, Ci, kh, kw] with positive sizes, found \(shape)")
        }
        self.layerName = layerName
        self.shape = shape
        self.seed = seed
        outputChannels = shape[0]
        inputChannels = shape[1]
        kernelSize = shape.count == 4 ? shape[2] * shape[3] : 1
        weightCount = shape.reduce(1, *)
    }

    /// Fan-in `n = Ci*K`, the weights of one output channel.
    public var fanIn: Int { inputChannels * kernelSize }
    /// Dense multiply-accumulates (or add/subs) per image, `Co*Ci*K*P`.
    public func denseOperations(outputPixels p: Int) -> Int { weightCount * p }
    /// He's standard deviation `sqrt(2/n)`.
    var heStandardDeviation: Float { Float((2.0 / Double(fanIn)).squareRoot()) }
    /// The init stream name, `"<layer>.init"`.
    public var initStream: String { "\(layerName).init" }
    /// The sign stream name, `"<layer>.signs"`.
    public var signStream: String { "\(layerName).signs" }

    /// The latent (or real) weight `"<layer>.weight"`, `W ~ N(0, 2/n)` drawn in row-major
    /// order from the init stream.
    func heInitializedWeight(constraint: ParameterConstraint = .none) -> Parameter {
        var generator = SeededGenerator(seed: seed, stream: initStream)
        let std = heStandardDeviation
        var w = Tensor(shape: shape)
        for i in 0..<w.count { w[i] = generator.nextGaussian() * std }
        return Parameter(name: "\(layerName).weight", value: w, role: .weight, constraint: constraint)
    }
}

/// `What` of a method that computes it from other tensors, with the stamp it was computed
/// from, so that `refresh()` can skip a recomputation when nothing changed.
struct EffectiveWeightCache {
    var value: Tensor
    private var computedFrom: WeightStamp?

    init(shape: [Int]) { value = Tensor(shape: shape) }

    /// True when `value` was not computed from `current`; records `current` as computed.
    mutating func isStale(for current: WeightStamp) -> Bool {
        if computedFrom == current { return false }
        computedFrom = current
        return true
    }
}

/// The layout, sizes and profile accounting every method shares.
extension WeightParameterization {
    public var buffers: [String: Tensor] {
        get { [:] }
        set {}
    }

    public var layerName: String { layout.layerName }
    /// `[Co, Ci, kh, kw]` or `[Co, Ci]`.
    public var weightShape: [Int] { layout.shape }
    public var outputChannels: Int { layout.outputChannels }
    public var inputChannels: Int { layout.inputChannels }
    /// Kernel window size `K` (1 for linear layers).
    public var kernelSize: Int { layout.kernelSize }
    /// Number of weights `Co*Ci*K`.
    public var weightCount: Int { layout.weightCount }
    /// The model seed.
    public var seed: UInt64 { layout.seed }

    /// Trainable scalars.
    public var trainableCount: Int { parameters.reduce(0) { $0 + $1.count } }
    /// Stored bits per weight.
    public var bitsPerWeight: Double { Double(storedBits) / Double(layout.weightCount) }
}
