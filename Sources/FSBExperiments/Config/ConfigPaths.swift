import Foundation

/// The config fields that name files (`dataset.path`, `model.fsb.signCheckpoint`) and how
/// a relative one is resolved: against the folder of the file it was written in (the
/// config file, or a compare spec's base), or against the working directory when it was
/// given as an override (`--set`, a compare axis value), as a path typed on the command
/// line is. A resolved config holds absolute paths, so a run's `config.json` and its
/// checkpoints mean the same files from any directory. `output.directory` is not among
/// them: like `--output` it is relative to the working directory.
public enum ConfigPaths {
    /// Each file-naming field: its dotted path and where it lives in the config.
    static var fields: [(path: String, keyPath: WritableKeyPath<ExperimentConfig, String?>)] { [
        ("dataset.path", \.dataset.path),
        ("model.fsb.signCheckpoint", \.model.fsb.signCheckpoint),
    ] }

    /// `path` made absolute against `folder` (unchanged when already absolute), with `.` and `..` removed.
    public static func absolute(_ path: String, relativeTo folder: URL) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// The working directory as a folder URL.
    public static var workingDirectory: URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    }

    /// The folder holding `file`, absolute.
    public static func folder(of file: String) -> URL {
        URL(fileURLWithPath: absolute(file, relativeTo: workingDirectory)).deletingLastPathComponent()
    }

    /// Resolves every relative file-naming field of `config`: one set by an override path
    /// in `overridden` (or under one) against the working directory, any other against `folder`.
    static func resolve(_ config: inout ExperimentConfig, writtenIn folder: URL, overridden: [String] = []) {
        for field in fields {
            guard let value = config[keyPath: field.keyPath], !value.isEmpty else { continue }
            let fromOverride = overridden.contains { field.path == $0 || field.path.hasPrefix($0 + ".") }
            config[keyPath: field.keyPath] = absolute(value, relativeTo: fromOverride ? workingDirectory : folder)
        }
    }
}
