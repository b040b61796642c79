import FSBCore
@testable import FSBHardware
import Foundation
import TestSupport
import XCTest

/// The ranges written in `configs/schema/hardware.schema.json` are the decoder's: every
/// numeric field has both bounds, the value at an included bound (or just inside an excluded
/// one) decodes, and the first value past each bound is refused naming the field.
final class HardwareSchemaRangeTests: XCTestCase {
    private func config(setting field: SchemaNumberField, to value: Double) -> String {
        var fields: [String: String] = [
            "arrayRows": "8", "arrayCols": "8", "clockMHz": "500", "signCodebook": "4", "dramBytesPerCycle": "16",
        ]
        var bits = ["activations": "32", "weights": "32", "factors": "32", "accumulators": "32"]
        var buffers = ["input": "64", "weight": "64", "output": "64"]
        var unit = ["kind": "\"fsb\"", "arrayRows": "8", "arrayCols": "8"]
        let text = StrictJSON.describe(value)
        switch field.path.first {
        case "bits": bits[field.path[1]] = text
        case "buffersKiB": buffers[field.path[1]] = text
        case "units": unit[field.path[2]] = text
        default: fields[field.dotted] = text
        }
        func object(_ pairs: [String: String]) -> String {
            "{" + pairs.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
        if field.path.first == "units" {
            // A config with units names its arrays there only.
            fields["units"] = "[" + object(unit) + "]"
            fields["arrayRows"] = nil
            fields["arrayCols"] = nil
        }
        fields["bits"] = object(bits)
        fields["buffersKiB"] = object(buffers)
        fields["name"] = "\"t\""
        if field.path.first != "units" { fields["kind"] = "\"fsb\"" }
        fields["arithmetic"] = "\"fp32\""
        return object(fields)
    }

    func testEveryNumericFieldHasTheDecodersRange() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fields = try SchemaNumberField.all(inSchemaAt: root.appendingPathComponent("configs/schema/hardware.schema.json"))
        XCTAssertGreaterThanOrEqual(fields.count, 12)
        for field in fields {
            XCTAssertNotNil(field.lower, "\(field): the schema gives no lower bound")
            XCTAssertNotNil(field.upper, "\(field): the schema gives no upper bound")
            for value in field.insideValues {
                XCTAssertNoThrow(try HardwareConfig.decode(Data(config(setting: field, to: value).utf8), file: "hw.json"), "\(field) = \(value)")
            }
            for value in field.outsideValues {
                XCTAssertThrowsError(try HardwareConfig.decode(Data(config(setting: field, to: value).utf8), file: "hw.json"), "\(field) = \(value)") { error in
                    let path = field.path.first == "units" ? "units[0].\(field.path[2])" : field.dotted
                    XCTAssertTrue("\(error)".hasPrefix("hw.json: \(path)"), "\(field) = \(value): \(error)")
                }
            }
        }
    }
}
