import FSBCore
import FSBNN
import Foundation

/// `fsb profile`: the model profile of an experiment config or a checkpoint (the table a run
/// writes to `profile.txt`/`profile.csv`), built without reading data or training.
public enum ModelSummary {
    /// The profile of the network a config file (with `overrides`) describes.
    public static func profile(configFile: String, overrides: [ConfigOverride] = []) throws -> ModelProfile {
        let config = try ExperimentConfig.load(path: configFile, overrides: overrides)
        do {
            return try ModelBuilder.buildForShapes(config).profile()
        } catch let error as ConfigError {
            throw overrides.locate(error, file: configFile)
        }
    }

    /// The profile of the network a checkpoint was trained with (from its recorded config),
    /// with the trained parameter values loaded, so that counts which depend on the weights
    /// (the zero weights of a twn layer) are the trained model's.
    public static func profile(checkpointFile: String) throws -> ModelProfile {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: checkpointFile))
        let network = try ModelBuilder.buildForShapes(checkpoint.header.config)
        for parameter in network.parameters {
            if let trained = checkpoint.tensors[parameter.name], trained.shape == parameter.value.shape { parameter.value = trained }
        }
        return network.profile()
    }
}
