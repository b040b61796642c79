/// A projection applied to a parameter after every optimizer step.
public enum ParameterConstraint: Equatable, Sendable {
    /// No projection.
    case none
    /// Clamp every element at 0 from below (FSB factors with `alphaSign = nonnegative`).
    case nonnegative
    /// Clip every element to `[-bound, bound]` (BinaryConnect's latent weights, bound 1).
    case symmetricClip(Float)
}
