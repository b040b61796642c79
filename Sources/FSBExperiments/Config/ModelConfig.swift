import FSBCore
import FSBNN

/// The `model` section: architecture and the weight method of every layer.
///
/// By default the first convolution and the last linear layer stay `fp` (as in most
/// binary-network papers) and every other Conv2D/Linear uses `method`. The methods are the
/// engine's `WeightMethod` values, decoded from their names; an fsb method always carries
/// the options of this section's `fsb` (kept in step when either changes).
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Network architectures the tool builds.
    public enum Architecture: String, CaseIterable, Codable, Sendable {
        case mlp, lenet5, vggSmall = "vgg-small", resnet20, resnet32, resnet56
    }

    /// Residual shortcut for ResNets (He et al. 2016): `A` zero-padded identity, `B` 1x1 conv.
    public enum Shortcut: String, CaseIterable, Codable, Sendable { case A, B }

    /// The documented ranges of the section's numbers; an MLP also has at most
    /// `mlpParameterBudget` weights in total (checked against the dataset by `ExperimentConfig`).
    public static let hiddenWidthRange = ValueRange(1...65_536)
    public static let hiddenLayerCountRange = ValueRange(0...64)
    public static let widthMultiplierRange = ValueRange(0.0, 8.0, lowerIncluded: false)
    public static let dropoutRange = ValueRange(0.0, 1.0, upperIncluded: false)
    public static let mlpParameterBudget = 1 << 28

    public var architecture: Architecture
    /// Hidden layer widths of the MLP, each 1...65536, at most 64 layers (default [256, 128]; only for `mlp`).
    public var hidden: [Int]
    /// Multiplies every channel count and hidden width (default 1, range (0, 8]).
    public var widthMultiplier: Double
    /// BatchNorm after convolutions and hidden linear layers (default true; LeNet-5/MLP
    /// may turn it off, VGG-small and ResNets always use it).
    public var batchNorm: Bool
    /// ResNet shortcut (default `A`).
    public var shortcut: Shortcut
    /// Dropout probability before the last linear layer, [0, 1) (default 0).
    public var dropout: Double
    /// Method of every Conv2D/Linear not set otherwise (default `fsb`).
    public var method: WeightMethod { didSet { method = configured(method) } }
    /// Method of the first convolution (or first linear of the MLP) (default `fp`).
    public var firstLayerMethod: WeightMethod { didSet { firstLayerMethod = configured(firstLayerMethod) } }
    /// Method of the last linear layer (default `fp`).
    public var lastLayerMethod: WeightMethod { didSet { lastLayerMethod = configured(lastLayerMethod) } }
    /// Per-layer overrides by layer name (see the model profile for names).
    public var layerMethods: [String: WeightMethod] { didSet { layerMethods = layerMethods.mapValues(configured) } }
    /// FSB options, used by every layer whose method is `fsb`.
    public var fsb: FSBConfig {
        didSet {
            method = configured(method)
            firstLayerMethod = configured(firstLayerMethod)
            lastLayerMethod = configured(lastLayerMethod)
            layerMethods = layerMethods.mapValues(configured)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, hidden, widthMultiplier, batchNorm, shortcut, dropout
        case method, firstLayerMethod, lastLayerMethod, layerMethods, fsb
    }

    public init(architecture: Architecture, method: WeightMethod = .fsb(FSBOptions())) {
        self.architecture = architecture
        hidden = [256, 128]
        widthMultiplier = 1
        batchNorm = ArchitectureDefaults.of(architecture).batchNorm
        shortcut = .A
        dropout = 0
        fsb = FSBConfig()
        firstLayerMethod = .fp
        lastLayerMethod = .fp
        layerMethods = [:]
        self.method = method
        self.method = configured(method)
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if !c.contains(.architecture) {
            throw DecodingError.keyNotFound(CodingKeys.architecture, .init(codingPath: c.codingPath, debugDescription: "required"))
        }
        architecture = try c.decodeChoice(Architecture.self, forKey: .architecture, default: .lenet5)
        hidden = try c.decodeIfPresent([Int].self, forKey: .hidden) ?? [256, 128]
        if c.contains(.hidden) && architecture != .mlp {
            throw DecodingError.dataCorruptedError(forKey: .hidden, in: c,
                debugDescription: "only applies to architecture \"mlp\", got \"\(architecture.rawValue)\"")
        }
        if let problem = Self.hiddenLayerCountRange.problem(hidden.count) {
            throw DecodingError.dataCorruptedError(forKey: .hidden, in: c, debugDescription: "layer count \(problem), got \(hidden.count)")
        }
        if let bad = hidden.first(where: { !Self.hiddenWidthRange.contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: .hidden, in: c, debugDescription: "widths \(Self.hiddenWidthRange.problem(bad)!), got \(bad)")
        }
        widthMultiplier = try c.decode(Double.self, forKey: .widthMultiplier, default: 1, check: Self.widthMultiplierRange.check)
        let needsNorm = architecture == .vggSmall || architecture.isResNet
        batchNorm = try c.decodeIfPresent(Bool.self, forKey: .batchNorm) ?? ArchitectureDefaults.of(architecture).batchNorm
        if needsNorm && !batchNorm {
            throw DecodingError.dataCorruptedError(forKey: .batchNorm, in: c,
                debugDescription: "\(architecture.rawValue) always uses BatchNorm, got false")
        }
        shortcut = try c.decodeChoice(Shortcut.self, forKey: .shortcut, default: .A)
        if c.contains(.shortcut) && !architecture.isResNet {
            throw DecodingError.dataCorruptedError(forKey: .shortcut, in: c,
                debugDescription: "only applies to ResNets, got architecture \"\(architecture.rawValue)\"")
        }
        dropout = try c.decode(Double.self, forKey: .dropout, default: 0, check: Self.dropoutRange.check)
        method = try c.decodeChoice(WeightMethod.self, forKey: .method, default: .fsb(FSBOptions()))
        firstLayerMethod = try c.decodeChoice(WeightMethod.self, forKey: .firstLayerMethod, default: .fp)
        lastLayerMethod = try c.decodeChoice(WeightMethod.self, forKey: .lastLayerMethod, default: .fp)
        layerMethods = [:]
        if c.contains(.layerMethods) {
            let overrides = try c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .layerMethods)
            for key in overrides.allKeys {
                let raw = try overrides.decode(String.self, forKey: key)
                guard let value = WeightMethod(rawValue: raw) else {
                    let allowed = WeightMethod.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    throw DecodingError.dataCorruptedError(forKey: key, in: overrides, debugDescription: "expected one of \(allowed), got \"\(raw)\"")
                }
                layerMethods[key.stringValue] = value
            }
        }
        fsb = try c.decodeIfPresent(FSBConfig.self, forKey: .fsb) ?? FSBConfig()
        method = configured(method)
        firstLayerMethod = configured(firstLayerMethod)
        lastLayerMethod = configured(lastLayerMethod)
        layerMethods = layerMethods.mapValues(configured)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        if architecture == .mlp { try c.encode(hidden, forKey: .hidden) }
        try c.encode(widthMultiplier, forKey: .widthMultiplier)
        try c.encode(batchNorm, forKey: .batchNorm)
        if architecture.isResNet { try c.encode(shortcut, forKey: .shortcut) }
        try c.encode(dropout, forKey: .dropout)
        try c.encode(method.rawValue, forKey: .method)
        try c.encode(firstLayerMethod.rawValue, forKey: .firstLayerMethod)
        try c.encode(lastLayerMethod.rawValue, forKey: .lastLayerMethod)
        try c.encode(layerMethods.mapValues(\.rawValue), forKey: .layerMethods)
        try c.encode(fsb, forKey: .fsb)
    }

    /// `method` with this model's options: an fsb method gets the `fsb` section's.
    private func configured(_ method: WeightMethod) -> WeightMethod {
        method.fsbOptions == nil ? method : .fsb(fsb.options)
    }

    /// Every method this model names (default, first, last, then the overrides by layer name).
    public var methods: [WeightMethod] {
        [method, firstLayerMethod, lastLayerMethod] + layerMethods.sorted { $0.key < $1.key }.map(\.value)
    }

    /// True when some layer of this model may use fsb (for summaries).
    public var usesFSB: Bool { methods.contains { $0.fsbOptions != nil } }
}

