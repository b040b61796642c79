import FSBCore

/// `fp`: the real weight `W` (`"<layer>.weight"`) is trained and used as is, `What = W`,
/// `dW = dWhat`. Stored at 32 bits per weight; `Co*Ci*K*P` multiplications and as many
/// additions per image.
public final class FullPrecisionWeight: LatentWeightParameterization {
    public static let name = "fp"
    public let layout: WeightLayout
    public let latentWeight: Parameter

    public init(layout: WeightLayout, method: WeightMethod = .fp) {
        self.layout = layout
        latentWeight = layout.heInitializedWeight()
    }

    public var method: WeightMethod { .fp }

    /// `W` itself: nothing to compute.
    public var effectiveWeight: Tensor { latentWeight.value }

    public func refresh() {}

    public func accumulateGradient(dEffectiveWeight dWhat: UnsafePointer<Float>) {
        latentWeight.gradient.storage.withUnsafeMutableBufferPointer { dW in
            let dWp = dW.baseAddress!
            for j in 0..<dW.count { dWp[j] += dWhat[j] }
        }
    }

    public var storedBits: Int { 32 * layout.weightCount }

    /// One free value per weight: multiply-accumulates.
    public var weightEncoding: WeightEncoding { .dense }

    public func operationCounts(outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        let dense = layout.denseOperations(outputPixels: p)
        return (dense, dense)
    }
}
