import FSBCore

/// How a `Conv2D` or `Linear` layer produces the weight `What` of its forward pass from its
/// trainable tensors, and how it maps `dL/dWhat` back onto them (see `docs/fsb-method.md`).
///
/// Weight layout: `[Co, Ci, kh, kw]` for a convolution, `[Co, Ci]` for a linear layer
/// (`K = kh*kw`, `K = 1` for linear). `n = Ci*K` is the fan-in.
/// - `fp`: trains `W` (`"<layer>.weight"`), `What = W`.
/// - `binaryconnect` (Courbariaux et al., NeurIPS 2015): latent `W`, `What = sign(W)`,
///   `dW = dWhat * 1{|W| <= 1}`; `W` carries the constraint `.symmetricClip(1)`, so
///   `applyConstraint()` after each step clips it to `[-1, 1]`.
/// - `bwn` (Rastegari et al., XNOR-Net, ECCV 2016): latent `W`, `What = alpha[o]*sign(W)`,
///   `alpha[o] = mean|W[o]|`, `dW = dWhat * (1/n + alpha[o] * 1{|W| <= 1})`.
/// - `fsb` (FSB, IEEE Access 2020): trains factors `A` (`"<layer>.scale"`, role
///   `.scalingFactor`), `What = A (broadcast) * S`, `dA = sum over the group of dWhat * S`.
///   `S` is fixed (never a `Parameter`). `A`'s shape: filter `[Co]`, kernel `[Co, Ci]`,
///   element = the weight shape (for linear layers kernel and element coincide).
///   Signs come from `SeededGenerator(seed: modelSeed, stream: "<layer>.signs")`: without a
///   codebook one `nextSign()` per weight in row-major order; with `signCodebook = N` and
///   `K > 1`, first `N` patterns of `K` signs, then one `nextInt(below: N)` per `(o, i)`
///   slice. A codebook constrains kernel windows, so it is ignored when `K == 1` (linear and
///   1x1 layers: their signs are drawn freely as without a codebook).
///   With `signInit = checkpoint` the signs are set from a trained `fp` weight with
///   `setSigns(fromWeight:)` (`sign(0) = +1`) and are then checkpointed as a buffer.
/// Initialisation (`"<layer>.init"` stream): latent/fp `W ~ N(0, 2/n)` (He); FSB
/// `|A| = sqrt(2/n)` for filter/kernel, `A = |N(0, 2/n)|` for element.
public final class WeightParameterization {
    public let method: WeightMethod
    public let layerName: String
    /// `[Co, Ci, kh, kw]` or `[Co, Ci]`.
    public let weightShape: [Int]
    public let outputChannels: Int
    public let inputChannels: Int
    /// Kernel window size `K = kh*kw` (1 for linear layers).
    public let kernelSize: Int
    /// The model seed the init and sign streams derive from.
    public let seed: UInt64
    /// Latent or real weight (`fp`, `binaryconnect`, `bwn`); nil for `fsb`.
    public let latentWeight: Parameter?
    /// FSB scaling factors `A`; nil for the other methods.
    public let scale: Parameter?
    /// FSB fixed signs (+1/-1, shape `weightShape`); nil for the other methods.
    public private(set) var signs: Tensor? {
        didSet { signsGeneration &+= 1 }
    }
    /// Counts replacements of `signs` (see `refresh()`).
    private var signsGeneration: UInt64 = 0
    /// (version of the trainable tensor, signs generation) that `cachedEffectiveWeight` was
    /// computed from; nil before the first `refresh()`.
    private var refreshedFrom: (source: UInt64, signs: UInt64)?
    /// True while the signs are those regenerated from `(seed, signStream)`.
    public private(set) var signsRegeneratedFromSeed: Bool

    /// Number of weights `Co*Ci*K`.
    public let weightCount: Int
    /// Weights sharing one FSB factor (filter `Ci*K`, kernel `K`, element 1); 1 otherwise.
    let groupSize: Int
    /// `What` for the non-`fp` methods (refreshed by `refresh()`).
    private var cachedEffectiveWeight: Tensor
    /// BWN's per-filter scale `alpha[o]` from the last `refresh()`.
    public private(set) var bwnAlpha: [Float]

