import FSBCore

/// The options of the FSB method; every choice the paper leaves open is one of these.
public struct FSBOptions: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Shape of the scaling-factor tensor `A`.
    public enum Granularity: String, CaseIterable, Sendable {
        /// One factor per output channel, `A[o]`.
        case filter
        /// One factor per kernel slice, `A[o, i]` (default; what the accelerator needs).
        case kernel
        /// One factor per weight, `A[o, i, kh, kw]` (a sign-constrained network).
        case element
    }

    /// Whether factors are kept non-negative after each optimizer step.
    public enum AlphaSign: String, CaseIterable, Sendable {
        /// `A` is clamped at 0 after every step: every weight's sign is truly fixed.
        case nonnegative
        /// `A` may become negative, flipping a whole group.
        case free
    }

    /// Where the fixed signs come from.
    public enum SignInit: String, CaseIterable, Sendable {
        /// i.i.d. +1/-1 with probability 1/2 from the layer's seeded stream.
        case random
        /// The signs of a trained `fp` checkpoint's weights.
        case checkpoint
    }

    public var granularity: Granularity
    public var alphaSign: AlphaSign
    public var signInit: SignInit
    /// When set, every kernel slice's sign pattern is one of only this many random
    /// patterns of the layer (allows sharing sign convolutions in hardware).
    public var signCodebook: Int?

    public init(granularity: Granularity = .kernel, alphaSign: AlphaSign = .nonnegative,
                signInit: SignInit = .random, signCodebook: Int? = nil) {
        self.granularity = granularity
        self.alphaSign = alphaSign
        self.signInit = signInit
        self.signCodebook = signCodebook
    }

    public var description: String {
        "granularity=\(granularity.rawValue),alphaSign=\(alphaSign.rawValue),signInit=\(signInit.rawValue),codebook=\(signCodebook.map(String.init) ?? "none")"
    }
}

/// `fsb` (FSB, IEEE Access 2020): fixed signs `S` (+1/-1, the weight's shape; never a
/// `Parameter`), trained scaling factors `A` (`"<layer>.scale"`, role `.scalingFactor`),
/// `What = A (broadcast over its group) * S`, `dA = sum over the group of dWhat * S`.
/// `A`'s shape: filter `[Co]`, kernel `[Co, Ci]`, element = the weight shape (for linear
/// layers kernel and element coincide). `alphaSign = nonnegative` gives `A` the constraint
/// `.nonnegative` (clamped at 0 after every step).
///
/// Signs come from `SeededGenerator(seed: modelSeed, stream: "<layer>.signs")`: without a
/// codebook one `nextSign()` per weight in row-major order; with `signCodebook = N` and
/// `K > 1`, first `N` patterns of `K` signs, then one `nextInt(below: N)` per `(o, i)`
/// slice. A codebook constrains kernel windows, so it is ignored when `K == 1` (linear and
/// 1x1 layers: their signs are drawn freely as without a codebook). With
/// `signInit = checkpoint` the signs are set from a trained `fp` weight with
/// `setSigns(fromWeight:)` (`sign(0) = +1`) and are then checkpointed as the buffer
/// `"<layer>.signs"`.
///
/// Initialisation (`"<layer>.init"` stream): `|A| = sqrt(2/n)` for filter/kernel,
/// `A = |N(0, 2/n)|` for element.
///
/// Accounting: stored 32 bits per factor, plus 1 bit per weight only when the signs came
/// from a checkpoint (regenerated from the seed otherwise); an update carries only the
/// factors (the signs never change). Per image: filter `Co*P` multiplications, kernel
/// `Co*Ci*P`, element `Co*Ci*K*P`; add/subs `Co*Ci*K*P`, or with a codebook of `N`
/// patterns (kernel granularity, `K > 1`) `N*Ci*K*P + Co*Ci*P` (the sign convolutions are
/// shared per pattern).
public final class FSBWeight: WeightParameterization {
    public static let name = "fsb"
    public let layout: WeightLayout
    public let options: FSBOptions
    /// The factors `A`.
    public let factors: Parameter
    /// The fixed signs `S`.
    public private(set) var fixedSigns: Tensor {
        didSet { signsGeneration &+= 1 }
    }
    /// True while the signs are those regenerated from `(seed, signStream)`.
    public private(set) var signsRegeneratedFromSeed: Bool
    /// Weights sharing one factor: filter `Ci*K`, kernel `K`, element 1.
    let groupSize: Int
    /// Counts replacements of `fixedSigns` (part of the stamp).
    private var signsGeneration: UInt64 = 0
    private var cache: EffectiveWeightCache

