import FSBCore
import Foundation

/// A training experiment as written in a JSON config file (`configs/*.json`).
///
/// Every field but `dataset.name` and `model.architecture` has a default; the defaults are
/// documented here and in `configs/README.md`, and a run writes its fully resolved config.
/// Decoding is strict: unknown keys, wrong types, out-of-range values and impossible
/// combinations are rejected with a `ConfigError` naming the JSON path.
public struct ExperimentConfig: Codable, Equatable, Sendable {
    /// Run name, used for the default output folder `runs/<name>` (default `"run"`); a
    /// single folder name (`PathComponent`).
    public var name: String
    /// Seed of every random choice: init, signs, data order, augmentation, dropout (default 1).
    public var seed: UInt64
    public var dataset: DatasetConfig
    public var model: ModelConfig
    public var training: TrainingConfig
    public var output: OutputConfig

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed, dataset, model, training, output
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name, default: "run", check: PathComponent.problem)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        dataset = try c.decode(DatasetConfig.self, forKey: .dataset)
        model = try c.decode(ModelConfig.self, forKey: .model)
        training = c.contains(.training)
            ? try TrainingConfig(from: try c.superDecoder(forKey: .training), defaults: .of(model.architecture))
            : TrainingConfig.defaults(for: model.architecture)
        output = try c.decodeIfPresent(OutputConfig.self, forKey: .output) ?? OutputConfig()
        try checkScheduleFitsEpochs(file: "")
        try checkModelFitsBudget(file: "")
    }

    /// An MLP's weights (input x hidden... x classes), counted without overflow, must fit
    /// `ModelConfig.mlpParameterBudget`, so that an absurd width is refused before allocation.
    func checkModelFitsBudget(file: String) throws {
        guard model.architecture == .mlp else { return }
        let scaled = model.hidden.map { max(1, Int((Double($0) * model.widthMultiplier).rounded())) }
        let widths = [dataset.name.imageBytes] + scaled + [dataset.name.classCount(labels: dataset.cifar100Labels)]
        let weights = CheckedArithmetic.sum(zip(widths, widths.dropFirst()).map { CheckedArithmetic.multiply($0, $1) ?? Int.max })
        if weights.map({ $0 > ModelConfig.mlpParameterBudget }) ?? true {
            throw ConfigError(file: file, path: "model.hidden",
                              message: "the MLP would have \(weights.map(String.init) ?? "more than 2^63") weights, more than the \(ModelConfig.mlpParameterBudget) fsb allows, got widths \(model.hidden)")
        }
    }

    /// Checks that the schedule fits the epoch count (milestones and warm-up before the end).
    func checkScheduleFitsEpochs(file: String) throws {
        let epochs = training.epochs
        if training.schedule.kind == .step, let late = training.schedule.milestones.first(where: { $0 >= epochs }) {
            throw ConfigError(file: file, path: "training.schedule.milestones",
                              message: "milestone \(late) is not before the last epoch (epochs = \(epochs))")
        }
        if training.schedule.warmupEpochs > 0 && training.schedule.warmupEpochs >= epochs {
            throw ConfigError(file: file, path: "training.schedule.warmupEpochs",
                              message: "must be less than training.epochs (\(epochs)), got \(training.schedule.warmupEpochs)")
        }
    }

    /// Reads and validates a config file, applies `overrides` (`--set`) and validates the
    /// result the same way. Relative file paths in the config are resolved against the
    /// config file's folder, those set by an override against the working directory
    /// (`ConfigPaths`).
    public static func load(path: String, overrides: [ConfigOverride] = []) throws -> ExperimentConfig {
        var config: ExperimentConfig
        if overrides.isEmpty {
            do {
                config = try StrictJSON.decode(ExperimentConfig.self, fromFile: path)
            } catch let error as ConfigError where error.file.isEmpty {
                throw ConfigError(file: path, path: error.path, message: error.message)
            }
        } else {
            config = try overrides.decodeConfig(try StrictJSON.decode(JSONValue.self, fromFile: path), file: path)
        }
        ConfigPaths.resolve(&config, writtenIn: ConfigPaths.folder(of: path), overridden: overrides.map(\.path))
        return config
    }

    /// Decodes a config from JSON text (for tests and embedded configs).
    public static func decode(json: String, file: String = "") throws -> ExperimentConfig {
        do {
            return try StrictJSON.decode(ExperimentConfig.self, from: Data(json.utf8), file: file)
        } catch let error as ConfigError where error.file.isEmpty && !file.isEmpty {
            throw ConfigError(file: file, path: error.path, message: error.message)
        }
    }

    /// The resolved config as pretty-printed JSON with sorted keys (every default filled in).
    public func resolvedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
