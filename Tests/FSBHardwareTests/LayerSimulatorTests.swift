import FSBCore
@testable import FSBHardware
import Foundation
import XCTest

final class LayerSimulatorTests: XCTestCase {
    /// Co = 4, Ci = 2, 3x3 kernel, 6x6 output (P = 36): Co*Ci*K*P = 2592.
    let layer = LayerShape(name: "c", inputChannels: 2, inputHeight: 8, inputWidth: 8, outputChannels: 4,
                           kernelHeight: 3, kernelWidth: 3)

    func simulate(_ config: HardwareConfig, _ layer: LayerShape? = nil, mode: SimulationMode = .inference) -> LayerReport {
        LayerSimulator.simulate(layer ?? self.layer, on: HardwareFixtures.accelerator(config), mode: mode)
    }

    func testCountsPerKind() {
        let mac = simulate(HardwareFixtures.config(.mac))
        XCTAssertEqual([mac.mults, mac.addsubs, mac.accumulations], [2592, 0, 2592])
        XCTAssertEqual(mac.computeCycles, 216)
        let bwn = simulate(HardwareFixtures.config(.bwn))
        XCTAssertEqual([bwn.mults, bwn.addsubs, bwn.accumulations], [4 * 36, 2592, 0])
        XCTAssertEqual(bwn.computeCycles, 216 + 9)  // + 1 per fold for the alpha multipliers
        let fsb = simulate(HardwareFixtures.config(.fsb, signSource: .lfsr))
        XCTAssertEqual([fsb.mults, fsb.addsubs, fsb.accumulations], [4 * 2 * 36, 2592, 4 * 2 * 36])
        XCTAssertEqual(fsb.computeCycles, 216 + 9)
        XCTAssertEqual(fsb.lfsrSteps, 18 * 4 * 9)   // every sign the array consumes: window * Co * pixel folds
        XCTAssertEqual(fsb.sramRead.sign, 0)
        XCTAssertEqual(mac.mults / fsb.mults, 9)
    }

    func testFSBCodebookSharesSignConvolutions() {
        // N = 2 patterns: add/subs N*Ci*K*P = 2*2*9*36; the array has 2 columns of work.
        let fsb = simulate(HardwareFixtures.config(.fsb, signSource: .lfsr, codebook: 2))
        XCTAssertEqual(fsb.addsubs, 2 * 2 * 9 * 36)
        XCTAssertEqual(fsb.mults, 4 * 2 * 36)
        let mapping = SystolicMapping(dataflow: .outputStationary, arrayRows: 4, arrayCols: 4, pixels: 36, filters: 2, window: 18)
        // Factor stage: ceil(4/9)*4 = 4 multipliers for 288 products = 72 cycles < array 216.
        XCTAssertEqual(fsb.computeCycles, max(mapping.computeCycles, 72) + mapping.folds)
        // Stored signs: N*K pattern bits + Co*Ci*1-bit indices.
        let stored = simulate(HardwareFixtures.config(.fsb, signSource: .stored, codebook: 2))
        XCTAssertEqual(stored.storedBytes, 8 + (2 * 9 + 8 + 7) / 8)
    }

    func testCodebookOfAtLeastCoRunsUnshared() {
        // N >= Co = 4: sharing N pattern convolutions per input channel saves nothing, so
        // the accelerator computes each output channel's own (as without a codebook).
        let unshared = simulate(HardwareFixtures.config(.fsb, signSource: .lfsr))
        for size in [4, 64] {
            let config = HardwareFixtures.config(.fsb, signSource: .lfsr, codebook: size)
            XCTAssertNil(config.codebook(for: layer))
            let report = simulate(config)
            XCTAssertEqual([report.mults, report.addsubs, report.computeCycles],
                           [unshared.mults, unshared.addsubs, unshared.computeCycles])
        }
        XCTAssertEqual(HardwareFixtures.config(.fsb, signSource: .lfsr, codebook: 3).codebook(for: layer), 3)
    }

    func testMemoryTrafficOutputStationaryMac() {
        let mac = simulate(HardwareFixtures.config(.mac))
        XCTAssertEqual(mac.sramRead.input, 36 * 18)      // P * window * ceil(Co/C), 1 byte each
        XCTAssertEqual(mac.sramRead.weight, 18 * 4 * 9)  // window * Co * ceil(P/R)
        XCTAssertEqual(mac.sramWrite.output, 4 * 36)
        XCTAssertEqual(mac.dramRead.input, 2 * 8 * 8)    // fits: read once
        XCTAssertEqual(mac.dramRead.weight, 72)
        XCTAssertEqual(mac.dramWrite.output, 144)
        XCTAssertEqual(mac.sramRead.partialSum, 0)
        XCTAssertEqual(mac.stallCycles, max(0, (128 + 72 + 144 + 15) / 16 - 216))
    }

