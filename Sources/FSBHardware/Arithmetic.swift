/// Number format of the datapath: floating point (`fp32`), or integers whose operand
/// widths are at most 8 (`int8`) or 16 (`int16`) bits. Integer operation energies are
/// looked up by the widths in `BitWidths`; `fp32` uses the float entries throughout.
public enum Arithmetic: String, Codable, CaseIterable, Sendable {
    case fp32, int8, int16

    /// Widest activation/weight/factor operand this arithmetic allows.
    public var maximumOperandBits: Int {
        switch self {
        case .fp32: return 32
        case .int8: return 8
        case .int16: return 16
        }
    }
}

/// Where an FSB accelerator gets its fixed signs: read from memory like weights (`stored`,
/// 1 bit each) or regenerated on chip from the layer seed by an LFSR (`lfsr`: no memory,
/// no traffic, one LFSR step per sign consumed).
public enum SignSource: String, Codable, CaseIterable, Sendable {
    case stored, lfsr
}

/// What one simulation run costs: one inference of one input (`inference`), or one
/// training step (`train`: forward, input gradient, weight gradient, SGD-momentum update).
public enum SimulationMode: String, Codable, CaseIterable, Sendable {
    case inference, train
}