    /// The sign stream name, `"<layer>.signs"`.
    public var signStream: String { "\(layerName).signs" }
    /// The init stream name, `"<layer>.init"`.
    public var initStream: String { "\(layerName).init" }

    public init(method: WeightMethod, layerName: String, weightShape: [Int], seed: UInt64) throws {
        guard weightShape.count == 2 || weightShape.count == 4, weightShape.allSatisfy({ $0 > 0 }) else {
            throw FSBError("layer '\(layerName)': weight shape must be [Co, Ci] or [Co, Ci, kh, kw] with positive sizes, found \(weightShape)")
        }
        self.method = method
        self.layerName = layerName
        self.weightShape = weightShape
        self.seed = seed
        outputChannels = weightShape[0]
        inputChannels = weightShape[1]
        kernelSize = weightShape.count == 4 ? weightShape[2] * weightShape[3] : 1
        weightCount = weightShape.reduce(1, *)
        let fanIn = inputChannels * kernelSize
        let heStd = Float((2.0 / Double(fanIn)).squareRoot())
        var initGenerator = SeededGenerator(seed: seed, stream: "\(layerName).init")
        bwnAlpha = []
        cachedEffectiveWeight = Tensor(shape: method == .fp ? [0] : weightShape)

        switch method {
        case .fp, .binaryconnect, .bwn:
            var w = Tensor(shape: weightShape)
            for i in 0..<w.count { w[i] = initGenerator.nextGaussian() * heStd }
            let constraint: ParameterConstraint = method == .binaryconnect ? .symmetricClip(1) : .none
            latentWeight = Parameter(name: "\(layerName).weight", value: w, role: .weight, constraint: constraint)
            scale = nil
            signs = nil
            signsRegeneratedFromSeed = false
            groupSize = 1
            if method == .bwn { bwnAlpha = [Float](repeating: 0, count: outputChannels) }
        case .fsb(let options):
            if let entries = options.signCodebook, entries < 1 {
                throw FSBError("layer '\(layerName)': signCodebook must be at least 1, found \(entries)")
            }
            let scaleShape: [Int]
            switch options.granularity {
            case .filter: scaleShape = [outputChannels]; groupSize = inputChannels * kernelSize
            case .kernel: scaleShape = [outputChannels, inputChannels]; groupSize = kernelSize
            case .element: scaleShape = weightShape; groupSize = 1
            }
            var a = Tensor(shape: scaleShape, repeating: heStd)
            if options.granularity == .element {
                for i in 0..<a.count { a[i] = abs(initGenerator.nextGaussian() * heStd) }
            }
            let constraint: ParameterConstraint = options.alphaSign == .nonnegative ? .nonnegative : .none
            scale = Parameter(name: "\(layerName).scale", value: a, role: .scalingFactor, constraint: constraint)
            latentWeight = nil
            signs = WeightParameterization.generateSigns(
                shape: weightShape, kernelSize: kernelSize, codebook: options.signCodebook,
                seed: seed, stream: "\(layerName).signs")
            signsRegeneratedFromSeed = true
        }
        refresh()
    }

    /// The FSB options, or nil for the other methods.
    public var fsbOptions: FSBOptions? {
        if case .fsb(let options) = method { return options }
        return nil
    }

    /// The trainable tensors (`W` or `A`).
    public var parameters: [Parameter] { [latentWeight, scale].compactMap { $0 } }

