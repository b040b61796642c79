import Foundation

/// Decides where a dataset is read from. Order: an explicit path (from a config: the
/// dataset's folder or tarball itself), else `<data root>/<dataset>` where the data root is
/// `--data-root`, else the environment variable `FSB_DATA_ROOT`, else `datasets/` in the
/// current directory. Under the dataset folder the original file names (plain or `.gz`),
/// the official extracted folder, or the official tarball are accepted.
public struct DataLocation: Sendable {
    /// Environment variable naming the data root.
    public static let environmentVariable = "FSB_DATA_ROOT"
    /// Data root used when nothing else is given.
    public static let defaultRoot = "datasets"

    /// A dataset folder or tarball given explicitly (wins over every root).
    public var explicitPath: String?
    /// `--data-root` from the command line.
    public var dataRoot: String?
    /// The process environment (injected for tests).
    public var environment: [String: String]

    public init(explicitPath: String? = nil, dataRoot: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.explicitPath = explicitPath
        self.dataRoot = dataRoot
        self.environment = environment
    }

    /// The data root in effect and where it came from.
    public var root: (path: String, origin: String) {
        if let dataRoot, !dataRoot.isEmpty { return (dataRoot, "--data-root") }
        if let fromEnvironment = environment[Self.environmentVariable], !fromEnvironment.isEmpty {
            return (fromEnvironment, Self.environmentVariable)
        }
        return (Self.defaultRoot, "default data root")
    }

    /// Resolves `name` from an explicit path (config) or the data root (`--data-root`,
    /// else `FSB_DATA_ROOT`, else `datasets/`).
    public static func resolve(_ name: DatasetName, explicitPath: String?, dataRoot: String?) throws -> DatasetSource {
        try DataLocation(explicitPath: explicitPath, dataRoot: dataRoot).source(for: name)
    }

    /// The source of `name`, or an error listing every place that was checked.
    public func source(for name: DatasetName) throws -> DatasetSource {
        var looked: [String] = []
        if let explicitPath, !explicitPath.isEmpty {
            if let found = DatasetSource.detect(name, at: explicitPath, looked: &looked) { return found }
            throw MissingDatasetMessage(name: name, looked: looked, origin: "explicit path").error
        }
        let (rootPath, origin) = root
        let folder = (rootPath as NSString).appendingPathComponent(name.rawValue)
        if let found = DatasetSource.detect(name, at: folder, looked: &looked) { return found }
        throw MissingDatasetMessage(name: name, looked: looked, origin: origin).error
    }
}

/// Builds the one-line "not found" message (kept beside `DataLocation`, its only user).
private struct MissingDatasetMessage {
    let name: DatasetName
    let looked: [String]
    let origin: String

    var error: DataFileError {
        let wanted = name.allFileNames.map { "\($0)[.gz]" }.joined(separator: ", ")
        let tarball = name.officialTarballName.map { " or \($0)" } ?? ""
        return DataFileError(file: name.rawValue,
                             "not found (\(origin)): looked in \(looked.joined(separator: ", ")) for \(wanted)\(tarball); use --data-root DIR or \(DataLocation.environmentVariable), run scripts/fetch-datasets.sh, or try --data-root datasets/samples")
    }
}
