import FSBCore
import FSBData
import FSBNN
import Foundation

/// Turns the `model` section of a config into a network: architecture, per-layer methods
/// (first/last-layer roles and overrides) and, for `signInit: checkpoint`, the signs of a
/// trained `fp` checkpoint.
public enum ModelBuilder {
    /// The engine's model spec for a config.
    public static func spec(for model: ModelConfig) -> ModelSpec {
        let architecture: ModelSpec.Architecture
        switch model.architecture {
        case .mlp: architecture = .mlp(hidden: model.hidden)
        case .lenet5: architecture = .lenet5
        case .vggSmall: architecture = .vggSmall
        case .resnet20: architecture = .resnet(depth: 20)
        case .resnet32: architecture = .resnet(depth: 32)
        case .resnet56: architecture = .resnet(depth: 56)
        }
        let plan = MethodPlan(default: model.method, firstLayer: model.firstLayerMethod,
                              lastLayer: model.lastLayerMethod, overrides: model.layerMethods)
        return ModelSpec(architecture: architecture, widthMultiplier: model.widthMultiplier, batchNorm: model.batchNorm,
                         shortcut: model.shortcut == .A ? .optionA : .optionB, dropout: model.dropout, methods: plan)
    }

    /// Builds the network of an experiment without reading any data: the input shape and
    /// class count follow from the dataset name.
    public static func build(_ config: ExperimentConfig) throws -> Network {
        let name = config.dataset.name
        return try build(config, inputShape: [name.channels, name.height, name.width],
                         classCount: name.classCount(labels: config.dataset.cifar100Labels))
    }

    /// Builds the network of an experiment for inputs `[C, H, W]` and `classCount` classes.
    /// `signCheckpointLoader` reads the fp checkpoint named by `model.fsb.signCheckpoint`.
    public static func build(_ config: ExperimentConfig, inputShape: [Int], classCount: Int) throws -> Network {
        let network: Network
        do {
            network = try ModelFactory.build(spec(for: config.model), inputShape: inputShape,
                                             classCount: classCount, seed: config.seed)
        } catch let unknown as UnknownLayerOverride {
            throw ConfigError(file: "", path: "model.layerMethods.\(unknown.name)",
                              message: "no such layer; layers are: \(unknown.layers.joined(separator: ", "))")
        }
        if config.model.usesFSB && config.model.fsb.signInit == .checkpoint, let path = config.model.fsb.signCheckpoint {
            let source = try Checkpoint.read(from: URL(fileURLWithPath: path))
            guard source.header.config.model.architecture == config.model.architecture else {
                throw ConfigError(file: "", path: "model.fsb.signCheckpoint",
                                  message: "\(path) holds a \(source.header.config.model.architecture.rawValue), expected a \(config.model.architecture.rawValue)")
            }
            try network.setFixedSigns(from: source.tensors)
        }
        return network
    }

    /// Builds the experiment's network without reading any data (the input shape and class
    /// count follow from the dataset name) and without reading a sign checkpoint (signs
    /// change neither shapes nor counts): for the model profile and the simulator.
    public static func buildForShapes(_ config: ExperimentConfig) throws -> Network {
        var model = config
        if model.model.fsb.signInit == .checkpoint {
            model.model.fsb.signInit = .random
            model.model.fsb.signCheckpoint = nil
        }
        return try build(model)
    }
}

