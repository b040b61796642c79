import FSBCore
import Foundation

/// A `fsb compare` spec (JSON, `configs/compare/*.json`): a base experiment config plus
/// axes that override config fields by dotted path; the grid is their Cartesian product.
///
///     {
///       "name": "mnist-methods",
///       "base": "../mnist-lenet5-fsb.json",               // path or inline object
///       "axes": [ {"path": "model.method", "values": ["fp", "bwn", "fsb"], "reference": "bwn"},
///                 {"path": "seed", "values": [1, 2, 3]} ],
///       "hardware": ["../hw/fsb-int8-os.json"],            // optional: simulate every trained model
///       "output": "../../results/mnist-methods"           // optional (default runs/compare/<name>)
///     }
///
/// `base`, `hardware` and `output` are relative to the spec's folder; file paths inside the
/// base config (`dataset.path`, `model.fsb.signCheckpoint`) are relative to the base file
/// (an inline base: to the spec). Axis values are overrides, like `--set`: a path in one is
/// relative to the working directory (`ConfigPaths`).
public struct CompareSpec: Decodable, Sendable {
    /// One axis of the grid: a config path, the values it takes, and the value the
    /// verdicts compare the others against (`reference`, one of `values`; default the first).
    /// `labels` optionally names the values (one per value, in order, distinct): the tables,
    /// verdicts and `runs.csv` show a label in place of its value (an object value such as a
    /// whole `model` section reads better as "fsb, codebook 16"); run folders keep the values.
    public struct Axis: Decodable, Sendable, Equatable {
        public var path: String
        public var values: [JSONValue]
        public var reference: JSONValue?
        public var labels: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable { case path, values, reference, labels }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decodeChecked(String.self, forKey: .path) { $0.isEmpty ? "must not be empty" : nil }
            values = try c.decode([JSONValue].self, forKey: .values)
            if values.isEmpty {
                throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription: "must list at least one value, got []")
            }
            reference = c.contains(.reference) ? try c.decode(JSONValue.self, forKey: .reference) : nil
            labels = try c.decodeIfPresent([String].self, forKey: .labels)
            if let labels {
                let problem: String?
                if labels.count != values.count {
                    problem = "must name each of the \(values.count) values, got \(labels.count) labels"
                } else if let bad = labels.first(where: { $0.isEmpty || $0.contains(where: { $0.isNewline || ($0.asciiValue ?? 32) < 32 }) }) {
                    problem = "each label must be non-empty text without control characters, got \(bad.debugDescription)"
                } else if let twice = labels.first(where: { label in labels.filter { $0 == label }.count > 1 }) {
                    problem = "labels must differ, got \"\(twice)\" twice"
                } else {
                    problem = nil
                }
                if let problem { throw DecodingError.dataCorruptedError(forKey: .labels, in: c, debugDescription: problem) }
            }
            if let reference, !values.contains(reference) {
                let listed = values.map(\.compactText).joined(separator: ", ")
                throw DecodingError.dataCorruptedError(forKey: .reference, in: c,
                    debugDescription: "must be one of the axis' values [\(listed)], got \(reference.compactText)")
            }
        }

        /// The label of the value written `text` (compact JSON, as in `CompareRow.settings`),
        /// or `text` itself when the axis has no labels or no such value.
        public func label(ofValue text: String) -> String {
            guard let labels, let index = values.firstIndex(where: { $0.compactText == text }) else { return text }
            return labels[index]
        }
    }

    public var name: String
    /// The base config as a JSON object (read from the file when given as a path).
    public var base: JSONValue
    /// The folder relative file paths inside `base` are resolved against (set by `load`:
    /// the base file's folder, or the spec's for an inline base; else the working directory).
    public var baseFolder: URL = ConfigPaths.workingDirectory
    public var axes: [Axis]
    /// Hardware config files (absolute after `load`).
    public var hardware: [String]
    /// Output folder (absolute after `load`), or nil for the default.
    public var output: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, base, axes, hardware, output }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeChecked(String.self, forKey: .name, check: PathComponent.problem)
        base = try c.decode(JSONValue.self, forKey: .base)
        axes = try c.decodeIfPresent([Axis].self, forKey: .axes) ?? []
        hardware = try c.decodeIfPresent([String].self, forKey: .hardware) ?? []
        output = try c.decodeIfPresent(String.self, forKey: .output)
        var seen = Set<String>()
        for axis in axes where !seen.insert(axis.path).inserted {
            throw DecodingError.dataCorruptedError(forKey: .axes, in: c, debugDescription: "axis \"\(axis.path)\" appears twice")
        }
    }

    /// Reads a spec and resolves `base`, `hardware` and `output` against the spec's folder.
    public static func load(path: String) throws -> CompareSpec {
        var spec = try StrictJSON.decode(CompareSpec.self, fromFile: path)
        let specFolder = ConfigPaths.folder(of: path)
        spec.baseFolder = specFolder
        if case .string(let basePath) = spec.base {
            let resolved = ConfigPaths.absolute(basePath, relativeTo: specFolder)
            guard let data = RegularFile.contents(atPath: resolved) else {
                throw ConfigError(file: path, path: "base", message: "cannot read base config \"\(basePath)\" (looked for \(resolved): \(RegularFile.whyUnreadable(resolved)); paths are relative to the spec's folder)")
            }
            spec.base = try StrictJSON.decode(JSONValue.self, from: data, file: resolved)
            spec.baseFolder = URL(fileURLWithPath: resolved).deletingLastPathComponent()
        }
        guard case .object = spec.base else {
            throw ConfigError(file: path, path: "base", message: "expected an object or a path to a config file")
        }
        spec.hardware = try spec.hardware.enumerated().map { index, hardwarePath in
            let resolved = ConfigPaths.absolute(hardwarePath, relativeTo: specFolder)
            guard FileManager.default.fileExists(atPath: resolved) else {
                throw ConfigError(file: path, path: "hardware[\(index)]", message: "no such hardware config \"\(hardwarePath)\" (looked for \(resolved); paths are relative to the spec's folder)")
            }
            return resolved
        }
        spec.output = spec.output.map { ConfigPaths.absolute($0, relativeTo: specFolder) }
        return spec
    }

    /// Every cell of the grid, in a fixed order (the first axis varies slowest): the base,
    /// then `overrides` (`fsb compare --set`), then the cell's axis values.
    /// Each cell's config is validated; an invalid value is reported with its axis or override.
    public func cells(specFile: String, overrides: [ConfigOverride] = []) throws -> [CompareCell] {
        for override in overrides {
            if let axis = axes.first(where: { ConfigOverride.components(of: $0.path).starts(with: override.components)
                                              || override.components.starts(with: ConfigOverride.components(of: $0.path)) }) {
                throw FSBError("\(override.origin): overlaps the spec's axis \"\(axis.path)\" (\(specFile)); an axis sets that field in every cell")
            }
        }
        var edited = base
        for override in overrides { try override.apply(to: &edited) }
        var assignments: [[(String, JSONValue)]] = [[]]
        for axis in axes {
            assignments = assignments.flatMap { prefix in axis.values.map { prefix + [(axis.path, $0)] } }
        }
        let overridden = overrides.map(\.path) + axes.map(\.path)
        let cells = try assignments.enumerated().map { index, assignment in
            var json = edited
            for (path, value) in assignment { json.set(path: path, to: value) }
            let data = try json.encoded()
            let label = assignment.map { "\($0.0)=\($0.1.compactText)" }.joined(separator: ",")
            do {
                var config = try StrictJSON.decode(ExperimentConfig.self, from: data, file: "")
                ConfigPaths.resolve(&config, writtenIn: baseFolder, overridden: overridden)
                return CompareCell(index: index, assignment: assignment.map { .init(path: $0.0, value: $0.1) }, config: config)
            } catch let error as ConfigError {
                if let culprit = overrides.last(where: { $0.covers(error.path) }) {
                    throw ConfigError(file: culprit.origin, path: error.path, message: error.message)
                }
                throw ConfigError(file: specFile, path: "axes", message: "cell \(label.isEmpty ? "(base)" : label) is not a valid config: \(error.path): \(error.message)")
            }
        }
        try Self.refuseSharedFolders(cells, specFile: specFile)
        return cells
    }

    /// Two cells whose axis values differ only in spelling (`1` and `1.0`, `0.05` and
    /// `0.050`) or in characters a folder name replaces (`"x/y"` and `"x_y"`) would train
    /// into one folder: refused before anything runs.
    static func refuseSharedFolders(_ cells: [CompareCell], specFile: String) throws {
        var first: [String: CompareCell] = [:]
        for cell in cells {
            if let earlier = first[cell.folderName] {
                let label = { (cell: CompareCell) in cell.assignment.map { "\($0.path)=\($0.value.compactText)" }.joined(separator: ",") }
                throw ConfigError(file: specFile, path: "axes",
                                  message: "cells \(label(earlier)) and \(label(cell)) map to the same run folder \"\(cell.folderName)\"; give axis values that differ after rounding to a folder name")
            }
            first[cell.folderName] = cell
        }
    }
}

/// One cell of a compare grid: which axis values it takes and its full config.
public struct CompareCell: Sendable {
    /// An axis value of this cell.
    public struct Setting: Sendable, Equatable {
        public var path: String
        public var value: JSONValue
    }

    public var index: Int
    public var assignment: [Setting]
    public var config: ExperimentConfig

    /// Folder name of the cell's run, e.g. `model.method-fsb__seed-2`.
    public var folderName: String {
        if assignment.isEmpty { return "base" }
        return assignment.map { "\($0.path)-\($0.value.compactText)" }.joined(separator: "__")
            .map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? String($0) : "_" }.joined()
    }
}
