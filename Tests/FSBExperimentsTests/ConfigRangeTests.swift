import FSBCore
@testable import FSBExperiments
import XCTest

/// Every number of an experiment config has a documented range: values just beyond each
/// end, and absurd ones (2^63 - 1, 1e308), get one line naming the file and the field,
/// before anything is built or written.
final class ConfigRangeTests: XCTestCase {
    private let base = """
    {"dataset": {"name": "mnist"}, "model": {"architecture": "mlp"},
     "training": {"epochs": 5, "optimizer": {"kind": "sgd"}}}
    """

    private func decodeError(setting path: String, to value: JSONValue, file: StaticString = #filePath, line: UInt = #line) -> String {
        var json = try! JSONDecoder().decode(JSONValue.self, from: Data(base.utf8))
        json.set(path: path, to: value)
        let text = String(decoding: try! json.encoded(), as: UTF8.self)
        do {
            _ = try ExperimentConfig.decode(json: text, file: "r.json")
            XCTFail("\(path) = \(value.compactText) was accepted", file: file, line: line)
            return ""
        } catch {
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            return message
        }
    }

    func testIntegerFieldsJustBeyondTheirRangesAndAbsurdValues() {
        let fields: [(String, ClosedRange<Int>)] = [
            ("training.epochs", 1...100_000), ("training.batchSize", 1...65_536), ("training.evalBatchSize", 1...65_536),
            ("training.threads", 1...256), ("dataset.trainLimit", 1...10_000_000), ("dataset.testLimit", 1...10_000_000),
            ("dataset.augment.padding", 1...16), ("model.fsb.signCodebook", 1...65_536),
        ]
        for (path, range) in fields {
            for value in [range.lowerBound - 1, range.upperBound + 1, -(1 << 52), 1 << 52] {
                XCTAssertEqual(decodeError(setting: path, to: .number(Double(value))),
                               "r.json: \(path): must be in \(range.lowerBound)...\(range.upperBound), got \(value)", "\(path) = \(value)")
            }
        }
    }

    func testAbsurdIntegersInTheTextNameTheField() {
        let cases: [(String, String)] = [
            (#""epochs": 9223372036854775807"#, "r.json: training.epochs: must be in 1...100000, got 9223372036854775807"),
            (#""epochs": 9223372036854775808"#, "r.json: training.epochs: expected an integer in -9223372036854775808...9223372036854775807, found 9223372036854775808"),
            (#""epochs": 1.5"#, "r.json: training.epochs: expected an integer, found 1.5"),
            (#""epochs": 1e308"#, "r.json: training.epochs: expected an integer, found 1e308"),
            (#""epochs": 5, "epochs": 6"#, "r.json: line 2, column 28 (training): duplicate key \"epochs\" (first at line 2, column 15)"),
        ]
        for (replacement, expected) in cases {
            let text = base.replacingOccurrences(of: #""epochs": 5"#, with: replacement)
            XCTAssertThrowsError(try ExperimentConfig.decode(json: text, file: "r.json"), replacement) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
        let seed = base.replacingOccurrences(of: #"{"dataset""#, with: #"{"seed": -5, "dataset""#)
        XCTAssertThrowsError(try ExperimentConfig.decode(json: seed, file: "r.json")) { error in
            XCTAssertEqual("\(error)", "r.json: seed: expected a non-negative integer, found -5")
        }
    }

    func testRealFieldsBeyondTheirRanges() {
        let fields: [(String, [Double], String)] = [
            ("training.optimizer.learningRate", [0, -1, 1.5e9, 1e308], "(0, 1000000000]"),
            ("training.optimizer.momentum", [-0.1, 1, 1e308], "[0, 1)"),
            ("training.optimizer.weightDecay", [-1e-9, 10.5, 1e308], "[0, 10]"),
            ("training.labelSmoothing", [-0.5, 1], "[0, 1)"),
            ("training.gradientClipNorm", [0, 2e6], "(0, 1000000]"),
            ("training.schedule.gamma", [0, 1.5], "(0, 1]"),
            ("training.schedule.divFactor", [0.5, 1e300], "[1, 1000000000000]"),
            ("dataset.validationFraction", [-0.1, 0.6], "[0, 0.5]"),
            ("model.widthMultiplier", [0, 8.5, 1e308], "(0, 8]"),
            ("model.dropout", [1, -0.1], "[0, 1)"),
        ]
        for (path, values, range) in fields {
            for value in values {
                XCTAssertEqual(decodeError(setting: path, to: .number(value)),
                               "r.json: \(path): must be in \(range), got \(StrictJSON.describe(value))", "\(path) = \(value)")
            }
        }
    }

    func testAbsurdModelSizesAreRefusedBeforeAllocation() {
        XCTAssertEqual(decodeError(setting: "model.hidden", to: .array([.number(100_000_000_000)])),
                       "r.json: model.hidden: widths must be in 1...65536, got 100000000000")
        XCTAssertEqual(decodeError(setting: "model.hidden", to: .array(Array(repeating: .number(4), count: 65))),
                       "r.json: model.hidden: layer count must be in 0...64, got 65")
        XCTAssertEqual(decodeError(setting: "model.hidden", to: .array([.number(65_536), .number(65_536)])),
                       "r.json: model.hidden: the MLP would have 4347002880 weights, more than the 268435456 fsb allows, got widths [65536, 65536]")
    }

    func testEpochsFromTheCommandLineAreRanged() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-epochs-\(UUID().uuidString).json")
        try base.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        func load(_ epochs: Int) throws -> ExperimentConfig {
            try ExperimentConfig.load(path: file.path, overrides: [
                ConfigOverride(path: "training.epochs", value: .integer(Int64(epochs)), origin: "--epochs \(epochs)")])
        }
        for epochs in [0, 100_001, Int.max] {
            XCTAssertThrowsError(try load(epochs)) { error in
                XCTAssertEqual("\(error)", "--epochs \(epochs): training.epochs: must be in 1...100000, got \(epochs)")
            }
        }
        XCTAssertEqual(try load(100_000).training.epochs, 100_000)
    }

    func testValueRangeText() {
        XCTAssertEqual(ValueRange(1...16).problem(17), "must be in 1...16")
        XCTAssertNil(ValueRange(1...16).problem(16))
        XCTAssertEqual(ValueRange(0.0, 1.0, upperIncluded: false).problem(.nan), "must be a finite number in [0, 1)")
        XCTAssertEqual(ValueRange(0.0, 1.0, upperIncluded: false).problem(.infinity), "must be a finite number in [0, 1)")
        XCTAssertNil(CheckedArithmetic.product([Int.max, 2]))
        XCTAssertNil(CheckedArithmetic.product([3, -1]))
        XCTAssertEqual(CheckedArithmetic.product([1 << 20, 1 << 20]), 1 << 40)
        XCTAssertNil(CheckedArithmetic.ceilingInt(1e300))
        XCTAssertNil(CheckedArithmetic.ceilingInt(.nan))
        XCTAssertEqual(CheckedArithmetic.ceilingInt(2.1), 3)
    }
}
