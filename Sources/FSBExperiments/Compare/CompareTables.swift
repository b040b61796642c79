import FSBCore
import Foundation

/// Groups compare rows over seeds and renders `table.csv`, `table.md` and the verdicts.
public struct CompareTables {
    /// Rows of one group: every axis equal except `seed`.
    public struct Group {
        public var settings: [String: String]
        public var rows: [CompareRow]
        var done: [RunSummary] { rows.compactMap { $0.status == "done" ? $0.summary : nil } }
    }

    public let axes: [String]
    public let hardware: [String]
    public let groups: [Group]
    /// Per axis, the value (as in `settings`) the verdicts compare against; an axis not
    /// listed uses its first value.
    public let references: [String: String]

    public init(rows: [CompareRow], axes: [String], hardware: [String], references: [String: String] = [:]) {
        self.axes = axes
        self.hardware = hardware
        self.references = references
        let keyAxes = axes.filter { $0 != "seed" }
        var order: [[String]] = []
        var byKey: [[String]: Group] = [:]
        for row in rows {
            let key = keyAxes.map { row.settings[$0] ?? "" }
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = Group(settings: Dictionary(uniqueKeysWithValues: zip(keyAxes, key)), rows: [])
            }
            byKey[key]!.rows.append(row)
        }
        groups = order.map { byKey[$0]! }
    }

    /// Mean and sample standard deviation.
    static func meanStd(_ values: [Double]) -> (mean: Double, std: Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }

    static func pm(_ values: [Double], _ digits: Int = 2) -> String {
        let (mean, std) = meanStd(values)
        return mean.isNaN ? "-" : String(format: "%.\(digits)f ± %.\(digits)f", mean, std)
    }

    /// The grouped table's columns, declared once for CSV and Markdown.
    private var columns: [CSVTable<Group>.Column] {
        var columns: [CSVTable<Group>.Column] = axes.filter { $0 != "seed" }.map { axis in .init(axis) { $0.settings[axis] ?? "" } }
        columns += [
            .init("runs") { String($0.done.count) + ($0.rows.count > $0.done.count ? " (\($0.rows.count - $0.done.count) failed)" : "") },
            .init("best_test_acc") { CompareTables.pm($0.done.map(\.bestTestAccuracy)) },
            .init("final_test_acc") { CompareTables.pm($0.done.map(\.finalTestAccuracy)) },
            .init("params") { $0.done.first.map { String($0.params) } ?? "-" },
            .init("trainable_params") { $0.done.first.map { String($0.trainableParams) } ?? "-" },
            .init("model_kib") { $0.done.first.map { String(format: "%.1f", Double($0.modelBits) / 8192) } ?? "-" },
            .init("update_kib") { $0.done.first.map { String(format: "%.1f", Double($0.updateBits) / 8192) } ?? "-" },
        ]
        for name in hardware {
            columns.append(.init("\(name)_total_cycles") { group in
                group.rows.compactMap { $0.hardware[name]?.totalCycles }.first.map(String.init) ?? "-" })
            columns.append(.init("\(name)_energy_uj") { group in
                group.rows.compactMap { $0.hardware[name]?.energyMicrojoules }.first.map { String(format: "%.2f", $0) } ?? "-" })
        }
        return columns
    }

    /// `table.csv`.
    public func csv() -> String { CSVTable(columns: columns).render(groups) }

    /// `table.md`: a Markdown table of the same columns.
    public func markdown() -> String {
        let columns = self.columns
        var text = "| " + columns.map(\.name).joined(separator: " | ") + " |\n"
        text += "|" + columns.map { _ in " --- |" }.joined() + "\n"
        for group in groups { text += "| " + columns.map { $0.value(group) }.joined(separator: " | ") + " |\n" }
        return text
    }

    /// Plain-text verdicts: for every pair of groups that differ in exactly one axis,
    /// the other value against the axis' reference value (default its first), with
    /// seed-matched differences in final test accuracy (mean ± std, points) and the
    /// ratios of update sizes and energies.
    public func verdicts() -> String {
        var lines: [String] = []
        let keyAxes = axes.filter { $0 != "seed" }
        for axis in keyAxes {
            for group in groups {
                for other in groups where other.settings[axis] != group.settings[axis] {
                    let sameElsewhere = keyAxes.allSatisfy { $0 == axis || other.settings[$0] == group.settings[$0] }
                    guard sameElsewhere else { continue }
                    let firstValue = groups.first(where: { g in keyAxes.allSatisfy { $0 == axis || g.settings[$0] == group.settings[$0] } })?.settings[axis]
                    guard let referenceValue = references[axis] ?? firstValue, other.settings[axis] == referenceValue else { continue }
                    let seedsA = Dictionary(group.done.map { ($0.seed, $0) }, uniquingKeysWith: { a, _ in a })
                    let diffs = other.done.compactMap { ref in seedsA[ref.seed].map { $0.finalTestAccuracy - ref.finalTestAccuracy } }
                    guard !diffs.isEmpty else { continue }
                    let (mean, std) = CompareTables.meanStd(diffs)
                    let context = keyAxes.filter { $0 != axis }.map { "\($0)=\(group.settings[$0] ?? "")" }.joined(separator: ", ")
                    var line = String(format: "%@=%@ vs %@: %+.2f ± %.2f points final test accuracy (%d seed%@)",
                                      axis, group.settings[axis] ?? "", other.settings[axis] ?? "", mean, std, diffs.count, diffs.count == 1 ? "" : "s")
                    if let a = group.done.first, let b = other.done.first, b.updateBits > 0 {
                        line += String(format: "; update size %.3fx", Double(a.updateBits) / Double(b.updateBits))
                    }
                    for name in hardware {
                        if let a = group.rows.compactMap({ $0.hardware[name] }).first, let b = other.rows.compactMap({ $0.hardware[name] }).first, b.energyMicrojoules > 0 {
                            line += String(format: "; %@ energy %.3fx", name, a.energyMicrojoules / b.energyMicrojoules)
                        }
                    }
                    if !context.isEmpty { line += " [\(context)]" }
                    lines.append(line)
                }
            }
        }
        return lines.isEmpty ? "no pairs of groups differ in exactly one axis\n" : lines.joined(separator: "\n") + "\n"
    }
}
