import FSBCore
import FSBData
import FSBHardware
import FSBNN
import Foundation

/// The bridge from the training side to the simulator: a network reaches FSBHardware only
/// as the list of its Conv2D/Linear `LayerShape`s (each with its method's weight encoding).
public enum NetworkShapes {
    /// Layer shapes of a built network (`Network.layerShapes`: shapes, methods, weight encodings).
    public static func layerShapes(of network: Network) -> [LayerShape] { network.layerShapes }

    /// Builds the experiment's network (without reading any data: the input shape and
    /// class count follow from the dataset name) and returns its layer shapes.
    public static func layerShapes(of config: ExperimentConfig) throws -> [LayerShape] {
        layerShapes(of: try ModelBuilder.buildForShapes(config))
    }

    /// Layer shapes of a file that is either an experiment config (`.json`) or a checkpoint.
    public static func layerShapes(ofConfigOrCheckpoint path: String) throws -> (config: ExperimentConfig, layers: [LayerShape]) {
        let config: ExperimentConfig
        if path.hasSuffix(".json") {
            config = try ExperimentConfig.load(path: path)
        } else {
            config = try Checkpoint.read(from: URL(fileURLWithPath: path)).header.config
        }
        do {
            return (config, try layerShapes(of: config))
        } catch let error as ConfigError {
            throw error.located(in: path)
        }
    }
}

/// Simulator totals of one inference of a trained run, for the compare tables.
public enum HardwareEstimate {
    /// Total cycles and energy of one inference (batch 1) of the checkpoint's model on one
    /// accelerator. Only the model's shapes and methods matter, so when the checkpoint is
    /// gone (a shipped results folder keeps `config.json` but no checkpoints) the run's
    /// `config.json` beside it stands in for the checkpoint's config.
    public static func totals(checkpoint: String, hardwareConfig: String) throws -> CompareRow.HardwareTotals {
        let runConfig = URL(fileURLWithPath: checkpoint).deletingLastPathComponent().appendingPathComponent("config.json").path
        let source = !FileManager.default.fileExists(atPath: checkpoint) && FileManager.default.fileExists(atPath: runConfig)
            ? runConfig : checkpoint
        let (_, layers) = try NetworkShapes.layerShapes(ofConfigOrCheckpoint: source)
        let accelerator = try Accelerator.load(configPath: hardwareConfig)
        let simulation = try HardwareSimulation.run(layers: layers, accelerators: [accelerator], mode: .inference, batchSize: 1)
        let total = simulation.reports[0].total
        return .init(totalCycles: total.totalCycles, energyMicrojoules: total.energyPJ / 1e6)
    }
}