    public init(layout: WeightLayout, method: WeightMethod) throws {
        guard case .fsb(let options) = method else {
            throw FSBError("layer '\(layout.layerName)': FSBWeight implements the fsb method, not \(method.name)")
        }
        if let entries = options.signCodebook, entries < 1 {
            throw FSBError("layer '\(layout.layerName)': signCodebook must be at least 1, found \(entries)")
        }
        self.layout = layout
        self.options = options
        let scaleShape: [Int]
        switch options.granularity {
        case .filter: scaleShape = [layout.outputChannels]; groupSize = layout.fanIn
        case .kernel: scaleShape = [layout.outputChannels, layout.inputChannels]; groupSize = layout.kernelSize
        case .element: scaleShape = layout.shape; groupSize = 1
        }
        let heStd = layout.heStandardDeviation
        var a = Tensor(shape: scaleShape, repeating: heStd)
        if options.granularity == .element {
            var generator = SeededGenerator(seed: layout.seed, stream: layout.initStream)
            for i in 0..<a.count { a[i] = abs(generator.nextGaussian() * heStd) }
        }
        factors = Parameter(name: "\(layout.layerName).scale", value: a, role: .scalingFactor,
                            constraint: options.alphaSign == .nonnegative ? .nonnegative : .none)
        fixedSigns = FSBWeight.generateSigns(shape: layout.shape, kernelSize: layout.kernelSize,
                                             codebook: options.signCodebook, seed: layout.seed,
                                             stream: layout.signStream)
        signsRegeneratedFromSeed = true
        cache = EffectiveWeightCache(shape: layout.shape)
        refresh()
    }

    public var method: WeightMethod { .fsb(options) }
    public var parameters: [Parameter] { [factors] }
    /// The signs are fixed parameters of the profile.
    public var fixedCount: Int { layout.weightCount }
    public var effectiveWeight: Tensor { cache.value }
    public var effectiveWeightStamp: WeightStamp { WeightStamp(source: factors.version, fixed: signsGeneration) }

    /// `"<layer>.signs"` when the signs came from a checkpoint (random signs are
    /// regenerated from the seed, never stored).
    public var buffers: [String: Tensor] {
        get { options.signInit == .checkpoint ? ["\(layout.layerName).signs": fixedSigns] : [:] }
        set { if let stored = newValue["\(layout.layerName).signs"] { try? restoreSigns(stored) } }
    }

    /// Fixed signs as the deterministic function of `(seed, stream)` described above.
    public static func generateSigns(shape: [Int], kernelSize: Int, codebook: Int?, seed: UInt64,
                                     stream: String) -> Tensor {
        var generator = SeededGenerator(seed: seed, stream: stream)
        var result = Tensor(shape: shape)
        if let entries = codebook, kernelSize > 1 {
            var patterns = [Float](repeating: 0, count: entries * kernelSize)
            for i in patterns.indices { patterns[i] = generator.nextSign() }
            let slices = result.count / kernelSize
            for slice in 0..<slices {
                let pattern = generator.nextInt(below: entries)
                for k in 0..<kernelSize { result[slice * kernelSize + k] = patterns[pattern * kernelSize + k] }
            }
        } else {
            for i in 0..<result.count { result[i] = generator.nextSign() }
        }
        return result
    }

    /// Replaces the signs by `sign(weight)` (`sign(0) = +1`) of a trained weight of the
    /// same shape (`signInit = checkpoint`).
    public func setSigns(fromWeight weight: Tensor) throws {
        guard weight.shape == layout.shape else {
            throw FSBError("layer '\(layout.layerName)': sign source weight has shape \(weight.shape), expected \(layout.shape)")
        }
        var newSigns = Tensor(shape: layout.shape)
        for i in 0..<weight.count { newSigns[i] = weight[i] < 0 ? -1 : 1 }
        fixedSigns = newSigns
        signsRegeneratedFromSeed = false
        refresh()
    }

