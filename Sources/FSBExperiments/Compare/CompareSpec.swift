import FSBCore
import Foundation

/// A `fsb compare` spec (JSON, `configs/compare/*.json`): a base experiment config plus
/// axes that override config fields by dotted path; the grid is their Cartesian product.
///
///     {
///       "name": "mnist-methods",
///       "base": "configs/mnist-lenet5-fsb.json",          // path (relative to the spec) or inline object
///       "axes": [ {"path": "model.method", "values": ["fp", "bwn", "fsb"], "reference": "bwn"},
///                 {"path": "seed", "values": [1, 2, 3]} ],
///       "hardware": ["configs/hw/fsb-int8-os.json"],       // optional: simulate every trained model
///                                                          // (paths beside the spec, else from the working directory)
///       "output": "results/mnist-methods"                  // optional (default runs/compare/<name>)
///     }
public struct CompareSpec: Decodable, Sendable {
    /// One axis of the grid: a config path, the values it takes, and the value the
    /// verdicts compare the others against (`reference`, one of `values`; default the first).
    public struct Axis: Decodable, Sendable, Equatable {
        public var path: String
        public var values: [JSONValue]
        public var reference: JSONValue?

        enum CodingKeys: String, CodingKey, CaseIterable { case path, values, reference }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decodeChecked(String.self, forKey: .path) { $0.isEmpty ? "must not be empty" : nil }
            values = try c.decode([JSONValue].self, forKey: .values)
            if values.isEmpty {
                throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription: "must list at least one value, got []")
            }
            reference = c.contains(.reference) ? try c.decode(JSONValue.self, forKey: .reference) : nil
            if let reference, !values.contains(reference) {
                let listed = values.map(\.compactText).joined(separator: ", ")
                throw DecodingError.dataCorruptedError(forKey: .reference, in: c,
                    debugDescription: "must be one of the axis' values [\(listed)], got \(reference.compactText)")
            }
        }
    }

    public var name: String
    /// The base config as a JSON object (read from the file when given as a path).
    public var base: JSONValue
    public var axes: [Axis]
    public var hardware: [String]
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

    /// Reads a spec; a base given as a path is read relative to the spec's folder.
    public static func load(path: String) throws -> CompareSpec {
        var spec = try StrictJSON.decode(CompareSpec.self, fromFile: path)
        if case .string(let basePath) = spec.base {
            let resolved = basePath.hasPrefix("/") ? basePath
                : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(basePath).path
            let candidates = [resolved, basePath]
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                  let data = FileManager.default.contents(atPath: found) else {
                throw ConfigError(file: path, path: "base", message: "cannot read base config \"\(basePath)\"")
            }
            spec.base = try StrictJSON.decode(JSONValue.self, from: data, file: found)
        }
        guard case .object = spec.base else {
            throw ConfigError(file: path, path: "base", message: "expected an object or a path to a config file")
        }
        let specFolder = URL(fileURLWithPath: path).deletingLastPathComponent()
        spec.hardware = try spec.hardware.enumerated().map { index, hardwarePath in
            let candidates = hardwarePath.hasPrefix("/") ? [hardwarePath] : [specFolder.appendingPathComponent(hardwarePath).path, hardwarePath]
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ConfigError(file: path, path: "hardware[\(index)]", message: "no such hardware config \"\(hardwarePath)\" (looked beside the spec and in the working directory)")
            }
            return found
        }
        return spec
    }

    /// Every cell of the grid, in a fixed order (the first axis varies slowest).
    /// Each cell's config is validated; an invalid value is reported with its axis.
    public func cells(specFile: String) throws -> [CompareCell] {
        var assignments: [[(String, JSONValue)]] = [[]]
        for axis in axes {
            assignments = assignments.flatMap { prefix in axis.values.map { prefix + [(axis.path, $0)] } }
        }
        let cells = try assignments.enumerated().map { index, assignment in
            var json = base
            for (path, value) in assignment { json.set(path: path, to: value) }
            let data = try json.encoded()
            let label = assignment.map { "\($0.0)=\($0.1.compactText)" }.joined(separator: ",")
            do {
                let config = try StrictJSON.decode(ExperimentConfig.self, from: data, file: "")
                return CompareCell(index: index, assignment: assignment.map { .init(path: $0.0, value: $0.1) }, config: config)
            } catch let error as ConfigError {
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