    /// The weight of the forward pass, `What` (valid after `refresh()`).
    public var effectiveWeight: Tensor {
        if method == .fp, let latentWeight { return latentWeight.value }
        return cachedEffectiveWeight
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

    /// Replaces the FSB signs by `sign(weight)` (`sign(0) = +1`) of a trained weight of the
    /// same shape (`signInit = checkpoint`).
    public func setSigns(fromWeight weight: Tensor) throws {
        guard fsbOptions != nil else {
            throw FSBError("layer '\(layerName)': fixed signs can only be set on an fsb layer, this one is \(method.name)")
        }
        guard weight.shape == weightShape else {
            throw FSBError("layer '\(layerName)': sign source weight has shape \(weight.shape), expected \(weightShape)")
        }
        var newSigns = Tensor(shape: weightShape)
        for i in 0..<weight.count { newSigns[i] = weight[i] < 0 ? -1 : 1 }
        signs = newSigns
        signsRegeneratedFromSeed = false
        refresh()
    }

    /// Sets the signs from a tensor that already holds +1/-1 (checkpoint loading).
    func restoreSigns(_ stored: Tensor) throws {
        guard stored.shape == weightShape else {
            throw FSBError("tensor '\(layerName).signs': checkpoint shape \(stored.shape), model shape \(weightShape)")
        }
        guard stored.storage.allSatisfy({ $0 == 1 || $0 == -1 }) else {
            throw FSBError("tensor '\(layerName).signs': expected only +1/-1 values")
        }
        try setSigns(fromWeight: stored)
    }

    /// Identifies `What`: the version of the trainable tensor and the signs generation, which
    /// change whenever anything `What` is computed from changes (caches derived from `What`,
    /// like a convolution's packed inference weights, compare it).
    var effectiveWeightStamp: (source: UInt64, signs: UInt64) {
        (source: (latentWeight ?? scale)?.version ?? 0, signs: signsGeneration)
    }

    /// Recomputes `What` from the current trainable values (call before each forward); does
    /// nothing when neither they nor the signs changed since the last call (repeated
    /// inference forwards, which would otherwise redo it for every batch).
    public func refresh() {
        let current = effectiveWeightStamp
        if let last = refreshedFrom, last == current { return }
        refreshedFrom = current
        switch method {
        case .fp:
            return
        case .binaryconnect:
            guard let latentWeight else { return }
            latentWeight.value.storage.withUnsafeBufferPointer { w in
                cachedEffectiveWeight.storage.withUnsafeMutableBufferPointer { out in
                    for i in 0..<w.count { out[i] = w[i] < 0 ? -1 : 1 }
                }
            }
        case .bwn:
            guard let latentWeight else { return }
            let n = weightCount / outputChannels
            latentWeight.value.storage.withUnsafeBufferPointer { w in
                cachedEffectiveWeight.storage.withUnsafeMutableBufferPointer { out in
                    for o in 0..<outputChannels {
                        var sum: Double = 0
                        for j in (o * n)..<(o * n + n) { sum += Double(abs(w[j])) }
                        let alpha = Float(sum / Double(n))
                        bwnAlpha[o] = alpha
                        for j in (o * n)..<(o * n + n) { out[j] = w[j] < 0 ? -alpha : alpha }
                    }
                }
            }
        case .fsb:
            guard let scale, let signs else { return }
            let group = groupSize
            scale.value.storage.withUnsafeBufferPointer { a in
                signs.storage.withUnsafeBufferPointer { s in
                    cachedEffectiveWeight.storage.withUnsafeMutableBufferPointer { out in
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
    }

    /// Maps `dL/dWhat` (layout of the weight, `weightCount` elements) onto the trainable
    /// tensor's gradient, ADDING to it. Uses the values from the last `refresh()`.
    public func accumulateGradient(dEffectiveWeight dWhat: UnsafePointer<Float>) {
        switch method {
        case .fp, .binaryconnect, .bwn:
            guard let latentWeight else { return }
            let n = weightCount / outputChannels
            let method = self.method
            let alpha = bwnAlpha
            latentWeight.value.storage.withUnsafeBufferPointer { w in
                latentWeight.gradient.storage.withUnsafeMutableBufferPointer { dW in
                    switch method {
                    case .fp:
                        let dWp = dW.baseAddress!
                        for j in 0..<dW.count { dWp[j] += dWhat[j] }
                    case .binaryconnect:
                        for j in 0..<dW.count where abs(w[j]) <= 1 { dW[j] += dWhat[j] }
                    default:
                        let inverseN = 1 / Float(n)
                        for o in 0..<outputChannels {
                            for j in (o * n)..<(o * n + n) {
                                let ste: Float = abs(w[j]) <= 1 ? alpha[o] : 0
                                dW[j] += dWhat[j] * (inverseN + ste)
                            }
                        }
                    }
                }
            }
        case .fsb:
            guard let scale, let signs else { return }
            let group = groupSize
            signs.storage.withUnsafeBufferPointer { s in
                scale.gradient.storage.withUnsafeMutableBufferPointer { dA in
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
    }
}
