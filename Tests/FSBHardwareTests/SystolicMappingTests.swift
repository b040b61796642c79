@testable import FSBHardware
import Foundation
import XCTest

final class SystolicMappingTests: XCTestCase {
    func testHandComputedCyclesPerDataflow() {
        // P = 36 pixels, 4 filters, window 18 on a 4x4 array.
        let os = SystolicMapping(dataflow: .outputStationary, arrayRows: 4, arrayCols: 4, pixels: 36, filters: 4, window: 18)
        XCTAssertEqual(os.folds, 9)                 // ceil(36/4) * ceil(4/4)
        XCTAssertEqual(os.cyclesPerFold, 24)        // 18 + 4 + 4 - 2
        XCTAssertEqual(os.computeCycles, 216)
        let ws = SystolicMapping(dataflow: .weightStationary, arrayRows: 4, arrayCols: 4, pixels: 36, filters: 4, window: 18)
        XCTAssertEqual(ws.folds, 5)                 // ceil(18/4) * ceil(4/4)
        XCTAssertEqual(ws.cyclesPerFold, 46)        // 36 + 8 + 4 - 2
        XCTAssertEqual(ws.computeCycles, 230)
        XCTAssertEqual(ws.partialSumsPerOutput, 5)
        let ins = SystolicMapping(dataflow: .inputStationary, arrayRows: 4, arrayCols: 4, pixels: 36, filters: 4, window: 18)
        XCTAssertEqual(ins.folds, 45)               // ceil(18/4) * ceil(36/4)
        XCTAssertEqual(ins.cyclesPerFold, 14)       // 4 + 8 + 4 - 2
        XCTAssertEqual(ins.computeCycles, 630)
    }

    /// Every case SCALE-Sim 3 ran (scripts/scalesim/run_reference.py): our compute cycles
    /// are SCALE-Sim's "Total Cycles" + 1 (it reports the index of the last cycle), and our
    /// ifmap/filter SRAM read counts equal its counts.
    func testMatchesSCALESimReference() throws {
        let text = try String(contentsOfFile: HardwareFixtures.path("scripts/scalesim/scalesim-reference.csv"),
                              encoding: .utf8)
        let lines = text.split(separator: "\n").dropFirst()
        XCTAssertEqual(lines.count, 63)
        for line in lines {
            let f = line.split(separator: ",").map(String.init)
            let n = f.dropFirst(2).map { Int($0)! }
            let dataflow = Dataflow(rawValue: f[1])!
            let (rows, cols, ih, iw, fh, fw, ch, filters, stride) = (n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8])
            let (total, stalls, macs, ifmapReads, filterReads) = (n[9], n[11], n[12], n[13], n[14])
            // Through the topology reader, as a user would.
            let topology = "\(TopologyCSV.header)\n\(f[0]), \(ih), \(iw), \(fh), \(fw), \(ch), \(filters), \(stride),\n"
            let layer = try TopologyCSV.parse(topology, file: "case")[0]
            XCTAssertEqual(layer.macs, macs, f[0])
            let mapping = SystolicMapping(dataflow: dataflow, arrayRows: rows, arrayCols: cols,
                                          pixels: layer.outputPixels, filters: filters, window: layer.windowSize)
            XCTAssertEqual(mapping.computeCycles, total + 1, "\(f[0]) \(f[1]) \(rows)x\(cols)")
            XCTAssertEqual(stalls, 0)
            XCTAssertEqual(mapping.inputReads, ifmapReads, "\(f[0]) \(f[1]) \(rows)x\(cols) ifmap reads")
            XCTAssertEqual(mapping.weightReads, filterReads, "\(f[0]) \(f[1]) \(rows)x\(cols) filter reads")
            // And the mac simulator reports exactly these cycles.
            var config = HardwareFixtures.config(.mac, dataflow, rows: rows, cols: cols)
            config.dramBytesPerCycle = 1e9
            let report = LayerSimulator.simulate(layer, on: HardwareFixtures.accelerator(config), mode: .inference)
            XCTAssertEqual(report.computeCycles, total + 1)
        }
    }
}
