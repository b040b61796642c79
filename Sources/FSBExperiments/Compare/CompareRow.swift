import FSBCore
import Foundation

/// One row of `runs.csv`: a cell's axis values, its status and its run summary
/// (and simulator totals per hardware config when the spec names any).
public struct CompareRow: Codable, Equatable, Sendable {
    /// `axis path -> value` of this cell (compact text).
    public var settings: [String: String]
    public var folder: String
    /// `done` or `failed`.
    public var status: String
    public var error: String
    public var summary: RunSummary?
    /// Per hardware config name: total cycles and energy of one inference.
    public var hardware: [String: HardwareTotals]

    /// Totals of one simulated inference on one accelerator.
    public struct HardwareTotals: Codable, Equatable, Sendable {
        public var totalCycles: Int
        public var energyMicrojoules: Double
    }

    /// Columns of `runs.csv`: the axes, then status, then every summary column not named
    /// like an axis, then
    /// `<hw>_total_cycles` and `<hw>_energy_uj` for each hardware config.
    public static func table(axes: [String], hardware: [String]) -> CSVTable<CompareRow> {
        var columns: [CSVTable<CompareRow>.Column] = axes.map { axis in .init(axis) { $0.settings[axis] ?? "" } }
        columns.append(.init("folder") { $0.folder })
        columns.append(.init("status") { $0.status })
        columns.append(.init("error") { $0.error })
        // A summary column that repeats an axis (seed) is left out: one column per name.
        for column in RunSummary.table.columns where !axes.contains(column.name) {
            columns.append(.init(column.name) { row in row.summary.map(column.value) ?? "" })
        }
        for name in hardware {
            columns.append(.init("\(name)_total_cycles") { $0.hardware[name].map { String($0.totalCycles) } ?? "" })
            columns.append(.init("\(name)_energy_uj") { $0.hardware[name].map { String(format: "%.3f", $0.energyMicrojoules) } ?? "" })
        }
        return CSVTable(columns: columns)
    }
}