    func testRefetchWhenOperandDoesNotFit() {
        // 1 KiB buffers: the input (32*16*16 = 8 KiB) does not fit, os re-reads it per filter fold.
        let big = LayerShape(name: "b", inputChannels: 32, inputHeight: 16, inputWidth: 16, outputChannels: 8,
                             kernelHeight: 1, kernelWidth: 1)
        let report = simulate(HardwareFixtures.config(.mac, bufferKiB: 1), big)
        XCTAssertEqual(report.dramRead.input, 8192 * 2)
        // ws with 32 window rows on 4 rows: 8 partial sums per output, 32-bit, spilled (8 KiB > 1 KiB).
        let ws = simulate(HardwareFixtures.config(.mac, .weightStationary, bufferKiB: 1), big)
        XCTAssertEqual(ws.sramWrite.partialSum, 7 * 8 * 256 * 4)
        XCTAssertEqual(ws.dramWrite.partialSum, 7 * 8 * 256 * 4)
    }

    func testEnergyIsCountsTimesTable() {
        for kind in AcceleratorKind.allCases {
            for arithmetic in [Arithmetic.int8, .fp32] {
                let config = HardwareFixtures.config(kind, signSource: kind == .fsb ? .lfsr : .stored,
                                                     bufferKiB: 16)
                var adjusted = config
                adjusted.arithmetic = arithmetic
                if arithmetic == .fp32 { adjusted.bits = .init(activations: 32, weights: 32, factors: 32, accumulators: 32) }
                let r = simulate(adjusted)
                let e = OperationEnergies(accelerator: HardwareFixtures.accelerator(adjusted), layer: layer)
                XCTAssertEqual(e.inputBuffer, 20)   // 16 KiB -> the 32 KiB entry
                XCTAssertEqual(r.energyComputePJ, Double(r.mults) * e.multiply + Double(r.addsubs) * e.addSub
                               + Double(r.accumulations) * e.accumulate)
                let sram = r.sramRead + r.sramWrite
                XCTAssertEqual(r.energySRAMPJ, Double(sram.total) / 8 * 20, accuracy: 1e-9)
                XCTAssertEqual(r.energyDRAMPJ, Double(r.dramRead.total + r.dramWrite.total) / 8 * 2000)
                XCTAssertEqual(r.energySignGenPJ, Double(r.lfsrSteps) * 0.03)
                XCTAssertEqual(r.energyPJ, r.energyComputePJ + r.energySRAMPJ + r.energyDRAMPJ + r.energySignGenPJ)
            }
        }
    }

    func testOperationEnergyWidths() {
        let mac = OperationEnergies(accelerator: HardwareFixtures.accelerator(HardwareFixtures.config(.mac)), layer: layer)
        XCTAssertEqual([mac.multiply, mac.accumulate], [0.2, 0.1])
        // fsb: z of 9 int8 terms needs 8 + 4 = 12 bits -> 16-bit add and multiply.
        let fsb = OperationEnergies(accelerator: HardwareFixtures.accelerator(HardwareFixtures.config(.fsb)), layer: layer)
        XCTAssertEqual([fsb.addSub, fsb.multiply, fsb.accumulate], [0.05, 0.8, 0.1])
        // bwn: 18 terms -> 13 bits.
        XCTAssertEqual(OperationEnergies.sumBits(operandBits: 8, terms: 18, limit: 32), 13)
        let fp = OperationEnergies(accelerator: HardwareFixtures.accelerator(HardwareFixtures.config(.mac, arithmetic: .fp32)),
                                   layer: layer)
        XCTAssertEqual([fp.multiply, fp.addSub, fp.accumulate], [3.7, 0.9, 0.9])
    }

    func testTrainingStepCounts() {
        let n = layer.macs
        let mac = simulate(HardwareFixtures.config(.mac), mode: .train)
        // forward + dX + dW MACs, then SGD momentum: 2 mults + 2 accumulations per weight.
        XCTAssertEqual(mac.mults, 3 * n + 2 * 72)
        XCTAssertEqual(mac.accumulations, 3 * n + 2 * 72)
        let fsb = simulate(HardwareFixtures.config(.fsb, signSource: .lfsr), mode: .train)
        let slices = 4 * 2
        // forward: n add/sub, Co*Ci*P mults + accs; dX: n add/sub + Co*Ci*P mults;
        // dA: z recomputed (n add/sub), Co*Ci*P mults + accs; update: 2*8 mults/accs, 8 clamps.
        XCTAssertEqual(fsb.addsubs, 3 * n + slices)
        XCTAssertEqual(fsb.mults, 3 * slices * 36 + 2 * slices)
        XCTAssertEqual(fsb.accumulations, 2 * slices * 36 + 2 * slices)
        // State: trainable parameters and momentum, 32-bit: K times smaller for fsb.
        XCTAssertEqual(LayerSimulator.trainingStateBytes(layer, config: HardwareFixtures.config(.mac)), 2 * 72 * 4)
        XCTAssertEqual(LayerSimulator.trainingStateBytes(layer, config: HardwareFixtures.config(.fsb)), 2 * 8 * 4)
        XCTAssertEqual(fsb.dramRead.state, 2 * 8 * 4)
        XCTAssertEqual(mac.dramRead.state, 2 * 72 * 4)
    }

    func testBatchScalesPerExampleCosts() {
        let config = HardwareFixtures.config(.mac)
        let one = LayerSimulator.simulate(layer, on: HardwareFixtures.accelerator(config), mode: .inference)
        let four = LayerSimulator.simulate(layer, on: HardwareFixtures.accelerator(config), mode: .inference, batchSize: 4)
        XCTAssertEqual(four.mults, 4 * one.mults)
        XCTAssertEqual(four.computeCycles, 4 * one.computeCycles)
    }
}
