import FSBCore

/// `twn`, ternary weight networks (Li & Liu, "Ternary Weight Networks", 2016).
public typealias TWNWeight = LatentWeight<TWNQuantizer>

/// TWN: latent real `W`, `What[o] = alpha[o] * t[o]` with `t ∈ {-1, 0, +1}`:
/// `t = +1` where `W > Δ[o]`, `-1` where `W < -Δ[o]`, `0` otherwise, with the threshold
/// `Δ[o] = 0.7 * mean|W[o]|` (the paper's approximation for normally distributed weights,
/// here per output channel) and `alpha[o]` = the mean of `|W[o]|` over `|W[o]| > Δ[o]` (the
/// scale that minimises `|W[o] - alpha t[o]|²` for that `t`). Sums are taken in double.
/// All-zero case: when no weight of a filter exceeds its threshold (only when `W[o]` is all
/// zero, since `Δ[o] < max|W[o]|` otherwise), `alpha[o] = 0` and `What[o] = 0`.
///
/// Gradient: TWN's straight-through estimator, the gradient computed with the ternary
/// weight is applied to the latent weight unchanged, `dW = dWhat` (`Δ` and `alpha` held
/// constant; no `|W| <= 1` window, unlike BinaryConnect and BWN, and `W` is not clipped).
///
/// Accounting: stored at 2 bits per weight plus 32 bits per output channel (`alpha`); an
/// update carries the same. Per image: `Co*P` multiplications (one scale per output) and
/// one addition/subtraction per non-zero ternary weight and output pixel (`nonzeros*P`;
/// zero weights are skipped), counted on the current weights.
public struct TWNQuantizer: LatentWeightQuantizer {
    public static let name = "twn"
    /// The threshold ratio: `Δ[o] = thresholdRatio * mean|W[o]|`.
    public static let thresholdRatio = 0.7
    /// `alpha[o]` of the last `quantize`.
    public private(set) var alpha: [Float]
    /// `Δ[o]` of the last `quantize`.
    public private(set) var threshold: [Float]
    /// Non-zero ternary weights after the last `quantize`.
    public private(set) var nonzeroCount = 0

    public init(layout: WeightLayout) {
        alpha = [Float](repeating: 0, count: layout.outputChannels)
        threshold = alpha
    }

    public mutating func quantize(_ w: UnsafeBufferPointer<Float>, into what: UnsafeMutableBufferPointer<Float>,
                                  layout: WeightLayout) {
        let n = layout.fanIn
        nonzeroCount = 0
        for o in 0..<layout.outputChannels {
            let filter = (o * n)..<(o * n + n)
            var sum: Double = 0
            for j in filter { sum += Double(abs(w[j])) }
            let delta = Float(TWNQuantizer.thresholdRatio * (sum / Double(n)))
            var above: Double = 0
            var count = 0
            for j in filter where abs(w[j]) > delta {
                above += Double(abs(w[j]))
                count += 1
            }
            let scale = count == 0 ? 0 : Float(above / Double(count))
            threshold[o] = delta
            alpha[o] = scale
            nonzeroCount += count
            for j in filter { what[j] = w[j] > delta ? scale : (w[j] < -delta ? -scale : 0) }
        }
    }

    public func accumulateGradient(_ dWhat: UnsafePointer<Float>, latent w: UnsafeBufferPointer<Float>,
                                   into dW: UnsafeMutableBufferPointer<Float>, layout: WeightLayout) {
        let dWp = dW.baseAddress!
        for j in 0..<dW.count { dWp[j] += dWhat[j] }
    }

    public func storedBits(_ layout: WeightLayout) -> Int { 2 * layout.weightCount + 32 * layout.outputChannels }

    /// Ternary codes with the fraction of non-zero weights of the current `W`.
    public func weightEncoding(_ layout: WeightLayout) -> WeightEncoding {
        .ternary(nonzeroFraction: Double(nonzeroCount) / Double(max(1, layout.weightCount)))
    }

    public func operationCounts(_ layout: WeightLayout, outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        (layout.outputChannels * p, nonzeroCount * p)
    }
}
