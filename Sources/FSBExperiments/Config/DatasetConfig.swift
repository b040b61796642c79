import FSBCore
import FSBData

/// The `dataset` section: which dataset, where, how much of it, and augmentation.
public struct DatasetConfig: Codable, Equatable, Sendable {
    /// The documented ranges of the section's numbers.
    public static let validationFractionRange = ValueRange(0.0, 0.5)
    public static let limitRange = ValueRange(1...10_000_000)

    /// `mnist`, `fashion-mnist`, `cifar-10` or `cifar-100` (required).
    public var name: DatasetName
    /// Explicit folder or tarball; when absent the data root's sub-folder is used
    /// (`--data-root`, else `$FSB_DATA_ROOT`, else `datasets/`).
    public var path: String?
    /// Fraction of the training set held out for validation, in [0, 0.5] (default 0).
    public var validationFraction: Double
    /// Use only the first N training images, 1...10000000 (default: all).
    public var trainLimit: Int?
    /// Use only the first N test images, 1...10000000 (default: all).
    public var testLimit: Int?
    /// CIFAR-100 labels: `fine` (100 classes, default) or `coarse` (20).
    public var cifar100Labels: CIFAR100LabelKind
    /// Standard CIFAR augmentation: random crop with zero padding, horizontal flip.
    public var augment: AugmentConfig

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, path, validationFraction, trainLimit, testLimit, cifar100Labels, augment
    }

    public init(name: DatasetName) {
        self.name = name
        path = nil
        validationFraction = 0
        trainLimit = nil
        testLimit = nil
        cifar100Labels = .fine
        augment = AugmentConfig()
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rawName = try c.decode(String.self, forKey: .name)
        guard let parsed = DatasetName(rawValue: rawName) else {
            let allowed = DatasetName.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "expected one of \(allowed), got \"\(rawName)\"")
        }
        name = parsed
        path = try c.decodeIfPresent(String.self, forKey: .path)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction, default: 0, check: Self.validationFractionRange.check)
        trainLimit = try c.decodeOptional(Int.self, forKey: .trainLimit, check: Self.limitRange.check)
        testLimit = try c.decodeOptional(Int.self, forKey: .testLimit, check: Self.limitRange.check)
        cifar100Labels = try c.decodeChoice(CIFAR100LabelKind.self, forKey: .cifar100Labels, default: .fine)
        if c.contains(.cifar100Labels) && parsed != .cifar100 {
            throw DecodingError.dataCorruptedError(forKey: .cifar100Labels, in: c,
                debugDescription: "only applies to \"cifar-100\", got dataset \"\(parsed.rawValue)\"")
        }
        augment = try c.decodeIfPresent(AugmentConfig.self, forKey: .augment) ?? AugmentConfig()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.rawValue, forKey: .name)
        try c.encode(path, forKey: .path)
        try c.encode(validationFraction, forKey: .validationFraction)
        try c.encode(trainLimit, forKey: .trainLimit)
        try c.encode(testLimit, forKey: .testLimit)
        if name == .cifar100 { try c.encode(cifar100Labels.rawValue, forKey: .cifar100Labels) }
        try c.encode(augment, forKey: .augment)
    }
}

/// The `dataset.augment` section (defaults: everything off, padding 4).
public struct AugmentConfig: Codable, Equatable, Sendable {
    /// Random crop of the original size after zero padding by `padding` pixels.
    public var randomCrop: Bool
    /// Padding of the random crop, in pixels (1...16, default 4).
    public var padding: Int
    /// Random horizontal flip with probability 1/2.
    public var horizontalFlip: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case randomCrop, padding, horizontalFlip }

    public init(randomCrop: Bool = false, padding: Int = 4, horizontalFlip: Bool = false) {
        self.randomCrop = randomCrop
        self.padding = padding
        self.horizontalFlip = horizontalFlip
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        randomCrop = try c.decodeIfPresent(Bool.self, forKey: .randomCrop) ?? false
        padding = try c.decode(Int.self, forKey: .padding, default: 4, check: ValueRange(1...16).check)
        horizontalFlip = try c.decodeIfPresent(Bool.self, forKey: .horizontalFlip) ?? false
    }
}
