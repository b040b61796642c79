import FSBCore
import Foundation

/// One `--set PATH=VALUE` override of an experiment config field (as Hydra users write
/// them): a dotted path into the config's JSON (`training.optimizer.learningRate`,
/// `model.layerMethods.layer1.0.conv1`) and a value parsed as JSON (`3`, `true`, `null`,
/// `[1, 2]`, `{"kind": "adam"}`, `"text"`), or taken as a string when it is not JSON
/// (`bwn`). The overridden config is decoded as strictly as a file; an error under an
/// overridden path names the override.
public struct ConfigOverride: Equatable, Sendable {
    /// The dotted path, as typed.
    public let path: String
    /// The path split into object keys (see `ConfigOverride.components(of:)`).
    public let components: [String]
    /// The new value.
    public let value: JSONValue
    /// How the override was given, for error messages (`--set training.epochs=0`, `--epochs 0`).
    public let origin: String

    /// Objects whose keys are free names that may contain dots (layer names): the rest of
    /// a path after one of these is a single key.
    static let freeKeyObjects: [[String]] = [["model", "layerMethods"]]

    /// Parses `PATH=VALUE` as given to `--set`.
    public init(parsing argument: String) throws {
        guard let equals = argument.firstIndex(of: "=") else {
            throw FSBError("--set \(argument): expected PATH=VALUE (e.g. training.epochs=3), found no \"=\"")
        }
        let path = String(argument[..<equals])
        let text = String(argument[argument.index(after: equals)...])
        let origin = "--set \(argument)"
        try self.init(path: path, value: ConfigOverride.parseValue(text, origin: origin), origin: origin)
    }

    /// An override of `path` with `value`; `origin` names it in errors.
    public init(path: String, value: JSONValue, origin: String) throws {
        let components = ConfigOverride.components(of: path)
        if components.isEmpty || components.contains(where: \.isEmpty) {
            throw FSBError("\(origin): expected a dotted config path such as training.epochs, found \"\(path)\"")
        }
        self.path = path
        self.components = components
        self.value = value
        self.origin = origin
    }

    /// `text` parsed as strictly as a config file (integers exact, no duplicate keys or
    /// trailing commas), else the text itself as a JSON string; but text that begins as an
    /// object, array or string, or is written as a number, must be valid JSON (an error
    /// naming `origin` and the column: `01`, `1e400`).
    static func parseValue(_ text: String, origin: String) throws -> JSONValue {
        do {
            return try StrictJSON.decode(JSONValue.self, from: Data(text.utf8), file: "")
        } catch {
            let looksLikeNumber = text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/) != nil
            guard let first = text.first(where: { !$0.isWhitespace }), looksLikeNumber || "{[\"".contains(first) else { return .string(text) }
            throw FSBError("\(origin): the value is not valid JSON: \(error)")
        }
    }

    /// Splits a dotted config path into keys; after `model.layerMethods` the rest is one
    /// layer name (`model.layerMethods.layer1.0.conv1` -> `model`, `layerMethods`, `layer1.0.conv1`).
    public static func components(of path: String) -> [String] {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for prefix in freeKeyObjects where parts.count > prefix.count && Array(parts.prefix(prefix.count)) == prefix {
            return prefix + [parts.dropFirst(prefix.count).joined(separator: ".")]
        }
        return parts
    }

    /// Sets the value in `json` (a config object), creating objects on the way; a value on
    /// the way that is not an object is an error naming this override.
    public func apply(to json: inout JSONValue) throws {
        try ConfigOverride.set(components[...], to: value, in: &json, walked: [], origin: origin)
    }

    private static func set(_ components: ArraySlice<String>, to value: JSONValue, in json: inout JSONValue,
                            walked: [String], origin: String) throws {
        guard let key = components.first else { json = value; return }
        var object: [String: JSONValue]
        switch json {
        case .object(let existing): object = existing
        case .null: object = [:]
        default:
            throw FSBError("\(origin): \(walked.isEmpty ? "the config" : walked.joined(separator: "."))"
                           + " is \(json.compactText), not an object, so it has no field \"\(key)\"")
        }
        var child = object[key] ?? .null
        try set(components.dropFirst(), to: value, in: &child, walked: walked + [key], origin: origin)
        object[key] = child
        json = .object(object)
    }

    /// True when the rendered JSON path `errorPath` (`a.b[2].c`) is this override's path,
    /// lies under it, or is an object on its way (which the override may have created).
    func covers(_ errorPath: String) -> Bool {
        if errorPath == path || errorPath.hasPrefix(path + ".") || errorPath.hasPrefix(path + "[") { return true }
        return !errorPath.isEmpty && path.hasPrefix(errorPath + ".")
    }
}

extension Array where Element == ConfigOverride {
    /// `error`, found after the config was loaded (a layer name only the built model can
    /// check), attributed to the override that set its path, else to `file`; an error that
    /// already names a file is returned as it is.
    public func locate(_ error: ConfigError, file: String) -> ConfigError {
        guard error.file.isEmpty else { return error }
        if let culprit = last(where: { $0.covers(error.path) }) {
            return ConfigError(file: culprit.origin, path: error.path, message: error.message)
        }
        return error.located(in: file)
    }

    /// Applies every override in order to `json` and decodes the result as strictly as a
    /// file. An error under an overridden path names that override; any other error names
    /// `file` and the overrides that were applied.
    func decodeConfig(_ json: JSONValue, file: String) throws -> ExperimentConfig {
        var edited = json
        for override in self { try override.apply(to: &edited) }
        do {
            return try StrictJSON.decode(ExperimentConfig.self, from: try edited.encoded(), file: "")
        } catch let error as ConfigError {
            if let culprit = last(where: { $0.covers(error.path) }) {
                throw ConfigError(file: culprit.origin, path: error.path, message: error.message)
            }
            let applied = map(\.origin).joined(separator: ", ")
            let where_ = file.isEmpty ? "with \(applied)" : "\(file) (with \(applied))"
            throw ConfigError(file: isEmpty ? file : where_, path: error.path, message: error.message)
        }
    }
}
