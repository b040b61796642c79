import FSBCore
@testable import FSBExperiments
import FSBNN
import XCTest

/// Every class of config error names the exact JSON path, what was expected and what was found.
final class ExperimentConfigTests: XCTestCase {
    private let minimal = #"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}}"#

    private func error(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try ExperimentConfig.decode(json: json, file: "x.json")
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch let error as ConfigError {
            return error.description
        } catch {
            XCTFail("unexpected error type: \(error)", file: file, line: line)
            return ""
        }
    }

    func testMinimalConfigFillsEveryDefault() throws {
        let config = try ExperimentConfig.decode(json: minimal)
        XCTAssertEqual(config.seed, 1)
        XCTAssertEqual(config.name, "run")
        XCTAssertEqual(config.training.epochs, 10)
        XCTAssertEqual(config.training.batchSize, 128)
        XCTAssertEqual(config.training.optimizer.kind, .adam)
        XCTAssertEqual(config.training.optimizer.learningRate, 0.002)
        XCTAssertEqual(config.training.optimizer.weightDecay, 0)
        XCTAssertEqual(config.training.schedule.kind, .cosine)
        XCTAssertEqual(config.model.method.name, "fsb")
        XCTAssertEqual(config.model.firstLayerMethod, .fp)
        XCTAssertEqual(config.model.lastLayerMethod, .fp)
        XCTAssertEqual(config.model.fsb.granularity, .kernel)
        XCTAssertEqual(config.model.fsb.alphaSign, .nonnegative)
        XCTAssertTrue(config.model.batchNorm)
    }

