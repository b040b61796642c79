/// What an accelerator needs to know about a layer's weights: how they are stored and what
/// arithmetic they allow. The hardware-facing summary of a weight method (FSBNN derives it
/// from each weight method's type, `WeightParameterization.weightEncoding`); the simulator picks the unit
/// that runs the layer by it.
///
/// - `dense`: one free value per weight (`fp`; `fsb` with `element` granularity, whose
///   factor per weight makes every magnitude free). Needs multiply-accumulates.
/// - `binary`: learned signs `sign(W)` and one scale `alpha[o]` per output channel (`bwn`;
///   `binaryconnect` is the case `alpha = 1`, still applied by the array's per-output
///   multiplier). Add/subtract, then one multiplication per output.
/// - `fixedSigns`: fixed signs `S` and one factor `A[o,i]` per kernel slice (`fsb` with
///   `kernel` or `filter` granularity: a filter factor is the same factor on every slice of
///   the filter), optionally a sign codebook of `codebook` patterns per layer.
/// - `ternary`: codes `t` in {-1, 0, +1} and one scale `alpha[o]` per output channel
///   (TWN, Li & Liu 2016), with `nonzeroFraction` of the weights nonzero (0...1).
public enum WeightEncoding: Equatable, Hashable, Sendable, Codable {
    case dense
    case binary
    case fixedSigns(codebook: Int?)
    case ternary(nonzeroFraction: Double)

    /// The name used in reports and errors.
    public var name: String {
        switch self {
        case .dense: return "dense"
        case .binary: return "binary"
        case .fixedSigns: return "fixed signs"
        case .ternary: return "ternary"
        }
    }

    /// The fraction of nonzero ternary weights expected for Gaussian latent weights under
    /// TWN's threshold `0.7 * mean|W|`: `P(|W| > 0.7 * sqrt(2/pi) * sigma) = erfc(0.7 / sqrt(pi))`
    /// = 0.5765 (for a layer whose trained weights are not at hand).
    public static let gaussianTernaryNonzeroFraction = 0.5765
}
