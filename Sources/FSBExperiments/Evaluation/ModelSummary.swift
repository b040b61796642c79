import FSBCore
import FSBNN
import Foundation

/// `fsb profile`: the model profile of an experiment config or a checkpoint (the table a run
/// writes to `profile.txt`/`profile.csv`), built without reading data or training.
public enum ModelSummary {
    /// The profile of the network a config file (with `overrides`) describes.
    public static func profile(configFile: String, overrides: [ConfigOverride] = []) throws -> ModelProfile {
        try ModelBuilder.buildForShapes(try ExperimentConfig.load(path: configFile, overrides: overrides)).profile()
    }

    /// The profile of the network a checkpoint was trained with (from its recorded config).
    public static func profile(checkpointFile: String) throws -> ModelProfile {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: checkpointFile))
        return try ModelBuilder.buildForShapes(checkpoint.header.config).profile()
    }
}