    func testDefaultsDependOnTheArchitectureAndTheOptimizerKind() throws {
        let resnet = try ExperimentConfig.decode(json: #"{"dataset": {"name": "cifar-10"}, "model": {"architecture": "resnet20"}}"#)
        XCTAssertEqual(resnet.training.optimizer.kind, .sgd)
        XCTAssertEqual(resnet.training.optimizer.learningRate, 0.1)
        XCTAssertEqual(resnet.training.optimizer.momentum, 0.9)
        XCTAssertTrue(resnet.training.optimizer.nesterov)
        XCTAssertEqual(resnet.training.optimizer.weightDecay, 5e-4)
        XCTAssertEqual(resnet.training.optimizer.weightDecayOn, ["weight"])
        // Another kind than the architecture's takes that kind's plain defaults.
        let adam = try ExperimentConfig.decode(json: #"{"dataset": {"name": "cifar-10"}, "model": {"architecture": "resnet20"}, "training": {"optimizer": {"kind": "adam"}}}"#)
        XCTAssertEqual(adam.training.optimizer.learningRate, 0.002)
        XCTAssertEqual(adam.training.optimizer.weightDecay, 0)
        let sgd = try ExperimentConfig.decode(json: #"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"optimizer": {"kind": "sgd"}}}"#)
        XCTAssertEqual(sgd.training.optimizer.learningRate, 0.1)
        XCTAssertFalse(sgd.training.optimizer.nesterov)
        // Momentum 0 turns the default Nesterov off instead of failing.
        let plain = try ExperimentConfig.decode(json: #"{"dataset": {"name": "cifar-10"}, "model": {"architecture": "resnet20"}, "training": {"optimizer": {"momentum": 0}}}"#)
        XCTAssertFalse(plain.training.optimizer.nesterov)
        // A resolved config keeps its meaning whatever the defaults become.
        XCTAssertEqual(try ExperimentConfig.decode(json: try resnet.resolvedJSON()), resnet)
    }

    func testSchemaDefaultsAreTheDecodersForEveryArchitecture() throws {
        // A "default" in the schema must be what the decoder fills in for every architecture;
        // fields whose default depends on the architecture carry none (their description says it).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("configs/schema/experiment.schema.json"))) as? [String: Any])
        var defaults: [(path: [String], value: JSONValue)] = []
        func collect(_ node: [String: Any], _ path: [String]) throws {
            if let value = node["default"] {
                let data = try JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed)
                defaults.append((path, try JSONDecoder().decode(JSONValue.self, from: data)))
            }
            for (key, child) in (node["properties"] as? [String: Any]) ?? [:] {
                if let child = child as? [String: Any] { try collect(child, path + [key]) }
            }
        }
        try collect(schema, [])
        XCTAssertGreaterThan(defaults.count, 30)
        for architecture in ModelConfig.Architecture.allCases {
            let dataset = architecture == .lenet5 || architecture == .mlp ? "mnist" : "cifar-10"
            let config = try ExperimentConfig.decode(json: #"{"dataset": {"name": "\#(dataset)"}, "model": {"architecture": "\#(architecture.rawValue)"}}"#)
            let resolved = try JSONDecoder().decode(JSONValue.self, from: Data(try config.resolvedJSON().utf8))
            for (path, value) in defaults {
                var node: JSONValue? = resolved
                for key in path { if case .object(let object)? = node { node = object[key] } else { node = nil } }
                guard let found = node else { continue } // not written for this architecture or kind (e.g. hidden, momentum)
                XCTAssertEqual(found, value, "\(architecture.rawValue): \(path.joined(separator: "."))")
            }
        }
    }

    func testResolvedConfigRoundTrips() throws {
        let config = try ExperimentConfig.decode(json: minimal)
        let again = try ExperimentConfig.decode(json: try config.resolvedJSON())
        XCTAssertEqual(config, again)
    }

    func testUnknownKey() {
        let message = error(#"{"dataset": {"name": "mnist", "nmae": 1}, "model": {"architecture": "lenet5"}}"#)
        XCTAssertTrue(message.hasPrefix("x.json: dataset.nmae: unknown key \"nmae\""), message)
    }

    func testWrongType() {
        let message = error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"epochs": "ten"}}"#)
        XCTAssertTrue(message.hasPrefix("x.json: training.epochs: expected an integer, found"), message)
        XCTAssertTrue(message.contains("string"), message)
    }

    func testOutOfRange() {
        let message = error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"optimizer": {"learningRate": -1}}}"#)
        XCTAssertEqual(message, "x.json: training.optimizer.learningRate: must be in (0, 1000000000], got -1")
    }

    func testMissingRequiredField() {
        XCTAssertEqual(error(#"{"dataset": {}, "model": {"architecture": "lenet5"}}"#),
                       "x.json: dataset.name: missing (required field)")
        XCTAssertEqual(error(#"{"dataset": {"name": "mnist"}}"#), "x.json: model: missing (required field)")
    }

    func testUnknownChoice() {
        let message = error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5", "fsb": {"granularity": "row"}}}"#)
        XCTAssertEqual(message, #"x.json: model.fsb.granularity: expected one of "filter", "kernel", "element", got "row""#)
    }

    func testImpossibleCombinations() {
        XCTAssertEqual(error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5", "fsb": {"signInit": "checkpoint"}}}"#),
                       #"x.json: model.fsb.signCheckpoint: missing (required when signInit is "checkpoint")"#)
        XCTAssertEqual(error(#"{"dataset": {"name": "cifar-10"}, "model": {"architecture": "resnet20", "batchNorm": false}}"#),
                       "x.json: model.batchNorm: resnet20 always uses BatchNorm, got false")
        XCTAssertEqual(error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"epochs": 5, "schedule": {"kind": "step", "milestones": [3, 8]}}}"#),
                       "x.json: training.schedule.milestones: milestone 8 is not before the last epoch (epochs = 5)")
        XCTAssertEqual(error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"optimizer": {"kind": "adam", "momentum": 0.9}}}"#),
                       #"x.json: training.optimizer.momentum: only applies to kind "sgd", got kind "adam""#)
    }

    func testArrayElementPath() {
        let message = error(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"optimizer": {"weightDecayOn": ["weight", "gamma"]}}}"#)
        XCTAssertTrue(message.hasPrefix("x.json: training.optimizer.weightDecayOn[1]: expected one of"), message)
        XCTAssertTrue(message.hasSuffix(#"got "gamma""#), message)
    }

    func testInvalidJSON() {
        XCTAssertThrowsError(try ExperimentConfig.decode(json: #"{"dataset": {"name": "mnist"},"#, file: "x.json")) { error in
            XCTAssertEqual("\(error)", "x.json: line 1, column 31: expected a member name in double quotes after ',', found the end of the text")
        }
    }

    func testShippedConfigsAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("configs")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThan(files.count, 10)
        for file in files {
            let config = try ExperimentConfig.load(path: folder.appendingPathComponent(file).path)
            XCTAssertEqual(try ExperimentConfig.decode(json: try config.resolvedJSON()), config, "\(file): resolved config must decode back")
        }
    }

    func testSchemaNamesEveryKey() throws {
        // The JSON Schema must list exactly the keys the decoder accepts, section by section.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("configs/schema/experiment.schema.json"))
        let schema = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        func keys(_ object: [String: Any]?) -> Set<String> { Set((object?["properties"] as? [String: Any])?.keys.map { $0 } ?? []) }
        func section(_ path: [String]) -> [String: Any]? {
            var node: [String: Any]? = schema
            for name in path { node = (node?["properties"] as? [String: Any])?[name] as? [String: Any] }
            return node
        }
        XCTAssertEqual(keys(schema), Set(ExperimentConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["dataset"])), Set(DatasetConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["dataset", "augment"])), Set(AugmentConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["model"])), Set(ModelConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["model", "fsb"])), Set(FSBConfig.CodingKeys.allCases.map(\.rawValue)))
        // Every method field lists exactly the engine's method names, in the factory's order.
        let names = WeightMethod.allCases.map(\.rawValue)
        for field in ["method", "firstLayerMethod", "lastLayerMethod"] {
            XCTAssertEqual(section(["model", field])?["enum"] as? [String], names, field)
        }
        XCTAssertEqual((section(["model", "layerMethods"])?["additionalProperties"] as? [String: Any])?["enum"] as? [String], names)
        XCTAssertEqual(keys(section(["training"])), Set(TrainingConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["training", "optimizer"])), Set(OptimizerConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["training", "schedule"])), Set(ScheduleConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(section(["output"])), Set(OutputConfig.CodingKeys.allCases.map(\.rawValue)))
        let compare = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("configs/schema/compare.schema.json"))) as? [String: Any])
        XCTAssertEqual(keys(compare), Set(CompareSpec.CodingKeys.allCases.map(\.rawValue)))
    }
}
