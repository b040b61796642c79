import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

/// Accelerators of several units: each layer on the unit its weight encoding needs, checked
/// against hand-computed counts; refused layers; ternary weights on the BWN array; the
/// `units` field of hardware configs.
final class AcceleratorUnitsTests: XCTestCase {
    /// An FSB accelerator: a 4x4 fsb array (LFSR signs) and a 2x2 mac array, os, int8.
    func fsbAccelerator(units: [HardwareConfig.Unit]? = nil) -> Accelerator {
        var config = HardwareFixtures.config(.fsb, signSource: .lfsr)
        config.units = units ?? [.init(kind: .fsb, arrayRows: 4, arrayCols: 4), .init(kind: .mac, arrayRows: 2, arrayCols: 2)]
        return HardwareFixtures.accelerator(config)
    }

    /// fp conv 1 -> 2, 3x3 on 6x6 (P = 16); fsb conv 2 -> 4, 3x3 pad 1 on 4x4 (P = 16); fp linear 64 -> 3.
    let mixed = [
        LayerShape(name: "conv1", inputChannels: 1, inputHeight: 6, inputWidth: 6, outputChannels: 2,
                   kernelHeight: 3, kernelWidth: 3, method: "fp", weights: .dense),
        LayerShape(name: "conv2", inputChannels: 2, inputHeight: 4, inputWidth: 4, outputChannels: 4,
                   kernelHeight: 3, kernelWidth: 3, padding: 1, method: "fsb", weights: .fixedSigns(codebook: nil)),
        LayerShape.linear(name: "fc", inputFeatures: 64, outputFeatures: 3, method: "fp", weights: .dense),
    ]

