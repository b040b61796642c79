import FSBCore

/// A method that trains a latent real weight `W` (`"<layer>.weight"`, initialised from the
/// `"<layer>.init"` stream as `W ~ N(0, 2/n)`, He) and derives `What` from it: fp and every
/// `LatentWeight<Quantizer>`. A model update carries everything stored.
public protocol LatentWeightParameterization: WeightParameterization {
    var latentWeight: Parameter { get }
}

extension LatentWeightParameterization {
    public var parameters: [Parameter] { [latentWeight] }
    public var fixedCount: Int { 0 }
    public var effectiveWeightStamp: WeightStamp { WeightStamp(source: latentWeight.version) }
    public var updateBits: Int { storedBits }
}

/// What a method that quantizes a latent weight defines, as a larq quantizer does: the
/// forward (`What` from `W`), the pseudo-gradient (`dW` from `dWhat`), and the precision
/// (stored bits, operation counts). `LatentWeight` owns the tensors and calls it.
public protocol LatentWeightQuantizer {
    /// The method's name as written in configs and tables.
    static var name: String { get }
    /// The constraint `W` carries (re-applied after every optimizer step).
    static var constraint: ParameterConstraint { get }
    init(layout: WeightLayout)
    /// Writes `What` for the latent weight `w` (both of the layout's shape); may record
    /// per-filter state (scales) that the gradient and the accounting read.
    mutating func quantize(_ w: UnsafeBufferPointer<Float>, into what: UnsafeMutableBufferPointer<Float>,
                           layout: WeightLayout)
    /// ADDS the pseudo-gradient of `dWhat` to `dW`, with the state of the last `quantize`.
    func accumulateGradient(_ dWhat: UnsafePointer<Float>, latent w: UnsafeBufferPointer<Float>,
                            into dW: UnsafeMutableBufferPointer<Float>, layout: WeightLayout)
    /// Bits to store the quantized weight for inference.
    func storedBits(_ layout: WeightLayout) -> Int
    /// Multiplications and additions/subtractions per image for `p` output pixels.
    func operationCounts(_ layout: WeightLayout, outputPixels p: Int) -> (mults: Int, addsubs: Int)
    /// The simulator's view of the quantized weight, with the state of the last `quantize`.
    func weightEncoding(_ layout: WeightLayout) -> WeightEncoding
}

extension LatentWeightQuantizer {
    public static var constraint: ParameterConstraint { .none }
}

/// The weight of a method that quantizes a latent real weight `W`: `What = quantize(W)`,
/// recomputed only when `W` changed, and `dW` from the quantizer's pseudo-gradient.
public final class LatentWeight<Quantizer: LatentWeightQuantizer>: LatentWeightParameterization {
    public static var name: String { Quantizer.name }
    public let method: WeightMethod
    public let layout: WeightLayout
    public let latentWeight: Parameter
    /// The quantizer with the state of the last `refresh()` (e.g. BWN's `alpha`).
    public private(set) var quantizer: Quantizer
    private var cache: EffectiveWeightCache

    public init(layout: WeightLayout, method: WeightMethod) {
        self.method = method
        self.layout = layout
        latentWeight = layout.heInitializedWeight(constraint: Quantizer.constraint)
        quantizer = Quantizer(layout: layout)
        cache = EffectiveWeightCache(shape: layout.shape)
        refresh()
    }

    public var effectiveWeight: Tensor { cache.value }

    public func refresh() {
        guard cache.isStale(for: effectiveWeightStamp) else { return }
        latentWeight.value.storage.withUnsafeBufferPointer { w in
            cache.value.storage.withUnsafeMutableBufferPointer { out in
                quantizer.quantize(w, into: out, layout: layout)
            }
        }
    }

    public func accumulateGradient(dEffectiveWeight dWhat: UnsafePointer<Float>) {
        latentWeight.value.storage.withUnsafeBufferPointer { w in
            latentWeight.gradient.storage.withUnsafeMutableBufferPointer { dW in
                quantizer.accumulateGradient(dWhat, latent: w, into: dW, layout: layout)
            }
        }
    }

    public var storedBits: Int { quantizer.storedBits(layout) }

    public func operationCounts(outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        refresh()
        return quantizer.operationCounts(layout, outputPixels: p)
    }

    public var weightEncoding: WeightEncoding {
        refresh()
        return quantizer.weightEncoding(layout)
    }
}