    /// Sets the signs from a tensor that already holds +1/-1 (checkpoint loading).
    func restoreSigns(_ stored: Tensor) throws {
        guard stored.shape == layout.shape else {
            throw FSBError("tensor '\(layout.layerName).signs': checkpoint shape \(stored.shape), model shape \(layout.shape)")
        }
        guard stored.storage.allSatisfy({ $0 == 1 || $0 == -1 }) else {
            throw FSBError("tensor '\(layout.layerName).signs': expected only +1/-1 values")
        }
        try setSigns(fromWeight: stored)
    }

    public func refresh() {
        guard cache.isStale(for: effectiveWeightStamp) else { return }
        let group = groupSize
        factors.value.storage.withUnsafeBufferPointer { a in
            fixedSigns.storage.withUnsafeBufferPointer { s in
                cache.value.storage.withUnsafeMutableBufferPointer { out in
                    let ap = a.baseAddress!, sp = s.baseAddress!, op = out.baseAddress!
                    if group == 1 {
                        for j in 0..<out.count { op[j] = ap[j] * sp[j] }
                    } else {
                        for g in 0..<a.count {
                            let factor = ap[g], base = g * group
                            for j in 0..<group { op[base + j] = factor * sp[base + j] }
                        }
                    }
                }
            }
        }
    }

    public func accumulateGradient(dEffectiveWeight dWhat: UnsafePointer<Float>) {
        let group = groupSize
        fixedSigns.storage.withUnsafeBufferPointer { s in
            factors.gradient.storage.withUnsafeMutableBufferPointer { dA in
                let sp = s.baseAddress!, dAp = dA.baseAddress!
                if group == 1 {
                    for j in 0..<dA.count { dAp[j] += dWhat[j] * sp[j] }
                } else {
                    for g in 0..<dA.count {
                        var sum: Float = 0
                        let base = g * group
                        for j in 0..<group { sum += dWhat[base + j] * sp[base + j] }
                        dAp[g] += sum
                    }
                }
            }
        }
    }

    public var storedBits: Int { 32 * factors.count + (signsRegeneratedFromSeed ? 0 : layout.weightCount) }

    /// Fixed signs with one factor per kernel slice (a filter factor is the same factor on
    /// every slice) and the sign codebook; `element` granularity's factor per weight makes
    /// every magnitude free, so its weights are dense.
    public var weightEncoding: WeightEncoding {
        options.granularity == .element ? .dense : .fixedSigns(codebook: options.signCodebook)
    }

    public var updateBits: Int { 32 * factors.count }

    public func operationCounts(outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        let co = layout.outputChannels, ci = layout.inputChannels, k = layout.kernelSize
        let dense = layout.denseOperations(outputPixels: p)
        switch options.granularity {
        case .filter: return (co * p, dense)
        case .element: return (dense, dense)
        case .kernel:
            if let entries = options.signCodebook, k > 1 {
                return (co * ci * p, entries * ci * k * p + co * ci * p)
            }
            return (co * ci * p, dense)
        }
    }
}

/// The FSB tensors of any weight, nil unless its method is fsb: for the readers that only
/// handle FSB layers (the sign path, the bit-accurate datapath check, export checks).
extension WeightParameterization {
    /// The FSB options, or nil for the other methods.
    public var fsbOptions: FSBOptions? { (self as? FSBWeight)?.options }
    /// The FSB fixed signs `S`, or nil.
    public var signs: Tensor? { (self as? FSBWeight)?.fixedSigns }
    /// The FSB factors `A`, or nil.
    public var scale: Parameter? { (self as? FSBWeight)?.factors }
}

extension WeightMethod {
    /// The FSB options of an fsb method, or nil.
    public var fsbOptions: FSBOptions? {
        if case .fsb(let options) = self { return options }
        return nil
    }
}
