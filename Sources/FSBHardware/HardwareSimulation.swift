import FSBCore
import Foundation

/// Runs a network (a list of layer shapes) on one or more accelerators and renders the
/// results: `layers.csv` (one row per layer and accelerator), `totals.csv` (one row per
/// accelerator) and `summary.txt` (readable tables and one ratio line per accelerator
/// compared with the first one). `fsb simulate-hw` is a thin wrapper around this.
public struct HardwareSimulation: Sendable {
    /// The results of one accelerator: per-layer reports and their sum.
    public struct NetworkReport: Sendable {
        public var accelerator: Accelerator
        public var layers: [LayerReport]
        public var total: LayerReport
    }

    public let mode: SimulationMode
    public let batchSize: Int
    public let reports: [NetworkReport]

    /// The range of the batch size (`--batch-size`).
    public static let batchSizeRange = ValueRange(1...65_536)
    /// At most this many multiply-accumulates per run (all layers, times the batch size):
    /// with every count, byte and cycle figure a small multiple of it and DRAM bandwidth at
    /// least 0.001 byte per cycle, all of them fit an `Int`.
    public static let workLimit = 1 << 48

    /// Simulates `layers` on every accelerator, each layer on the unit that runs its weight
    /// encoding. Throws when a layer shape is invalid, when no unit of an accelerator runs a
    /// layer (one line naming the layer, its method and the accelerator), or when the network
    /// times the batch size exceeds `workLimit`.
    public static func run(layers: [LayerShape], accelerators: [Accelerator], mode: SimulationMode,
                           batchSize: Int = 1) throws -> HardwareSimulation {
        guard !layers.isEmpty else { throw FSBError("simulate-hw: the network has no layers") }
        guard !accelerators.isEmpty else { throw FSBError("simulate-hw: no hardware config given") }
        if let problem = batchSizeRange.problem(batchSize) { throw FSBError("--batch-size: \(problem), got \(batchSize)") }
        for layer in layers {
            if let problem = layer.problem { throw FSBError("layer \(problem)") }
        }
        let work = CheckedArithmetic.sum(layers.map(\.macs)).flatMap { CheckedArithmetic.multiply($0, batchSize) }
        if (work ?? Int.max) > workLimit {
            throw FSBError("simulate-hw: the network's multiply-accumulates times --batch-size \(batchSize) must be at most \(workLimit), got \(work.map(String.init) ?? "more than 2^63")")
        }
        for accelerator in accelerators {
            for layer in layers where accelerator.config.unit(running: layer) == nil {
                throw FSBError(accelerator.config.noUnitMessage(layer))
            }
        }
        let reports = accelerators.map { accelerator -> NetworkReport in
            let config = accelerator.config
            let rows = layers.map { LayerSimulator.simulate($0, on: accelerator, mode: mode, batchSize: batchSize) }
            var total = LayerReport.total(rows) ?? LayerReport(layer: "total", hardware: config.name, kind: config.kind,
                                                               dataflow: config.dataflow, mode: mode)
            // The units used, in the config's order; the PEs of the main unit.
            total.unit = config.units.map(\.kind.rawValue).filter { kind in rows.contains { $0.unit == kind } }
                .joined(separator: "+")
            total.arrayPEs = config.units[0].arrayRows * config.units[0].arrayCols
            return NetworkReport(accelerator: accelerator, layers: rows, total: total)
        }
        return HardwareSimulation(mode: mode, batchSize: batchSize, reports: reports)
    }

    /// The report columns, declared once: snake_case names with units.
    public static var columns: CSVTable<LayerReport> { CSVTable(columns: [
        .init("layer") { $0.layer },
        .init("hardware") { $0.hardware },
        .init("kind") { $0.kind.rawValue },
        .init("unit") { $0.unit },
        .init("dataflow") { $0.dataflow.rawValue },
        .init("mode") { $0.mode.rawValue },
        .init("mults") { String($0.mults) },
        .init("addsubs") { String($0.addsubs) },
        .init("accumulations") { String($0.accumulations) },
        .init("lfsr_steps") { String($0.lfsrSteps) },
        .init("compute_cycles") { String($0.computeCycles) },
        .init("stall_cycles") { String($0.stallCycles) },
        .init("total_cycles") { String($0.totalCycles) },
        .init("utilization_pct") { format($0.utilizationPercent, 2) },
        .init("sram_read_bytes") { String($0.sramRead.total) },
        .init("sram_write_bytes") { String($0.sramWrite.total) },
        .init("dram_read_bytes") { String($0.dramRead.total) },
        .init("dram_write_bytes") { String($0.dramWrite.total) },
        .init("sram_input_read_bytes") { String($0.sramRead.input) },
        .init("sram_weight_read_bytes") { String($0.sramRead.weight) },
        .init("sram_sign_read_bytes") { String($0.sramRead.sign) },
        .init("sram_psum_read_bytes") { String($0.sramRead.partialSum) },
        .init("sram_psum_write_bytes") { String($0.sramWrite.partialSum) },
        .init("sram_output_write_bytes") { String($0.sramWrite.output) },
        .init("sram_state_read_bytes") { String($0.sramRead.state) },
        .init("sram_state_write_bytes") { String($0.sramWrite.state) },
        .init("dram_input_read_bytes") { String($0.dramRead.input) },
        .init("dram_weight_read_bytes") { String($0.dramRead.weight) },
        .init("dram_sign_read_bytes") { String($0.dramRead.sign) },
        .init("dram_psum_read_bytes") { String($0.dramRead.partialSum) },
        .init("dram_psum_write_bytes") { String($0.dramWrite.partialSum) },
        .init("dram_output_write_bytes") { String($0.dramWrite.output) },
        .init("dram_state_read_bytes") { String($0.dramRead.state) },
        .init("dram_state_write_bytes") { String($0.dramWrite.state) },
        .init("stored_bytes") { String($0.storedBytes) },
        .init("energy_compute_uj") { format($0.energyComputePJ / 1e6, 6) },
        .init("energy_sram_uj") { format($0.energySRAMPJ / 1e6, 6) },
        .init("energy_dram_uj") { format($0.energyDRAMPJ / 1e6, 6) },
        .init("energy_signgen_uj") { format($0.energySignGenPJ / 1e6, 6) },
        .init("energy_uj") { format($0.energyPJ / 1e6, 6) },
        .init("latency_ms") { format($0.latencyMilliseconds, 6) },
    ]) }

