import FSBCore

extension WeightMethod {
    /// What the accelerator simulator needs to know about this method's weights (the one
    /// place a method is mapped to its `WeightEncoding`): `fp` dense; `binaryconnect` and
    /// `bwn` binary (binaryconnect's scale is 1); `fsb` fixed signs with its sign codebook,
    /// except `element` granularity, whose per-weight factors make the weights dense.
    public var weightEncoding: WeightEncoding {
        switch self {
        case .fp: return .dense
        case .binaryconnect, .bwn: return .binary
        case .fsb(let options):
            return options.granularity == .element ? .dense : .fixedSigns(codebook: options.signCodebook)
        }
    }
}
