import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

final class HardwareConfigTests: XCTestCase {
    let valid = """
    { "name": "t", "kind": "fsb", "arrayRows": 8, "arrayCols": 8, "dataflow": "ws", "clockMHz": 200,
      "arithmetic": "int8", "bits": { "activations": 8, "factors": 6 },
      "buffersKiB": { "input": 16, "weight": 16, "output": 16 }, "dramBytesPerCycle": 8,
      "signSource": "lfsr", "signCodebook": 4 }
    """

    func decodeError(_ json: String) -> ConfigError? {
        do {
            _ = try HardwareConfig.decode(Data(json.utf8), file: "hw.json")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func replacing(_ old: String, _ new: String) -> String {
        XCTAssertTrue(valid.contains(old), old)
        return valid.replacingOccurrences(of: old, with: new)
    }

    func testDecodesWithDefaults() throws {
        let config = try HardwareConfig.decode(Data(valid.utf8))
        XCTAssertEqual(config.kind, .fsb)
        XCTAssertEqual(config.dataflow, .weightStationary)
        XCTAssertEqual(config.bits, .init(activations: 8, weights: 8, factors: 6, accumulators: 32))
        XCTAssertEqual(config.signCodebook, 4)
        XCTAssertEqual(config.energyTable, HardwareConfig.defaultEnergyTable)
    }

    func testErrorsCarryJSONPaths() {
        XCTAssertEqual(decodeError(replacing("\"clockMHz\": 200", "\"clockMHz\": 200, \"speed\": 1"))?.path, "speed")
        XCTAssertEqual(decodeError(replacing("\"factors\": 6", "\"factors\": 6, \"extra\": 1"))?.path, "bits.extra")
        let wrongType = decodeError(replacing("\"arrayRows\": 8", "\"arrayRows\": \"8\""))
        XCTAssertEqual(wrongType?.path, "arrayRows")
        XCTAssertEqual(wrongType?.file, "hw.json")
        let range = decodeError(replacing("\"activations\": 8", "\"activations\": 12"))
        XCTAssertEqual(range?.path, "bits.activations")
        XCTAssertEqual(range?.message, "must be in 1...8 for arithmetic int8, got 12")
        XCTAssertEqual(decodeError(replacing("\"input\": 16", "\"input\": 0"))?.path, "buffersKiB.input")
        XCTAssertEqual(decodeError(replacing("\"ws\"", "\"xs\""))?.message,
                       "expected one of \"os\", \"ws\", \"is\", got \"xs\"")
        XCTAssertEqual(decodeError(replacing("\"kind\": \"fsb\"", "\"kind\": \"bwn\""))?.path, "signSource")
        XCTAssertEqual(decodeError(replacing("\"signCodebook\": 4", "\"signCodebook\": 0"))?.path, "signCodebook")
        XCTAssertEqual(decodeError(replacing("\"clockMHz\": 200,", ""))?.path, "clockMHz")
        XCTAssertEqual(decodeError(replacing("\"dramBytesPerCycle\": 8", "\"dramBytesPerCycle\": -1"))?.description,
                       "hw.json: dramBytesPerCycle: must be in [0.001, 1000000], got -1")
    }

    func testShippedConfigsAndEnergyTableLoad() throws {
        let folder = HardwareFixtures.path("configs/hw")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("energy") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let accelerator = try Accelerator.load(configPath: folder + "/" + file)
            XCTAssertEqual(accelerator.config.name + ".json", file)
            XCTAssertEqual(accelerator.energy.int8MultiplyPJ, 0.2)
            XCTAssertEqual(accelerator.energy.fp32MultiplyPJ, 3.7)
            XCTAssertEqual(accelerator.energy.dram64BitPJ, 2000)
            XCTAssertEqual(accelerator.energy.sramAccess(sizeKiB: 32), 20)
        }
    }

    func testEnergyTableRejectsUnknownKey() throws {
        let url = URL(fileURLWithPath: HardwareFixtures.path("configs/hw/energy-horowitz-45nm.json"))
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"lfsrStepPJ\"", with: "\"lfsrStep\"")
        XCTAssertThrowsError(try StrictJSON.decode(EnergyTable.self, from: Data(text.utf8), file: "e.json")) { error in
            XCTAssertEqual((error as? ConfigError)?.path, "lfsrStep")
        }
    }
}

/// The JSON Schema for hardware configs lists exactly the keys the decoder accepts.
final class HardwareSchemaTests: XCTestCase {
    func testSchemaNamesEveryKey() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("configs/schema/hardware.schema.json"))
        let schema = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try XCTUnwrap(schema["properties"] as? [String: Any])
        func keys(_ object: Any?) -> Set<String> { Set(((object as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? []) }
        XCTAssertEqual(Set(properties.keys), Set(HardwareConfig.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(properties["bits"]), Set(HardwareConfig.BitWidths.CodingKeys.allCases.map(\.rawValue)))
        XCTAssertEqual(keys(properties["buffersKiB"]), Set(HardwareConfig.BufferSizes.CodingKeys.allCases.map(\.rawValue)))
    }
}
