import FSBCore

/// The `output` section: where a run writes its files.
public struct OutputConfig: Codable, Equatable, Sendable {
    /// Run folder (default `runs/<name>`; `--output` overrides it).
    public var directory: String?
    /// Also keep a `best.fsbckpt` of the epoch with the best validation (or test) accuracy (default true).
    public var saveBest: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case directory, saveBest }

    public init() {
        directory = nil
        saveBest = true
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        directory = try c.decodeIfPresent(String.self, forKey: .directory)
        if directory?.isEmpty == true {
            throw DecodingError.dataCorruptedError(forKey: .directory, in: c, debugDescription: "must not be empty")
        }
        saveBest = try c.decodeIfPresent(Bool.self, forKey: .saveBest) ?? true
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(directory, forKey: .directory)
        try c.encode(saveBest, forKey: .saveBest)
    }
}
