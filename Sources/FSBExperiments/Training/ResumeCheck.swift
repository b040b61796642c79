import FSBCore
import Foundation

/// Checks, before a run is resumed, that its `last.fsbckpt` belongs to it: the config in the
/// checkpoint's header, resolved, must equal the run folder's `config.json` (their SHA-256
/// under this build); when they differ, the refusal lists the fields that differ.
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
        // Both configs resolved by this build: equal whenever they mean the same, even when
        // the JSON rendering changed between the fsb versions that wrote them. The stored
        // hash alone is not enough: a header edited with its CRC-32 rewritten keeps the
        // hash of the config it was written with, whatever its config now says.
        if try runConfig.resolvedSHA256() == checkpoint.header.config.resolvedSHA256() { return nil }
        // `training.precision` may differ: `--resume --precision` switches it in config.json
        // before the next checkpoint records it.
        var runOtherwise = runConfig, checkpointOtherwise = checkpoint.header.config
        runOtherwise.training.precision = .fp32
        checkpointOtherwise.training.precision = .fp32
        if try runOtherwise.resolvedSHA256() == checkpointOtherwise.resolvedSHA256() { return nil }
        let differences = try ConfigDifference.fields(runConfig, checkpoint.header.config,
                                                      leftName: "config.json", rightName: "the checkpoint")
        let listed = differences.isEmpty ? "(no field differs after resolution; the stored hash is \(stored))"
            : ConfigDifference.summary(differences)
        throw FSBError("\(checkpointPath): does not belong to the run in \(folder.url.path): its config differs from config.json at \(listed); refusing to resume")
    }
}
