/// Gradient clipping by global L2 norm (Pascanu et al., ICML 2013), as PyTorch's
/// `clip_grad_norm_`: when the norm over all gradients exceeds `maxNorm`, every
/// gradient is scaled by `maxNorm / (norm + 1e-6)`.
public enum GradientClipping {
    /// Clips in place and returns the norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
        var sumSquares: Double = 0
        for parameter in parameters {
            parameter.gradient.storage.withUnsafeBufferPointer { g in
                for x in g { sumSquares += Double(x) * Double(x) }
            }
        }
        let norm = Float(sumSquares.squareRoot())
        if norm > maxNorm {
            let scale = maxNorm / (norm + 1e-6)
            for parameter in parameters {
                parameter.gradient.storage.withUnsafeMutableBufferPointer { g in
                    for i in g.indices { g[i] *= scale }
                }
            }
        }
        return norm
    }
}