    func testMixedNetworkRunsEachLayerOnItsUnit() throws {
        let simulation = try HardwareSimulation.run(layers: mixed, accelerators: [fsbAccelerator()], mode: .inference)
        let rows = simulation.reports[0].layers
        XCTAssertEqual(rows.map(\.unit), ["mac", "fsb", "mac"])
        XCTAssertEqual(rows.map(\.kind), [.fsb, .fsb, .fsb])
        XCTAssertEqual(rows.map(\.arrayPEs), [4, 16, 4])

        // conv1 on the 2x2 mac: 2*1*9*16 = 288 MACs; os GEMM P=16, Co=2, window 9:
        // ceil(16/2)*ceil(2/2) = 8 folds of 9 + 2 + 2 - 2 = 11 cycles.
        let conv1 = rows[0]
        XCTAssertEqual([conv1.mults, conv1.addsubs, conv1.accumulations, conv1.lfsrSteps], [288, 0, 288, 0])
        XCTAssertEqual([conv1.computeCycles, conv1.stallCycles], [88, 0])
        // SRAM: inputs 16*9*ceil(2/2) = 144 B, weights 9*2*ceil(16/2) = 144 B; DRAM: 36 input
        // bytes + 18 weight bytes in, 32 output bytes out; stored: 18 int8 weights.
        XCTAssertEqual([conv1.sramRead.input, conv1.sramRead.weight, conv1.sramRead.sign], [144, 144, 0])
        XCTAssertEqual([conv1.dramRead.total, conv1.dramWrite.total, conv1.storedBytes], [54, 32, 18])
        XCTAssertEqual(conv1.energyComputePJ, 288 * 0.2 + 288 * 0.1, accuracy: 1e-9)  // int8 mult, 32-bit acc

        // conv2 on the 4x4 fsb: add/subs 4*2*9*16 = 1152, factor products 4*2*16 = 128;
        // os GEMM P=16, Co=4, window 18: 4 folds of 18 + 4 + 4 - 2 = 24 cycles = 96, and the
        // ceil(4/9)*4 = 4 multipliers need 32 cycles: max(96, 32) + 4 folds = 100.
        let conv2 = rows[1]
        XCTAssertEqual([conv2.mults, conv2.addsubs, conv2.accumulations], [128, 1152, 128])
        XCTAssertEqual(conv2.computeCycles, 100)
        XCTAssertEqual(conv2.lfsrSteps, 18 * 4 * 4)  // window * Co * ceil(P/R) signs
        // SRAM: inputs 16*18 = 288 B, factors 8 * ceil(16/4) = 32 B, no signs (LFSR);
        // DRAM: 32 input + 8 factor bytes in, 64 out; stored: 8 factors + an 8-byte seed.
        XCTAssertEqual([conv2.sramRead.input, conv2.sramRead.weight, conv2.sramRead.sign], [288, 32, 0])
        XCTAssertEqual([conv2.dramRead.total, conv2.dramWrite.total, conv2.storedBytes], [40, 64, 16])

        // fc on the 2x2 mac: 192 MACs; P=1, Co=3, window 64: 1*2 folds of 64 + 2 = 66 cycles.
        let fc = rows[2]
        XCTAssertEqual([fc.mults, fc.addsubs, fc.accumulations, fc.computeCycles], [192, 0, 192, 132])
        XCTAssertEqual([fc.sramRead.input, fc.sramRead.weight], [128, 192])
        XCTAssertEqual([fc.dramRead.total, fc.dramWrite.total, fc.storedBytes], [256, 3, 192])

        // The total adds up the units.
        let total = simulation.reports[0].total
        XCTAssertEqual(total.unit, "fsb+mac")
        XCTAssertEqual([total.mults, total.addsubs, total.accumulations], [608, 1152, 608])
        XCTAssertEqual([total.computeCycles, total.totalCycles], [320, 320])
        XCTAssertEqual([total.dramRead.total, total.dramWrite.total, total.storedBytes], [350, 99, 226])
        XCTAssertEqual(total.energyPJ, rows.map(\.energyPJ).reduce(0, +), accuracy: 1e-9)
        // Utilisation of whichever array runs: (288 + 1152 + 192) / (4*88 + 16*100 + 4*132).
        XCTAssertEqual(total.utilizationPercent, 100.0 * 1632 / 2480, accuracy: 1e-12)
        XCTAssertEqual(total.arrayPEs, 16)

        // The csv and the table name the unit of every layer.
        let csv = simulation.layersCSV.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        let unitColumn = try XCTUnwrap(csv[0].firstIndex(of: "unit"))
        XCTAssertEqual(csv.dropFirst().map { $0[unitColumn] }, ["mac", "fsb", "mac"])
        XCTAssertTrue(simulation.totalsCSV.contains(",fsb,fsb+mac,"))
        XCTAssertTrue(simulation.summary.contains("\nfsb-os: fsb 4x4 + mac 2x2 os, int8, 200 MHz, signs lfsr\n"))
    }

    func testTrainingStepOfAnFpLayerOnTheMacUnit() throws {
        let simulation = try HardwareSimulation.run(layers: [mixed[0]], accelerators: [fsbAccelerator()], mode: .train)
        let conv1 = simulation.reports[0].layers[0]
        // forward + dX + dW: 3 * 288 MACs; SGD momentum over 18 latent weights: 2 * 18 each.
        XCTAssertEqual([conv1.mults, conv1.accumulations, conv1.addsubs], [3 * 288 + 36, 3 * 288 + 36, 0])
        // Deployed int8 weights plus 32-bit weights and momentum.
        XCTAssertEqual(conv1.storedBytes, 18 + 2 * 18 * 4)
    }

    func testALayerWithoutAUnitIsRefused() {
        let onlyFSB = fsbAccelerator(units: [.init(kind: .fsb, arrayRows: 4, arrayCols: 4)])
        XCTAssertThrowsError(try HardwareSimulation.run(layers: mixed, accelerators: [onlyFSB], mode: .inference)) { error in
            XCTAssertEqual("\(error)", "layer conv1: method fp (dense weights) has no unit on fsb-os (units: fsb 4x4); "
                + "add a \"mac\" unit, which runs every method")
        }
        // A topology layer names no method: it runs on the main unit.
        var topology = mixed[0]
        topology.method = nil
        topology.weights = nil
        XCTAssertEqual(try HardwareSimulation.run(layers: [topology], accelerators: [onlyFSB], mode: .inference)
            .reports[0].layers[0].unit, "fsb")
    }

