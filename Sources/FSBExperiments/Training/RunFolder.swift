import Foundation

/// The files of one training run, all written atomically.
///
///     <run>/config.json     resolved config (every default filled in)
///     <run>/invocation.json data root, working directory and command line of the start
///     <run>/profile.txt     model profile table; profile.csv the same as CSV
///     <run>/metrics.csv     one row per epoch
///     <run>/summary.csv     one row for the whole run (written when it finishes; summary.json the same)
///     <run>/last.fsbckpt    checkpoint after the last completed epoch (or the interruption)
///     <run>/best.fsbckpt    checkpoint of the best epoch
public struct RunFolder: Sendable {
    public let url: URL

    public init(path: String) { url = URL(fileURLWithPath: path, isDirectory: true) }

    public var config: URL { url.appendingPathComponent("config.json") }
    public var invocation: URL { url.appendingPathComponent("invocation.json") }
    public var profileText: URL { url.appendingPathComponent("profile.txt") }
    public var profileCSV: URL { url.appendingPathComponent("profile.csv") }
    public var metrics: URL { url.appendingPathComponent("metrics.csv") }
    public var summary: URL { url.appendingPathComponent("summary.csv") }
    public var summaryJSON: URL { url.appendingPathComponent("summary.json") }
    public var lastCheckpoint: URL { url.appendingPathComponent("last.fsbckpt") }
    public var bestCheckpoint: URL { url.appendingPathComponent("best.fsbckpt") }

    /// True when the run finished (its summary exists).
    public var isComplete: Bool { FileManager.default.fileExists(atPath: summaryJSON.path) }
}
