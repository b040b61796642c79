/// How a Conv2D or Linear layer turns its trainable tensors into the weight used in
/// the forward pass (see `docs/method.md` and the FSB paper, IEEE Access 2020).
///
/// - `fp`: the real weight `W` is trained and used as is.
/// - `binaryconnect`: latent real `W`, forward `sign(W)`, straight-through gradient
///   zeroed where `|W| > 1` (Courbariaux et al., BinaryConnect, NeurIPS 2015).
/// - `bwn`: latent real `W`, forward `alpha[o] * sign(W[o])` with `alpha[o] = mean|W[o]|`,
///   XNOR-Net's gradient (Rastegari et al., XNOR-Net, ECCV 2016).
/// - `fsb`: fixed random signs `S`, trained scaling factors `A`, forward `A * S`.
/// `sign(0) = +1` everywhere.
public enum WeightMethod: Equatable, Hashable, Sendable, CustomStringConvertible {
    case fp
    case binaryconnect
    case bwn
    case fsb(FSBOptions)

    /// The method's name as written in configs and tables.
    public var name: String {
        switch self {
        case .fp: return "fp"
        case .binaryconnect: return "binaryconnect"
        case .bwn: return "bwn"
        case .fsb: return "fsb"
        }
    }

    public var description: String {
        if case .fsb(let options) = self { return "fsb(\(options))" }
        return name
    }
}

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