    func testLayersFallBackToTheMacUnit() throws {
        // A bwn layer on the FSB accelerator and an fsb layer on the BWN accelerator: neither
        // array runs them, so their accelerators' mac arrays do, as dense int8 weights.
        var binary = mixed[1]
        binary.weights = .binary
        let onFSB = LayerSimulator.simulate(binary, on: fsbAccelerator(), mode: .inference)
        XCTAssertEqual([onFSB.mults, onFSB.addsubs], [1152, 0])
        XCTAssertEqual(onFSB.unit, "mac")
        let bwn = HardwareFixtures.accelerator(HardwareFixtures.config(.bwn))
        XCTAssertEqual(bwn.config.units.map(\.description), ["bwn 4x4", "mac 2x2"])  // the default units
        XCTAssertEqual(LayerSimulator.simulate(mixed[1], on: bwn, mode: .inference).unit, "mac")
        XCTAssertEqual(LayerSimulator.simulate(binary, on: bwn, mode: .inference).unit, "bwn")
    }

    /// Ternary weights on the BWN array: 2-bit codes; a zero weight skips its add/sub's
    /// energy (not its cycle).
    func testTernaryLayerOnTheBWNArray() {
        let bwn = HardwareFixtures.accelerator(HardwareFixtures.config(.bwn))
        // Co = 4, Ci = 2, 3x3, P = 36: 2592 weight positions, half of them nonzero.
        var layer = LayerShape(name: "t", inputChannels: 2, inputHeight: 8, inputWidth: 8, outputChannels: 4,
                               kernelHeight: 3, kernelWidth: 3, method: "twn", weights: .ternary(nonzeroFraction: 0.5))
        let ternary = LayerSimulator.simulate(layer, on: bwn, mode: .inference)
        XCTAssertEqual(ternary.unit, "bwn")
        XCTAssertEqual([ternary.addsubs, ternary.mults, ternary.arrayOperations], [1296, 4 * 36, 1296])
        XCTAssertEqual(ternary.computeCycles, 216 + 9)          // as binary: the schedule is dense
        XCTAssertEqual(ternary.sramRead.sign, 18 * 4 * 9 * 2 / 8) // 2-bit codes per streamed position
        XCTAssertEqual(ternary.storedBytes, 72 * 2 / 8 + 4)      // codes + alpha[o]
        layer.weights = .binary
        let binary = LayerSimulator.simulate(layer, on: bwn, mode: .inference)
        XCTAssertEqual([binary.addsubs, binary.computeCycles, binary.sramRead.sign, binary.storedBytes],
                       [2592, 225, 81, 13])
        // Train: the threshold and alpha take 2n add/subs and 2*Co mults in the update.
        layer.weights = .ternary(nonzeroFraction: 0.5)
        let step = LayerSimulator.simulate(layer, on: bwn, mode: .train)
        XCTAssertEqual(step.addsubs, 2 * 1296 + 2 * 72)
        XCTAssertEqual(step.mults, 2 * 144 + 2592 + 2 * 72 + 2 * 4)
        // On the FSB accelerator no fixed-sign array runs it: its mac array does.
        XCTAssertEqual(LayerSimulator.simulate(layer, on: fsbAccelerator(), mode: .inference).unit, "mac")
    }

    func decode(_ json: String) throws -> HardwareConfig {
        try HardwareConfig.decode(Data(json.utf8), file: "hw.json")
    }

    func configError(_ json: String) -> ConfigError? {
        do { _ = try decode(json); return nil } catch { return error as? ConfigError }
    }

    let rest = """
    "clockMHz": 200, "arithmetic": "int8", "buffersKiB": { "input": 16, "weight": 16, "output": 16 },
    "dramBytesPerCycle": 8
    """

