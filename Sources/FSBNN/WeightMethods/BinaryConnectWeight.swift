import FSBCore

/// `binaryconnect` (Courbariaux et al., BinaryConnect, NeurIPS 2015).
public typealias BinaryConnectWeight = LatentWeight<BinaryConnectQuantizer>

/// BinaryConnect: latent real `W`, `What = sign(W)`, straight-through gradient cancelled
/// outside the clip window, `dW = dWhat * 1{|W| <= 1}`. `W` carries the constraint
/// `.symmetricClip(1)`, so `applyConstraint()` after each step clips it to `[-1, 1]`.
/// Stored at 1 bit per weight; no multiplications, `Co*Ci*K*P` additions/subtractions per image.
public struct BinaryConnectQuantizer: LatentWeightQuantizer {
    public static let name = "binaryconnect"
    public static let constraint = ParameterConstraint.symmetricClip(1)

    public init(layout: WeightLayout) {}

    public func quantize(_ w: UnsafeBufferPointer<Float>, into what: UnsafeMutableBufferPointer<Float>,
                         layout: WeightLayout) {
        for i in 0..<w.count { what[i] = w[i] < 0 ? -1 : 1 }
    }

    public func accumulateGradient(_ dWhat: UnsafePointer<Float>, latent w: UnsafeBufferPointer<Float>,
                                   into dW: UnsafeMutableBufferPointer<Float>, layout: WeightLayout) {
        for j in 0..<dW.count where abs(w[j]) <= 1 { dW[j] += dWhat[j] }
    }

    public func storedBits(_ layout: WeightLayout) -> Int { layout.weightCount }

    /// Learned signs; the array's per-output scale is 1.
    public func weightEncoding(_ layout: WeightLayout) -> WeightEncoding { .binary }

    public func operationCounts(_ layout: WeightLayout, outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        (0, layout.denseOperations(outputPixels: p))
    }
}