    /// Columns of the readable table (a subset of the CSV's, same names).
    public static let tableColumns = ["layer", "unit", "mults", "addsubs", "total_cycles", "utilization_pct",
                                      "sram_read_bytes", "dram_read_bytes", "energy_uj", "latency_ms"]

    /// `layers.csv`: every layer on every accelerator.
    public var layersCSV: String { HardwareSimulation.columns.render(reports.flatMap(\.layers)) }

    /// `totals.csv`: one row per accelerator.
    public var totalsCSV: String { HardwareSimulation.columns.render(reports.map(\.total)) }

    /// `summary.txt`: per accelerator a readable table, then the ratio lines.
    public var summary: String {
        let selected = HardwareSimulation.tableColumns.compactMap { name in
            HardwareSimulation.columns.columns.first { $0.name == name }
        }
        var text = "mode: \(mode.rawValue), batch size: \(batchSize)\n"
        for report in reports {
            let config = report.accelerator.config
            text += "\n\(config.name): \(config.unitsDescription) "
                + "\(config.dataflow.rawValue), \(config.arithmetic.rawValue), \(format(config.clockMHz, 0)) MHz"
                + config.units.map { $0.kind.model.summaryNote(config) }.joined() + "\n"
            let rows = (report.layers + [report.total]).map { row in selected.map { $0.value(row) } }
            text += TextTable.render(header: selected.map(\.name), rows: rows)
        }
        let ratios = comparisonLines
        if !ratios.isEmpty { text += "\n" + ratios.joined(separator: "\n") + "\n" }
        return text
    }

    /// One line per accelerator after the first, comparing its totals with the first's:
    /// `fsb-int8-os vs mac-int8-os: 9.0x fewer multiplications, 1.0x fewer cycles, 2.1x less energy`.
    public var comparisonLines: [String] {
        guard let baseline = reports.first?.total else { return [] }
        return reports.dropFirst().map { report in
            let t = report.total
            return "\(t.hardware) vs \(baseline.hardware): "
                + HardwareSimulation.ratio(Double(baseline.mults), Double(t.mults), fewer: "fewer", more: "more",
                                           what: "multiplications") + ", "
                + HardwareSimulation.ratio(Double(baseline.totalCycles), Double(t.totalCycles), fewer: "fewer",
                                           more: "more", what: "cycles") + ", "
                + HardwareSimulation.ratio(Double(baseline.dramRead.total + baseline.dramWrite.total),
                                           Double(t.dramRead.total + t.dramWrite.total), fewer: "less",
                                           more: "more", what: "DRAM traffic") + ", "
                + HardwareSimulation.ratio(baseline.energyPJ, t.energyPJ, fewer: "less", more: "more",
                                           what: "energy")
        }
    }

    /// "3.4x less energy" when `candidate < baseline`, "1.2x more energy" otherwise.
    static func ratio(_ baseline: Double, _ candidate: Double, fewer: String, more: String, what: String) -> String {
        if candidate == baseline { return "same \(what)" }
        if candidate == 0 { return "no \(what) (baseline \(format(baseline, 0)))" }
        if candidate < baseline { return "\(format(baseline / candidate, 2))x \(fewer) \(what)" }
        return "\(format(candidate / baseline, 2))x \(more) \(what)"
    }

    /// Writes `layers.csv`, `totals.csv` and `summary.txt` into `directory` as one group.
    public func write(to directory: URL) throws {
        try AtomicFile.writeGroup(files(in: directory))
    }

    /// `layers.csv`, `totals.csv` and `summary.txt` in `directory`, for a caller that writes
    /// them in one group with files of its own.
    public func files(in directory: URL) -> [(url: URL, data: Data)] {
        [(directory.appendingPathComponent("layers.csv"), Data(layersCSV.utf8)),
         (directory.appendingPathComponent("totals.csv"), Data(totalsCSV.utf8)),
         (directory.appendingPathComponent("summary.txt"), Data(summary.utf8))]
    }
}

/// Fixed-point rendering with `digits` decimals (locale-independent).
func format(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
