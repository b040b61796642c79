import Foundation

/// A configuration error: names the file and the JSON path of the offending value,
/// what was expected and what was found, in one line
/// (for example `run.json: training.optimizer.learningRate: must be > 0, got -1`).
public struct ConfigError: UserFacingError, Equatable {
    /// The file the config came from (empty when decoded from memory).
    public let file: String
    /// Dotted JSON path, with `[i]` for array elements (`model.layers[2].method`).
    public let path: String
    /// What was expected and what was found.
    public let message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// The same error attributed to `file` when it names none yet (a config checked after
    /// it was loaded, e.g. a layer name only the built model can check).
    public func located(in file: String) -> ConfigError {
        self.file.isEmpty ? ConfigError(file: file, path: path, message: message) : self
    }

    public var description: String {
        let location = path.isEmpty ? "(top level)" : path
        let text = file.isEmpty ? "\(location): \(message)" : "\(file): \(location): \(message)"
        return text.asErrorLine
    }
}

/// Strict decoding of JSON configs with Codable: unknown keys, wrong types, missing
/// required fields and out-of-range values become a `ConfigError` with the JSON path.
///
/// Types opt in by calling `try decoder.rejectUnknownKeys(MyKeys.self)` in `init(from:)`
/// and by checking ranges with `container.decode(_:forKey:default:check:)`.
public enum StrictJSON {
    /// Decodes `T` from `data`; `file` is used in error messages. The text is parsed
    /// strictly (`JSONDocument`: duplicate keys, trailing commas and other deviations from
    /// RFC 8259 are errors with line and column), then decoded with `JSONDocumentDecoder`
    /// (every type error names the JSON path; integers are read exactly).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String = "") throws -> T {
        do {
            let document = try JSONDocument.parse([UInt8](data), file: file)
            return try T(from: JSONDocumentDecoder(node: document))
        } catch let error as DecodingError {
            throw configError(from: error, file: file)
        } catch let error as ConfigError {
            throw error
        }
    }

    /// Reads and decodes a JSON file.
    public static func decode<T: Decodable>(_ type: T.Type, fromFile path: String) throws -> T {
        try decode(type, from: try RegularFile.data(atPath: path, what: "file"), file: path)
    }

    /// Renders a value as it would be written in JSON (`-1` rather than `-1.0`).
    public static func describe<T: CustomStringConvertible>(_ value: T) -> String {
        if let number = value as? Double, number.rounded() == number, abs(number) < 1e15 {
            return String(Int64(number))
        }
        if let text = value as? String { return "\"\(text)\"" }
        return value.description
    }

    /// Renders a coding path as `a.b[2].c`.
    public static func render(_ path: [CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }

    /// Converts a DecodingError into a one-line ConfigError.
    public static func configError(from error: DecodingError, file: String) -> ConfigError {
        switch error {
        case .typeMismatch(let type, let context):
            return ConfigError(file: file, path: render(context.codingPath),
                               message: "expected \(jsonTypeName(type)), found \(foundDescription(context))")
        case .valueNotFound(let type, let context):
            return ConfigError(file: file, path: render(context.codingPath),
                               message: "expected \(jsonTypeName(type)), found null")
        case .keyNotFound(let key, let context):
            let reason = context.debugDescription.hasPrefix("required") ? context.debugDescription : "required field"
            return ConfigError(file: file, path: render(context.codingPath + [key]),
                               message: "missing (\(reason))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty && context.underlyingError == nil && !context.debugDescription.isEmpty {
                // A value the decoder refused at the top level (a number out of range).
                return ConfigError(file: file, path: "", message: context.debugDescription)
            }
            if context.codingPath.isEmpty {
                var message = "not valid JSON"
                if let underlying = context.underlyingError {
                    let text = (underlying as NSError).userInfo["NSDebugDescription"] as? String ?? underlying.localizedDescription
                    message += ": \(text)"
                }
                return ConfigError(file: file, path: "", message: message)
            }
            return ConfigError(file: file, path: render(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ConfigError(file: file, path: "", message: "\(error)")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }

    private static func foundDescription(_ context: DecodingError.Context) -> String {
        let text = context.debugDescription
        // Foundation says e.g. "Expected to decode Double but found a string instead."
        if let range = text.range(of: "but found ") {
            return String(text[range.upperBound...]).replacingOccurrences(of: " instead.", with: "")
        }
        return text
    }
}

/// A coding key for any string or integer, used to list the keys an object really has.
public struct AnyCodingKey: CodingKey, Hashable {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    public init(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws a path-carrying error for the first key of this object that `Keys` does not name.
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let allowed = Set(Keys.allCases.map(\.stringValue))
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !allowed.contains(key.stringValue) {
            let known = allowed.sorted().joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "unknown key \"\(key.stringValue)\" (expected one of: \(known))"))
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes an optional field, substituting `defaultValue` when absent, then runs
    /// `check`, which returns a message such as "must be > 0" when the value is out of range.
    public func decode<T: Decodable & CustomStringConvertible>(
        _ type: T.Type, forKey key: Key, default defaultValue: T, check: (T) -> String? = { _ in nil }
    ) throws -> T {
        try checked(try decodeIfPresent(T.self, forKey: key) ?? defaultValue, forKey: key, check)
    }

    /// Decodes a required field, then runs `check` as above.
    public func decodeChecked<T: Decodable & CustomStringConvertible>(
        _ type: T.Type, forKey key: Key, check: (T) -> String?
    ) throws -> T {
        try checked(try decode(T.self, forKey: key), forKey: key, check)
    }

    /// Decodes an optional field (nil when absent or null), then runs `check` on a present value.
    public func decodeOptional<T: Decodable & CustomStringConvertible>(
        _ type: T.Type, forKey key: Key, check: (T) -> String?
    ) throws -> T? {
        guard let value = try decodeIfPresent(T.self, forKey: key) else { return nil }
        return try checked(value, forKey: key, check)
    }

    /// `value` when `check` accepts it, else the decoding error at `key` with the message
    /// `check` returned and the value found.
    private func checked<T: CustomStringConvertible>(_ value: T, forKey key: Key, _ check: (T) -> String?) throws -> T {
        if let problem = check(value) {
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "\(problem), got \(StrictJSON.describe(value))")
        }
        return value
    }

    /// Decodes a string field that must be one of an enum's raw values.
    public func decodeChoice<T: RawRepresentable & CaseIterable>(
        _ type: T.Type, forKey key: Key, default defaultValue: T
    ) throws -> T where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return defaultValue }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "expected one of \(allowed), got \"\(raw)\"")
        }
        return value
    }
}
