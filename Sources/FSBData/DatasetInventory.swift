import FSBCore

/// What is installed for one dataset: where it was found, the image count and class
/// histogram of each split and, optionally, the SHA-256 of every file's uncompressed
/// content checked against `OfficialChecksums`. Problems are recorded, not thrown, so a
/// listing covers every dataset; `hasProblems` tells the caller to exit non-zero.
public struct DatasetInventory: Sendable {
    /// One split as loaded (or the error that stopped it).
    public struct SplitSummary: Sendable {
        public let split: DatasetSplit
        public let count: Int
        public let classHistogram: [Int]
        public let files: [String]
        public let error: String?
    }

    /// Outcome of comparing one file with its reference digest.
    public enum ChecksumStatus: String, Sendable {
        case matches = "ok"
        case mismatch = "MISMATCH"
        case subset = "subset (not the official file)"
        case unknown = "no reference checksum"
    }

    /// Digest of one file (or tar member) and its verdict.
    public struct FileChecksum: Sendable {
        /// Original file name (without `.gz`).
        public let originalName: String
        /// Where it was read from.
        public let location: String
        public let digest: FileDigest
        public let status: ChecksumStatus
    }

    public let name: DatasetName
    /// Where the data was found, or nil.
    public let source: DatasetSource?
    /// Why nothing was found (lists the places checked).
    public let lookupError: String?
    public let splits: [SplitSummary]
    /// Empty unless checksums were requested.
    public let checksums: [FileChecksum]
    /// Errors met while computing checksums.
    public let checksumErrors: [String]

    /// True when the dataset is missing, a split failed to load, or a checksum mismatched.
    public var hasProblems: Bool {
        lookupError != nil || splits.contains { $0.error != nil } || !checksumErrors.isEmpty
            || checksums.contains { $0.status == .mismatch }
    }

    /// Finds and loads both splits of `name`; with `checksums`, also hashes every file.
    public static func inspect(_ name: DatasetName, location: DataLocation, checksums: Bool,
                               labels: CIFAR100LabelKind = .fine) -> DatasetInventory {
        let source: DatasetSource
        do {
            source = try location.source(for: name)
        } catch {
            return DatasetInventory(name: name, source: nil, lookupError: "\(error)", splits: [], checksums: [],
                                    checksumErrors: [])
        }
        let splits = DatasetSplit.allCases.map { split -> SplitSummary in
            do {
                let raw = try DatasetLoader.load(name, split: split, from: source, labels: labels)
                return SplitSummary(split: split, count: raw.count, classHistogram: raw.classHistogram(),
                                    files: raw.sourceFiles, error: nil)
            } catch {
                return SplitSummary(split: split, count: 0, classHistogram: [], files: [], error: "\(error)")
            }
        }
        var digests: [FileChecksum] = []
        var errors: [String] = []
        if checksums {
            do {
                digests = try Self.checksums(name, source: source)
            } catch {
                errors.append("\(error)")
            }
        }
        return DatasetInventory(name: name, source: source, lookupError: nil, splits: splits, checksums: digests,
                                checksumErrors: errors)
    }

    /// Hashes the uncompressed content of every original file present in `source`.
    public static func checksums(_ name: DatasetName, source: DatasetSource) throws -> [FileChecksum] {
        var results: [FileChecksum] = []
        func record(_ originalName: String, _ location: String, _ digest: FileDigest) {
            results.append(FileChecksum(originalName: originalName, location: location, digest: digest,
                                        status: status(name, file: originalName, digest: digest)))
        }
        switch source {
        case .folder:
            for fileName in name.allFileNames {
                guard let path = source.filePath(fileName) else { continue }
                record(fileName, path, try FileDigest.of(GzipReader(path: path)))
            }
        case .tarball(let path):
            let archive = try TarArchiveReader(source: GzipReader(path: path))
            var found: [String: FileChecksum] = [:]
            while let member = try archive.nextMember() {
                guard member.isRegularFile, name.allFileNames.contains(member.fileName),
                      found[member.fileName] == nil else { continue }
                let digest = try FileDigest.of(member)
                found[member.fileName] = FileChecksum(originalName: member.fileName, location: member.name, digest: digest,
                                                      status: status(name, file: member.fileName, digest: digest))
            }
            results = name.allFileNames.compactMap { found[$0] }
        }
        return results
    }

    /// Compares a digest with the reference; a shorter file is a subset, not a mismatch.
    public static func status(_ name: DatasetName, file: String, digest: FileDigest) -> ChecksumStatus {
        guard let reference = OfficialChecksums.entry(name, file: file) else { return .unknown }
        if reference.sha256 == digest.sha256 && reference.bytes == digest.bytes { return .matches }
        return digest.bytes < reference.bytes ? .subset : .mismatch
    }

    /// Human-readable report: source, counts and shape per split, class histogram table
    /// (a min/max summary beyond 20 classes), and the checksum table when computed.
    public func render() -> String {
        var out = "== \(name.rawValue) ==\n"
        if let lookupError {
            return out + "\(lookupError)\n"
        }
        if let source { out += "source: \(source)\n" }
        let classCount = splits.first { $0.error == nil }?.classHistogram.count ?? 0
        for split in splits {
            if let error = split.error {
                out += "\(split.split.rawValue): ERROR \(error)\n"
                continue
            }
            let subset = split.count < name.officialCount(split.split) ? " (subset of the official \(Self.grouped(name.officialCount(split.split))))" : ""
            out += "\(split.split.rawValue): \(Self.grouped(split.count)) images \(name.channels)x\(name.height)x\(name.width), \(split.classHistogram.count) classes\(subset)\n"
            out += "  files: \(split.files.map(shortName).joined(separator: ", "))\n"
        }
        let loaded = splits.filter { $0.error == nil }
        if classCount > 0 && !loaded.isEmpty {
            if classCount <= 20 {
                let names = name.classNames
                var rows: [[String]] = []
                for k in 0..<classCount {
                    let counts = loaded.map { $0.classHistogram.count > k ? $0.classHistogram[k] : 0 }
                    let label = names.map { "\(k) \($0[k])" } ?? "\(k)"
                    rows.append([label] + counts.map(Self.grouped) + [Self.grouped(counts.reduce(0, +))])
                }
                out += TextTable.render(header: ["class"] + loaded.map(\.split.rawValue) + ["total"], rows: rows)
            } else {
                for split in loaded {
                    out += "\(split.split.rawValue) per class: min \(Self.grouped(split.classHistogram.min() ?? 0)), max \(Self.grouped(split.classHistogram.max() ?? 0)) over \(classCount) classes\n"
                }
            }
        }
        if !checksums.isEmpty {
            out += "checksums (SHA-256 of the uncompressed content):\n"
            out += TextTable.render(header: ["file", "bytes", "sha256", "status"],
                                    rows: checksums.map { [$0.originalName, Self.grouped($0.digest.bytes), $0.digest.sha256, $0.status.rawValue] })
        }
        for error in checksumErrors { out += "checksum ERROR \(error)\n" }
        return out
    }

    /// A file path relative to the source folder (tar members: path inside the archive).
    private func shortName(_ file: String) -> String {
        guard let source else { return file }
        for prefix in [source.path + "/", source.path + ":"] where file.hasPrefix(prefix) {
            return String(file.dropFirst(prefix.count))
        }
        return file
    }

    /// `60000` -> `60,000`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, character) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }
}
