/// A weight method's identity (with its options): how a Conv2D or Linear layer turns its
/// trainable tensors into the weight of its forward pass. Each method is one type under
/// `WeightMethods/` (its forward, gradient rule and accounting; see
/// `WeightParameterization`); this enum names them and is the one factory.
///
/// Adding a method: its file under `WeightMethods/`, one case here with its line in
/// `implementation` and its entry in `allCases` (the names configs accept, in this order).
///
/// `rawValue` is the method's name as written in configs and tables; `init(rawValue:)`
/// gives the method with its default options (a model config sets the fsb options from its
/// `model.fsb` section).
public enum WeightMethod: Hashable, Sendable, CaseIterable, RawRepresentable, CustomStringConvertible {
    /// `FullPrecisionWeight`.
    case fp
    /// `BinaryConnectWeight` (Courbariaux et al., NeurIPS 2015).
    case binaryconnect
    /// `BWNWeight` (Rastegari et al., XNOR-Net, ECCV 2016).
    case bwn
    /// `FSBWeight` (FSB, IEEE Access 2020).
    case fsb(FSBOptions)
    /// `TWNWeight` (Li & Liu, Ternary Weight Networks, 2016).
    case twn

    /// Every method, with default options.
    public static let allCases: [WeightMethod] = [.fp, .binaryconnect, .bwn, .fsb(FSBOptions()), .twn]

    /// The factory: the type implementing each method.
    public var implementation: any WeightParameterization.Type {
        switch self {
        case .fp: return FullPrecisionWeight.self
        case .binaryconnect: return BinaryConnectWeight.self
        case .bwn: return BWNWeight.self
        case .fsb: return FSBWeight.self
        case .twn: return TWNWeight.self
        }
    }

    /// The method's name as written in configs and tables.
    public var name: String { implementation.name }

    public var rawValue: String { name }

    /// The method named `rawValue`, with default options.
    public init?(rawValue: String) {
        guard let method = WeightMethod.allCases.first(where: { $0.name == rawValue }) else { return nil }
        self = method
    }

    /// A new weight of this method for the layer `layerName` with weight shape
    /// `[Co, Ci, kh, kw]` or `[Co, Ci]`; its streams derive from the model `seed`.
    public func makeWeight(layerName: String, shape: [Int], seed: UInt64) throws -> any WeightParameterization {
        try implementation.init(layout: WeightLayout(layerName: layerName, shape: shape, seed: seed), method: self)
    }

    public var description: String {
        if case .fsb(let options) = self { return "fsb(\(options))" }
        return name
    }
}
