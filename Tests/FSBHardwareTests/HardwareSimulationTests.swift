import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

final class HardwareSimulationTests: XCTestCase {
    func testReportsFilesAndRatios() throws {
        let layers = try TopologyCSV.read(path: HardwareFixtures.path("configs/hw/topologies/lenet5.csv"))
        let mac = try Accelerator.load(configPath: HardwareFixtures.path("configs/hw/mac-int8-os.json"))
        let fsb = try Accelerator.load(configPath: HardwareFixtures.path("configs/hw/fsb-int8-os.json"))
        let simulation = try HardwareSimulation.run(layers: layers, accelerators: [mac, fsb], mode: .inference)
        XCTAssertEqual(simulation.reports.count, 2)
        let total = simulation.reports[0].total
        XCTAssertEqual(total.mults, simulation.reports[0].layers.map(\.mults).reduce(0, +))
        XCTAssertEqual(total.totalCycles, simulation.reports[0].layers.map(\.totalCycles).reduce(0, +))
        let csvLines = simulation.layersCSV.split(separator: "\n")
        XCTAssertEqual(csvLines.count, 1 + 2 * layers.count)
        let header = csvLines[0].split(separator: ",").map(String.init)
        for name in ["layer", "kind", "dataflow", "mults", "addsubs", "accumulations", "compute_cycles",
                     "stall_cycles", "total_cycles", "utilization_pct", "sram_read_bytes", "sram_write_bytes",
                     "dram_read_bytes", "dram_write_bytes", "energy_compute_uj", "energy_sram_uj",
                     "energy_dram_uj", "energy_signgen_uj", "energy_uj", "latency_ms"] {
            XCTAssertTrue(header.contains(name), name)
        }
        XCTAssertEqual(simulation.comparisonLines.count, 1)
        XCTAssertTrue(simulation.comparisonLines[0].hasPrefix("fsb-int8-os vs mac-int8-os: "))
        XCTAssertTrue(simulation.comparisonLines[0].contains("x fewer multiplications"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-hw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try simulation.write(to: folder)
        for file in ["layers.csv", "totals.csv", "summary.txt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), file)
        }
        let totals = try String(contentsOf: folder.appendingPathComponent("totals.csv"), encoding: .utf8)
        XCTAssertEqual(totals.split(separator: "\n").count, 3)
    }

    func testRejectsInvalidLayer() {
        let layer = LayerShape(name: "bad", inputChannels: 0, inputHeight: 4, inputWidth: 4, outputChannels: 2,
                               kernelHeight: 3, kernelWidth: 3)
        XCTAssertThrowsError(try HardwareSimulation.run(
            layers: [layer], accelerators: [HardwareFixtures.accelerator(HardwareFixtures.config(.mac))],
            mode: .inference)) { error in
            XCTAssertEqual((error as? FSBError)?.message, "layer bad: inputChannels must be in 1...65536, got 0")
        }
    }
}