extension ModelConfig.Architecture {
    /// True for ResNet-20/32/56.
    public var isResNet: Bool { self == .resnet20 || self == .resnet32 || self == .resnet56 }
}

/// The `model.fsb` section: the options of fsb-method.md.
public struct FSBConfig: Codable, Equatable, Sendable {
    /// The documented range of `signCodebook`.
    public static let codebookRange = ValueRange(1...65_536)

    /// `filter`, `kernel` (default) or `element`.
    public var granularity: FSBOptions.Granularity
    /// `nonnegative` (default) or `free`.
    public var alphaSign: FSBOptions.AlphaSign
    /// `random` (default) or `checkpoint`.
    public var signInit: FSBOptions.SignInit
    /// The trained `fp` checkpoint whose weight signs are used when `signInit` is `checkpoint`.
    public var signCheckpoint: String?
    /// Number of sign patterns per layer (1...65536), or absent for unlimited.
    public var signCodebook: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case granularity, alphaSign, signInit, signCheckpoint, signCodebook
    }

    public init() {
        granularity = .kernel
        alphaSign = .nonnegative
        signInit = .random
        signCheckpoint = nil
        signCodebook = nil
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        granularity = try c.decodeChoice(FSBOptions.Granularity.self, forKey: .granularity, default: .kernel)
        alphaSign = try c.decodeChoice(FSBOptions.AlphaSign.self, forKey: .alphaSign, default: .nonnegative)
        signInit = try c.decodeChoice(FSBOptions.SignInit.self, forKey: .signInit, default: .random)
        signCheckpoint = try c.decodeIfPresent(String.self, forKey: .signCheckpoint)
        signCodebook = try c.decodeOptional(Int.self, forKey: .signCodebook, check: FSBConfig.codebookRange.check)
        if signInit == .checkpoint && signCheckpoint == nil {
            throw DecodingError.keyNotFound(CodingKeys.signCheckpoint, .init(codingPath: c.codingPath,
                debugDescription: "required when signInit is \"checkpoint\""))
        }
        if signInit == .random && signCheckpoint != nil {
            throw DecodingError.dataCorruptedError(forKey: .signCheckpoint, in: c,
                debugDescription: "only applies when signInit is \"checkpoint\", got signInit \"random\"")
        }
        if signInit == .checkpoint && signCodebook != nil {
            throw DecodingError.dataCorruptedError(forKey: .signCodebook, in: c,
                debugDescription: "cannot combine a sign codebook with signInit \"checkpoint\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(granularity.rawValue, forKey: .granularity)
        try c.encode(alphaSign.rawValue, forKey: .alphaSign)
        try c.encode(signInit.rawValue, forKey: .signInit)
        try c.encode(signCheckpoint, forKey: .signCheckpoint)
        try c.encode(signCodebook, forKey: .signCodebook)
    }

    /// The engine's option value.
    public var options: FSBOptions {
        FSBOptions(granularity: granularity, alphaSign: alphaSign, signInit: signInit, signCodebook: signCodebook)
    }
}
