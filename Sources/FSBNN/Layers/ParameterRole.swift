/// What a trainable tensor is for; optimizers and weight decay may treat roles differently
/// (for example no weight decay on `.normalization` or `.scalingFactor`).
public enum ParameterRole: String, Sendable, CaseIterable {
    /// A real weight matrix or kernel (`fp`), or the latent real weight (`binaryconnect`, `bwn`).
    case weight
    /// An additive bias of a convolution or linear layer.
    case bias
    /// BatchNorm's `gamma` (stored as `.weight` in the name) and `beta` (`.bias`).
    case normalization
    /// The FSB scaling factors `A`.
    case scalingFactor
}