    func testConfigUnits() throws {
        let listed = try decode(#"{"name": "a", "units": [{"kind": "fsb", "arrayRows": 8, "arrayCols": 4}, {"kind": "mac", "arrayRows": 2, "arrayCols": 2}], "signSource": "lfsr", \#(rest)}"#)
        XCTAssertEqual(listed.units, [.init(kind: .fsb, arrayRows: 8, arrayCols: 4), .init(kind: .mac, arrayRows: 2, arrayCols: 2)])
        XCTAssertEqual([listed.kind.rawValue, "\(listed.arrayRows)x\(listed.arrayCols)"], ["fsb", "8x4"])
        // Without units: the main array, plus a mac array of half its rows and columns for bwn and fsb.
        let old = try decode(#"{"name": "b", "kind": "bwn", "arrayRows": 7, "arrayCols": 8, \#(rest)}"#)
        XCTAssertEqual(old.units, [.init(kind: .bwn, arrayRows: 7, arrayCols: 8), .init(kind: .mac, arrayRows: 4, arrayCols: 4)])
        let mac = try decode(#"{"name": "c", "kind": "mac", "arrayRows": 8, "arrayCols": 8, \#(rest)}"#)
        XCTAssertEqual(mac.units, [.init(kind: .mac, arrayRows: 8, arrayCols: 8)])
        // The two forms exclude each other; no kind twice; no empty list.
        XCTAssertEqual(configError(#"{"name": "d", "kind": "mac", "units": [{"kind": "mac", "arrayRows": 2, "arrayCols": 2}], \#(rest)}"#)?.path, "kind")
        XCTAssertEqual(configError(#"{"name": "e", "units": [{"kind": "mac", "arrayRows": 2, "arrayCols": 2}, {"kind": "mac", "arrayRows": 4, "arrayCols": 4}], \#(rest)}"#)?.message,
                       "lists kind \"mac\" twice (units[1])")
        XCTAssertEqual(configError(#"{"name": "f", "units": [], \#(rest)}"#)?.path, "units")
        XCTAssertNotNil(configError(#"{"name": "g", "units": [{"kind": "mac", "arrayRows": 0, "arrayCols": 2}], \#(rest)}"#))
        XCTAssertNotNil(configError(#"{"name": "h", "units": [{"kind": "mac", "arrayRows": 2, "arrayCols": 2, "x": 1}], \#(rest)}"#))
        // An LFSR serves an fsb array: a bwn accelerator without one must store its signs.
        XCTAssertEqual(configError(#"{"name": "i", "kind": "bwn", "arrayRows": 2, "arrayCols": 2, "signSource": "lfsr", \#(rest)}"#)?.path, "signSource")
        XCTAssertNoThrow(try decode(#"{"name": "j", "units": [{"kind": "fsb", "arrayRows": 2, "arrayCols": 2}, {"kind": "bwn", "arrayRows": 2, "arrayCols": 2}], "signSource": "lfsr", \#(rest)}"#))
        XCTAssertEqual(configError(#"{"name": "k", "units": [{"kind": "bwn", "arrayRows": 2, "arrayCols": 2}, {"kind": "mac", "arrayRows": 2, "arrayCols": 2}], "signCodebook": 4, \#(rest)}"#)?.path, "signCodebook")
    }

    func testShippedConfigsListTheirDefaultUnits() throws {
        for name in ["bwn-int8-os", "fsb-int8-os", "fsb-int8-ws", "fsb-int8-os-stored", "fsb-int8-os-codebook16",
                     "mac-fp32-os", "mac-int8-os", "mac-int8-ws", "mac-int8-is"] {
            let config = try Accelerator.load(configPath: HardwareFixtures.path("configs/hw/\(name).json")).config
            XCTAssertEqual(config.units, HardwareConfig.defaultUnits(kind: config.kind, arrayRows: 32, arrayCols: 32), name)
        }
    }
}
