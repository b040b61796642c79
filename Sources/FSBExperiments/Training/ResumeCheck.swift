import FSBCore
import Foundation

/// Checks, before a run is resumed, that its `last.fsbckpt` belongs to it: the SHA-256 of
/// the resolved config stored in the checkpoint must equal that of the run folder's
/// `config.json`; when they differ, the refusal lists the fields that differ.
/// Format-1 checkpoints hold no hash: they are resumed with a note saying so. The one field
/// allowed to differ is `training.precision`, which a resume may switch.
public enum ResumeCheck {
    /// Throws when the checkpoint belongs to another run or `config.json` was edited;
    /// returns a note to print when the check could not be made (format 1), else nil.
    public static func verify(_ checkpoint: Checkpoint, folder: RunFolder) throws -> String? {
        let checkpointPath = folder.lastCheckpoint.path
        guard let stored = checkpoint.header.configSHA256 else {
            return "note: \(checkpointPath) is checkpoint format \(checkpoint.readVersion), which holds no config hash; not checked that it belongs to the run in \(folder.url.path)"
        }
        guard FileManager.default.fileExists(atPath: folder.config.path) else {
            throw FSBError("\(folder.config.path): missing; cannot check that \(checkpointPath) belongs to this run (a run folder always holds the config.json it was started with)")
        }
        let runConfig = try ExperimentConfig.load(path: folder.config.path)
        let runHash = try runConfig.resolvedSHA256()
        // The checkpoint's own config re-resolved by this build: equal when only the JSON
        // rendering of the config changed between fsb versions.
        let rehashed = try checkpoint.header.config.resolvedSHA256()
        if runHash == stored || runHash == rehashed { return nil }
        // `training.precision` may differ: `--resume --precision` switches it in config.json
        // before the next checkpoint records it.
        var runOtherwise = runConfig, checkpointOtherwise = checkpoint.header.config
        runOtherwise.training.precision = .fp32
        checkpointOtherwise.training.precision = .fp32
        if try runOtherwise.resolvedSHA256() == checkpointOtherwise.resolvedSHA256() { return nil }
        let differences = try differingFields(runConfig, checkpoint.header.config)
        let listed = differences.isEmpty ? "(no field differs after resolution; the stored hash is \(stored))"
            : differences.prefix(5).joined(separator: "; ") + (differences.count > 5 ? "; and \(differences.count - 5) more" : "")
        throw FSBError("\(checkpointPath): does not belong to the run in \(folder.url.path): its config differs from config.json at \(listed); refusing to resume")
    }

    /// `path: config.json has X, the checkpoint Y` for every leaf that differs.
    static func differingFields(_ run: ExperimentConfig, _ checkpoint: ExperimentConfig) throws -> [String] {
        let left = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(run))
        let right = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(checkpoint))
        var out: [String] = []
        collect(left, right, path: "", into: &out)
        return out
    }

    private static func collect(_ a: JSONValue, _ b: JSONValue, path: String, into out: inout [String]) {
        if case .object(let x) = a, case .object(let y) = b {
            for key in Set(x.keys).union(y.keys).sorted() {
                collect(x[key] ?? .null, y[key] ?? .null, path: path.isEmpty ? key : path + "." + key, into: &out)
            }
        } else if a != b {
            out.append("\(path): config.json has \(a.compactText), the checkpoint \(b.compactText)")
        }
    }
}
