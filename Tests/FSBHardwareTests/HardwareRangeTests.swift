import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

/// Numbers of hardware configs, topologies and the batch size beyond their documented
/// ranges are refused with one line; sizes at the limits simulate without trapping.
final class HardwareRangeTests: XCTestCase {
    private let valid = """
    { "name": "t", "kind": "fsb", "arrayRows": 8, "arrayCols": 8, "dataflow": "ws", "clockMHz": 200,
      "arithmetic": "int8", "buffersKiB": { "input": 16, "weight": 16, "output": 16 }, "dramBytesPerCycle": 8,
      "signSource": "lfsr", "signCodebook": 4 }
    """

    func testHardwareNumbersBeyondTheirRanges() {
        let cases: [(String, String, String)] = [
            ("\"dramBytesPerCycle\": 8", "\"dramBytesPerCycle\": 1e-300", "dramBytesPerCycle: must be in [0.001, 1000000], got 1e-300"),
            ("\"dramBytesPerCycle\": 8", "\"dramBytesPerCycle\": 1e300", "dramBytesPerCycle: must be in [0.001, 1000000], got 1e+300"),
            ("\"clockMHz\": 200", "\"clockMHz\": 0", "clockMHz: must be in (0, 100000], got 0"),
            ("\"clockMHz\": 200", "\"clockMHz\": 1e308", "clockMHz: must be in (0, 100000], got 1e+308"),
            ("\"arrayRows\": 8", "\"arrayRows\": 4097", "arrayRows: must be in 1...4096, got 4097"),
            ("\"input\": 16", "\"input\": 1e20", "buffersKiB.input: must be in (0, 1048576], got 1e+20"),
            ("\"signCodebook\": 4", "\"signCodebook\": 4611686018427387904", "signCodebook: must be in 1...65536, got 4611686018427387904"),
        ]
        for (old, new, expected) in cases {
            XCTAssertTrue(valid.contains(old))
            XCTAssertThrowsError(try HardwareConfig.decode(Data(valid.replacingOccurrences(of: old, with: new).utf8), file: "hw.json"), new) { error in
                XCTAssertEqual("\(error)", "hw.json: " + expected)
            }
        }
    }

    func testTopologyNumbersBeyondTheirRanges() {
        let header = TopologyCSV.header + "\n"
        let rows: [(String, String)] = [
            ("c, 9223372036854775807, 8, 3, 3, 3, 16, 1,", "t.csv:2:4: IFMAP Height: expected an integer in 1...65536, found \"9223372036854775807\""),
            ("c, 65537, 8, 3, 3, 3, 16, 1,", "t.csv:2:4: IFMAP Height: expected an integer in 1...65536, found \"65537\""),
            ("c, 8, 8, 3, 3, 3, 99999999999999999999, 1,", "t.csv:2:19: Num Filter: expected an integer in 1...65536, found \"99999999999999999999\""),
            ("c, 65536, 65536, 3, 3, 65536, 65536, 1,", "t.csv:2:1: layer c: input elements must be at most 1099511627776 per input, got 281474976710656"),
            ("c, 4096, 4096, 3, 3, 256, 256, 1,", "t.csv:2:1: layer c: multiply-accumulates must be at most 1099511627776 per input, got 9885943332864"),
        ]
        for (row, expected) in rows {
            XCTAssertThrowsError(try TopologyCSV.parse(header + row + "\n", file: "t.csv"), row) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }

    func testBatchSizeAndNetworkWorkAreBoundedAndLargeRunsDoNotTrap() throws {
        let accelerator = HardwareFixtures.accelerator(HardwareFixtures.config(.fsb))
        let layer = LayerShape(name: "big", inputChannels: 1024, inputHeight: 256, inputWidth: 256, outputChannels: 1024,
                               kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        for batch in [0, 65_537, Int.max] {
            XCTAssertThrowsError(try HardwareSimulation.run(layers: [layer], accelerators: [accelerator], mode: .inference, batchSize: batch)) { error in
                XCTAssertEqual("\(error)", "--batch-size: must be in 1...65536, got \(batch)")
            }
        }
        XCTAssertThrowsError(try HardwareSimulation.run(layers: [layer], accelerators: [accelerator], mode: .train, batchSize: 65_536)) { error in
            XCTAssertEqual("\(error)", "simulate-hw: the network's multiply-accumulates times --batch-size 65536 must be at most 281474976710656, got 40532396646334464")
        }
        // Just under the work limit, on the slowest DRAM allowed: every count fits.
        var slow = HardwareFixtures.config(.fsb)
        slow.dramBytesPerCycle = 0.001
        let simulation = try HardwareSimulation.run(layers: [layer], accelerators: [HardwareFixtures.accelerator(slow)],
                                                    mode: .train, batchSize: 400)
        XCTAssertGreaterThan(simulation.reports[0].total.totalCycles, 0)
    }
}
