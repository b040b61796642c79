import FSBCore

/// `bwn`, the binary-weight network of XNOR-Net (Rastegari et al., ECCV 2016).
public typealias BWNWeight = LatentWeight<BWNQuantizer>

/// BWN: latent real `W`, `What = alpha[o] * sign(W[o])` with `alpha[o] = mean|W[o]|`
/// (summed in double), and XNOR-Net's gradient, `dW = dWhat * (1/n + alpha[o] * 1{|W| <= 1})`.
/// Stored at 1 bit per weight plus 32 bits per output channel (`alpha`); `Co*P`
/// multiplications and `Co*Ci*K*P` additions/subtractions per image.
public struct BWNQuantizer: LatentWeightQuantizer {
    public static let name = "bwn"
    /// The per-filter scale `alpha[o]` of the last `quantize`.
    public private(set) var alpha: [Float]

    public init(layout: WeightLayout) {
        alpha = [Float](repeating: 0, count: layout.outputChannels)
    }

    public mutating func quantize(_ w: UnsafeBufferPointer<Float>, into what: UnsafeMutableBufferPointer<Float>,
                                  layout: WeightLayout) {
        let n = layout.fanIn
        for o in 0..<layout.outputChannels {
            var sum: Double = 0
            for j in (o * n)..<(o * n + n) { sum += Double(abs(w[j])) }
            let scale = Float(sum / Double(n))
            alpha[o] = scale
            for j in (o * n)..<(o * n + n) { what[j] = w[j] < 0 ? -scale : scale }
        }
    }

    public func accumulateGradient(_ dWhat: UnsafePointer<Float>, latent w: UnsafeBufferPointer<Float>,
                                   into dW: UnsafeMutableBufferPointer<Float>, layout: WeightLayout) {
        let n = layout.fanIn, inverseN = 1 / Float(n)
        for o in 0..<layout.outputChannels {
            for j in (o * n)..<(o * n + n) {
                let ste: Float = abs(w[j]) <= 1 ? alpha[o] : 0
                dW[j] += dWhat[j] * (inverseN + ste)
            }
        }
    }

    public func storedBits(_ layout: WeightLayout) -> Int { layout.weightCount + 32 * layout.outputChannels }

    /// Learned signs and one scale per output channel.
    public func weightEncoding(_ layout: WeightLayout) -> WeightEncoding { .binary }

    public func operationCounts(_ layout: WeightLayout, outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        (layout.outputChannels * p, layout.denseOperations(outputPixels: p))
    }
}
