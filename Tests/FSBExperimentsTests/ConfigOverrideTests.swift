import FSBCore
@testable import FSBExperiments
import FSBNN
import XCTest

/// `--set PATH=VALUE`: values parsed as JSON, applied before strict decoding, errors naming
/// the override; and file paths resolved against the file they were written in.
final class ConfigOverrideTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-override-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func configFile(_ json: String = #"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}}"#) throws -> String {
        let path = try temporaryFolder().appendingPathComponent("run.json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func load(_ sets: [String], file: String? = nil) throws -> ExperimentConfig {
        try ExperimentConfig.load(path: try file ?? configFile(), overrides: sets.map { try ConfigOverride(parsing: $0) })
    }

    private func message(_ sets: [String], file: String? = nil) -> String {
        do {
            _ = try load(sets, file: file)
            XCTFail("expected an error for \(sets)")
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testValuesAreJSONOrBareStrings() throws {
        XCTAssertEqual(try ConfigOverride(parsing: "training.epochs=3").value, .integer(3))
        XCTAssertEqual(try ConfigOverride(parsing: "training.optimizer.learningRate=0.5").value, .number(0.5))
        XCTAssertEqual(try ConfigOverride(parsing: "model.method=bwn").value, .string("bwn"))
        XCTAssertEqual(try ConfigOverride(parsing: #"name="42""#).value, .string("42"))
        XCTAssertEqual(try ConfigOverride(parsing: "training.gradientClipNorm=null").value, .null)
        XCTAssertEqual(try ConfigOverride(parsing: "model.batchNorm=false").value, .bool(false))
        XCTAssertEqual(try ConfigOverride(parsing: "a=x=y").value, .string("x=y"))
        XCTAssertEqual(try ConfigOverride(parsing: #"training.optimizer={"kind": "adam"}"#).value, .object(["kind": .string("adam")]))
        XCTAssertEqual(try ConfigOverride(parsing: "model.layerMethods.layer1.0.conv1=bwn").components,
                       ["model", "layerMethods", "layer1.0.conv1"])
    }

    /// Integers stay exact (no trip through a double), and JSON values are as strict as a file.
    func testValuesAreExactIntegersAndStrictJSON() throws {
        XCTAssertEqual(try load(["seed=9007199254740993"]).seed, 9_007_199_254_740_993)
        XCTAssertEqual(try load(["seed=18446744073709551615"]).seed, UInt64.max)
        XCTAssertEqual(message(["training.epochs=9223372036854775807"]),
                       "--set training.epochs=9223372036854775807: training.epochs: must be in 1...100000, got 9223372036854775807")
        XCTAssertEqual(message(["model.layerMethods={\"conv2\":\"bwn\",}"]),
                       "--set model.layerMethods={\"conv2\":\"bwn\",}: the value is not valid JSON: line 1, column 16: expected a member name after ',', found '}' (trailing commas are not allowed)")
        XCTAssertEqual(message(["model.layerMethods={\"conv2\":\"bwn\",\"conv2\":\"fp\"}"]),
                       "--set model.layerMethods={\"conv2\":\"bwn\",\"conv2\":\"fp\"}: the value is not valid JSON: line 1, column 16: duplicate key \"conv2\" (first at line 1, column 2)")
        // An integer beyond 64 bits is refused by the field's range, with its digits.
        XCTAssertEqual(message(["seed=99999999999999999999999"]),
                       "--set seed=99999999999999999999999: seed: expected an integer in 0...18446744073709551615, found 99999999999999999999999")
        XCTAssertEqual(message(["training.epochs=-99999999999999999999999"]),
                       "--set training.epochs=-99999999999999999999999: training.epochs: expected an integer in -9223372036854775808...9223372036854775807, found -99999999999999999999999")
        XCTAssertEqual(try ConfigOverride(parsing: "training.optimizer.learningRate=99999999999999999999999").value.compactText,
                       "99999999999999999999999")
        XCTAssertEqual(message(["seed=1e400"]),
                       "--set seed=1e400: the value is not valid JSON: (top level): expected a number of at most about 1.8e308 in magnitude, found 1e400")
        XCTAssertEqual(try ConfigOverride(parsing: "name=2x-run").value, .string("2x-run"))
        let cell = CompareCell(index: 0, assignment: [.init(path: "seed", value: try ConfigOverride(parsing: "seed=9007199254740993").value)],
                               config: try load([]))
        XCTAssertEqual(cell.folderName, "seed-9007199254740993")
    }

    func testOverridesAreAppliedAndValidated() throws {
        let config = try load(["training.epochs=3", "model.method=bwn", "model.fsb.signCodebook=16",
                               "training.optimizer.learningRate=0.01", "model.layerMethods.conv2=fp"])
        XCTAssertEqual(config.training.epochs, 3)
        XCTAssertEqual(config.model.method, .bwn)
        XCTAssertEqual(config.model.fsb.signCodebook, 16)
        XCTAssertEqual(config.training.optimizer.learningRate, 0.01)
        XCTAssertEqual(config.model.layerMethods, ["conv2": .fp])
        XCTAssertTrue(try config.resolvedJSON().contains(#""signCodebook" : 16"#))
        // The last of two overrides of one path wins.
        XCTAssertEqual(try load(["training.epochs=3", "training.epochs=4"]).training.epochs, 4)
    }

    /// The config's methods are the engine's `WeightMethod` values, decoded from their names;
    /// an fsb method carries the `model.fsb` options, also after either is changed in code.
    func testMethodsAreEngineValuesWithTheFSBOptions() throws {
        var config = try load(["model.fsb.granularity=element", "model.layerMethods.conv2=fsb", "model.lastLayerMethod=bwn"])
        let element = FSBOptions(granularity: .element)
        XCTAssertEqual(config.model.method, .fsb(element))
        XCTAssertEqual(config.model.layerMethods, ["conv2": .fsb(element)])
        XCTAssertEqual(config.model.methods, [.fsb(element), .fp, .bwn, .fsb(element)])
        config.model.fsb.signCodebook = 4
        let codebook = FSBOptions(granularity: .element, signCodebook: 4)
        XCTAssertEqual(config.model.method, .fsb(codebook))
        XCTAssertEqual(config.model.layerMethods["conv2"], .fsb(codebook))
        config.model.firstLayerMethod = .fsb(FSBOptions())
        XCTAssertEqual(config.model.firstLayerMethod, .fsb(codebook))
        XCTAssertTrue(try config.resolvedJSON().contains(#""firstLayerMethod" : "fsb""#))
        XCTAssertEqual(WeightMethod.allCases.map(\.rawValue), ["fp", "binaryconnect", "bwn", "fsb", "twn"])
        XCTAssertEqual(try load(["model.method=twn"]).model.method, .twn)
        XCTAssertEqual(WeightMethod(rawValue: "fsb"), .fsb(FSBOptions()))
        XCTAssertNil(WeightMethod(rawValue: "xnor"))
    }

    func testErrorsNameTheOverride() throws {
        XCTAssertEqual(message(["training.epochs=0"]), "--set training.epochs=0: training.epochs: must be in 1...100000, got 0")
        XCTAssertTrue(message(["training.epoch=3"]).hasPrefix(#"--set training.epoch=3: training.epoch: unknown key "epoch""#),
                      message(["training.epoch=3"]))
        XCTAssertEqual(message(["training.epochs=three"]),
                       "--set training.epochs=three: training.epochs: expected an integer, found the string \"three\"")
        XCTAssertEqual(message(["model.method=ternary"]),
                       #"--set model.method=ternary: model.method: expected one of "fp", "binaryconnect", "bwn", "fsb", "twn", got "ternary""#)
        XCTAssertEqual(message(["training.epochs"]), #"--set training.epochs: expected PATH=VALUE (e.g. training.epochs=3), found no "=""#)
        XCTAssertEqual(message(["training..epochs=3"]), #"--set training..epochs=3: expected a dotted config path such as training.epochs, found "training..epochs""#)
        let seeded = try configFile(#"{"seed": 1, "dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}}"#)
        XCTAssertEqual(message(["seed.value=3"], file: seeded), #"--set seed.value=3: seed is 1, not an object, so it has no field "value""#)
        XCTAssertTrue(message(["seed.value=3"]).hasPrefix("--set seed.value=3: seed: expected an integer, found"), message(["seed.value=3"]))
    }

    func testErrorOutsideTheOverriddenPathNamesTheFileAndTheOverrides() throws {
        let file = try configFile(#"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}, "training": {"optimizer": {"kind": "sgd", "momentum": 0.9}}}"#)
        XCTAssertEqual(message(["training.optimizer.kind=adam"], file: file),
                       #"\#(file) (with --set training.optimizer.kind=adam): training.optimizer.momentum: only applies to kind "sgd", got kind "adam""#)
    }

    func testFilePathsAreRelativeToTheConfigFileAndOverridesToTheWorkingDirectory() throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("sub/run.json")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try #"{"dataset": {"name": "mnist", "path": "../data/mnist"}, "model": {"architecture": "lenet5", "fsb": {"signInit": "checkpoint", "signCheckpoint": "fp.fsbckpt"}}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let config = try ExperimentConfig.load(path: file.path)
        XCTAssertEqual(config.dataset.path, folder.appendingPathComponent("data/mnist").standardizedFileURL.path)
        XCTAssertEqual(config.model.fsb.signCheckpoint, folder.appendingPathComponent("sub/fp.fsbckpt").standardizedFileURL.path)
        let cwd = FileManager.default.currentDirectoryPath
        let overridden = try load(["dataset.path=elsewhere/mnist"], file: file.path)
        XCTAssertEqual(overridden.dataset.path, URL(fileURLWithPath: cwd).appendingPathComponent("elsewhere/mnist").path)
        XCTAssertEqual(overridden.model.fsb.signCheckpoint, config.model.fsb.signCheckpoint)
        XCTAssertEqual(try load(["dataset.path=/abs/mnist"], file: file.path).dataset.path, "/abs/mnist")
    }
}
