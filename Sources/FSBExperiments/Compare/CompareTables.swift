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

    /// `mean ± std` with `digits` decimals, the mean alone for one value, `-` for none.
    static func pm(_ values: [Double], _ digits: Int = 2) -> String {
        let (mean, std) = meanStd(values)
        if mean.isNaN { return "-" }
        return values.count == 1 ? String(format: "%.\(digits)f", mean) : String(format: "%.\(digits)f ± %.\(digits)f", mean, std)
    }

    /// A number for `table.csv`: empty when undefined (no runs).
    static func number(_ value: Double, _ digits: Int = 4) -> String {
        value.isNaN ? "" : String(format: "%.\(digits)f", value)
    }

    /// The axes but seed, first in both tables.
    private var axisColumns: [CSVTable<Group>.Column] {
        axes.filter { $0 != "seed" }.map { axis in .init(axis) { $0.settings[axis] ?? "" } }
    }

    /// Model sizes and simulator totals (equal across the seeds of a group: the first run's).
    private var sizeColumns: [CSVTable<Group>.Column] {
        var columns: [CSVTable<Group>.Column] = [
            .init("params") { $0.done.first.map { String($0.params) } ?? "" },
            .init("trainable_params") { $0.done.first.map { String($0.trainableParams) } ?? "" },
            .init("model_kib") { $0.done.first.map { String(format: "%.1f", Double($0.modelBits) / 8192) } ?? "" },
            .init("update_kib") { $0.done.first.map { String(format: "%.1f", Double($0.updateBits) / 8192) } ?? "" },
        ]
        for name in hardware {
            columns.append(.init("\(name)_total_cycles") { group in
                group.rows.compactMap { $0.hardware[name]?.totalCycles }.first.map(String.init) ?? "" })
            columns.append(.init("\(name)_energy_uj") { group in
                group.rows.compactMap { $0.hardware[name]?.energyMicrojoules }.first.map { String(format: "%.2f", $0) } ?? "" })
        }
        return columns
    }

    /// `table.csv`: one number per cell — `n` finished runs, `failed`, then `*_mean` and
    /// `*_std` (sample standard deviation; empty for fewer than two runs) of each accuracy.
    public func csv() -> String {
        var columns = axisColumns
        columns += [
            .init("n") { String($0.done.count) },
            .init("failed") { String($0.rows.count - $0.done.count) },
        ]
        let accuracies: [(String, KeyPath<RunSummary, Double>)] = [("best_test_acc", \.bestTestAccuracy), ("final_test_acc", \.finalTestAccuracy)]
        for (name, value) in accuracies {
            columns.append(.init("\(name)_mean") { CompareTables.number(CompareTables.meanStd($0.done.map { $0[keyPath: value] }).mean) })
            columns.append(.init("\(name)_std") { group in
                let values = group.done.map { $0[keyPath: value] }
                return values.count > 1 ? CompareTables.number(CompareTables.meanStd(values).std) : ""
            })
        }
        return CSVTable(columns: columns + sizeColumns).render(groups)
    }

    /// `table.md`: the same groups for reading — runs, accuracies as `mean ± std` (the mean
    /// alone for one seed), sizes and simulator totals; `-` where there is no value.
    public func markdown() -> String {
        var columns = axisColumns
        columns += [
            .init("runs") { String($0.done.count) + ($0.rows.count > $0.done.count ? " (\($0.rows.count - $0.done.count) failed)" : "") },
            .init("best_test_acc") { CompareTables.pm($0.done.map(\.bestTestAccuracy)) },
            .init("final_test_acc") { CompareTables.pm($0.done.map(\.finalTestAccuracy)) },
        ]
        columns += sizeColumns
        var text = "| " + columns.map(\.name).joined(separator: " | ") + " |\n"
        text += "|" + columns.map { _ in " --- |" }.joined() + "\n"
        for group in groups {
            text += "| " + columns.map { column in column.value(group).isEmpty ? "-" : column.value(group) }.joined(separator: " | ") + " |\n"
        }
        return text
    }

    /// `a` against `b` in words: `15.9x larger`, `2.5x smaller`, `equal`.
    static func ratio(_ a: Double, _ b: Double, larger: String, smaller: String) -> String {
        if a == b { return "equal" }
        return a > b ? String(format: "%.3gx ", a / b) + larger : String(format: "%.3gx ", b / a) + smaller
    }

    /// Plain-text verdicts: for every pair of groups that differ in exactly one axis,
    /// the other value against the axis' reference value (default its first), with
    /// seed-matched differences in final test accuracy (mean ± std, points) and the
    /// ratios of update sizes and energies in words (`update 15.9x larger`, `energy 2.1x lower`).
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
                    let difference = diffs.count == 1 ? String(format: "%+.2f", mean) : String(format: "%+.2f ± %.2f", mean, std)
                    var line = "\(axis)=\(group.settings[axis] ?? "") vs \(other.settings[axis] ?? ""): \(difference) points final test accuracy"
                        + " (\(diffs.count) seed\(diffs.count == 1 ? "" : "s"))"
                    if let a = group.done.first, let b = other.done.first, b.updateBits > 0 {
                        line += "; update " + CompareTables.ratio(Double(a.updateBits), Double(b.updateBits), larger: "larger", smaller: "smaller")
                    }
                    for name in hardware {
                        if let a = group.rows.compactMap({ $0.hardware[name] }).first, let b = other.rows.compactMap({ $0.hardware[name] }).first, b.energyMicrojoules > 0 {
                            line += "; \(name) energy " + CompareTables.ratio(a.energyMicrojoules, b.energyMicrojoules, larger: "higher", smaller: "lower")
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
