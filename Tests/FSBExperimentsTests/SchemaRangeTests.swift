import FSBCore
@testable import FSBExperiments
import Foundation
import TestSupport
import XCTest

/// The ranges written in `configs/schema/experiment.schema.json` are the decoder's: every
/// numeric field has both bounds, the value at an included bound (or just inside an excluded
/// one) decodes, and the first value past each bound is refused naming the field.
final class SchemaRangeTests: XCTestCase {
    /// Enables every field the schema has (adam and momentum are both decoded; a step
    /// schedule reads milestones; fsb reads signCodebook) with room for the epoch-bounded ones.
    private let base = """
    {"dataset": {"name": "mnist", "augment": {"randomCrop": true}}, "model": {"architecture": "mlp", "method": "fsb"},
     "training": {"epochs": 100000, "optimizer": {"kind": "sgd"}, "schedule": {"kind": "step", "milestones": [1]}}}
    """

    /// Fields whose schema bound cannot be checked with a JSON number: the seed's maximum
    /// is 2^64 - 1, beyond a double's exact integers (checked apart below).
    private let uncheckedUpper: Set<String> = ["seed"]

    private func decode(_ field: SchemaNumberField, _ value: Double) -> String? {
        var json = try! JSONDecoder().decode(JSONValue.self, from: Data(base.utf8))
        let number = JSONValue.number(value)
        json.set(path: field.dotted, to: field.path.last == "[]" ? .array([number]) : number)
        if field.dotted.hasPrefix("training.optimizer.beta") || field.dotted == "training.optimizer.epsilon" {
            json.set(path: "training.optimizer.kind", to: .string("adam"))
        }
        if field.dotted == "training.epochs" { json.set(path: "training.schedule", to: .object(["kind": .string("constant")])) }
        do {
            _ = try ExperimentConfig.decode(json: String(decoding: try json.encoded(), as: UTF8.self), file: "s.json")
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testEveryNumericFieldHasTheDecodersRange() throws {
        let url = TrainerTests.repositoryRoot.appendingPathComponent("configs/schema/experiment.schema.json")
        let fields = try SchemaNumberField.all(inSchemaAt: url)
        XCTAssertGreaterThanOrEqual(fields.count, 28)
        for field in fields {
            XCTAssertNotNil(field.lower, "\(field): the schema gives no lower bound")
            XCTAssertNotNil(field.upper, "\(field): the schema gives no upper bound")
            for value in field.insideValues where !(uncheckedUpper.contains(field.dotted) && value == field.upper) {
                XCTAssertNil(decode(field, value), "\(field) = \(value) is inside the schema's range but refused")
            }
            for value in field.outsideValues where !(uncheckedUpper.contains(field.dotted) && value > 0) {
                let message = decode(field, value)
                XCTAssertNotNil(message, "\(field) = \(value) is outside the schema's range but accepted")
                if let message { XCTAssertTrue(message.hasPrefix("s.json: \(field.dotted)"), "\(field) = \(value): \(message)") }
            }
        }
    }

    func testSeedTakesEveryUnsignedSixtyFourBitValue() throws {
        for seed in ["0", "18446744073709551615"] {
            XCTAssertNoThrow(try ExperimentConfig.decode(json: base.replacingOccurrences(of: #"{"dataset""#, with: #"{"seed": \#(seed), "dataset""#)))
        }
        XCTAssertThrowsError(try ExperimentConfig.decode(json: base.replacingOccurrences(of: #"{"dataset""#, with: #"{"seed": 18446744073709551616, "dataset""#)))
    }
}
