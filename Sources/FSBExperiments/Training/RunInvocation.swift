import FSBCore
import FSBData
import Foundation

/// `invocation.json` in a run folder: how the run was started — the data root it read
/// (absolute), the working directory and the command line — so that
/// `fsb train --resume DIR` alone finds the same data from any directory.
public struct RunInvocation: Codable, Equatable, Sendable {
    /// The data root in effect (absolute), and where it came from (`--data-root`,
    /// `FSB_DATA_ROOT` or `default data root`). A config's explicit `dataset.path` wins over it.
    public var dataRoot: String
    public var dataRootOrigin: String
    /// The working directory when the run started.
    public var workingDirectory: String
    /// The command line that started the run.
    public var arguments: [String]

    /// The record for a run started now with `--data-root` `dataRoot` (nil: environment, else default).
    public static func current(dataRoot: String?) -> RunInvocation {
        let root = DataLocation(dataRoot: dataRoot).root
        let cwd = ConfigPaths.workingDirectory
        return RunInvocation(dataRoot: ConfigPaths.absolute(root.path, relativeTo: cwd), dataRootOrigin: root.origin,
                             workingDirectory: cwd.path, arguments: CommandLine.arguments)
    }

    /// Reads the record of a run folder; nil when the run has none (started by an older fsb).
    public static func read(_ url: URL) throws -> RunInvocation? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try StrictJSON.decode(RunInvocation.self, fromFile: url.path)
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
