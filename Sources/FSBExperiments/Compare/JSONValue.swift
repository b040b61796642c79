import FSBCore
import Foundation

/// Any JSON value, for editing configs by dotted path (the compare grid's overrides).
/// Integers are kept exactly (a seed may be any 64-bit unsigned number; a wider one keeps
/// its digits, so that an integer field refuses it by its range); other numbers are doubles.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integer in the range of Int64.
    case integer(Int64)
    /// An integer above Int64.max (up to UInt64.max).
    case largeInteger(UInt64)
    /// An integer beyond 64 bits (as `StrictJSON` reads it; up to about 165 digits, exact to 38).
    case wideInteger(Decimal)
    /// A number with a fraction or an exponent, or an integer too wide for `wideInteger`.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let value = try? c.decode(Bool.self) { self = .bool(value) }
        else if let value = try? c.decode(Int64.self) { self = .integer(value) }
        else if let value = try? c.decode(UInt64.self) { self = .largeInteger(value) }
        else if let value = Self.wideInteger(decoder) { self = .wideInteger(value) }
        else if let value = try Self.number(c) { self = .number(value) }
        else if let value = try? c.decode(String.self) { self = .string(value) }
        else if let value = try? c.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// The value as a double; nil when it is not a number, an error when it is a number a
    /// double cannot hold (`1e400`), rather than trying the other kinds.
    private static func number(_ container: SingleValueDecodingContainer) throws -> Double? {
        do {
            return try container.decode(Double.self)
        } catch DecodingError.typeMismatch {
            return nil
        }
    }

    /// The number as a Decimal when `decoder` reads a JSON document and the value is written
    /// as a whole integer (`-`, then digits only) that a Decimal can hold, else nil.
    private static func wideInteger(_ decoder: Decoder) -> Decimal? {
        guard let document = decoder as? JSONDocumentDecoder, case .number(let text) = document.node,
              text.wholeMatch(of: /-?[0-9]+/) != nil else { return nil }
        return Decimal(string: text)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .integer(let value): try c.encode(value)
        case .largeInteger(let value): try c.encode(value)
        case .wideInteger(let value): try c.encode(value)   // JSONEncoder writes its digits
        case .number(let value):
            if value.rounded() == value && abs(value) < 1e15 { try c.encode(Int64(value)) } else { try c.encode(value) }
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }

    /// JSON bytes with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// A short rendering for labels and folder names (`fsb`, `2`, `0.5`, `null`).
    public var compactText: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .largeInteger(let value): return String(value)
        case .wideInteger(let value): return value.description
        case .number(let value): return StrictJSON.describe(value)
        case .string(let value): return value
        case .array, .object: return (try? String(decoding: encoded(), as: UTF8.self)) ?? "?"
        }
    }

    /// Sets the value at a dotted path (`model.fsb.granularity`), creating objects on the way
    /// (the path is split as `ConfigOverride.components(of:)` splits it).
    public mutating func set(path: String, to value: JSONValue) {
        set(components: ConfigOverride.components(of: path)[...], to: value)
    }

    private mutating func set(components: ArraySlice<String>, to value: JSONValue) {
        guard let first = components.first else { self = value; return }
        var object: [String: JSONValue]
        if case .object(let existing) = self { object = existing } else { object = [:] }
        var child = object[first] ?? .null
        child.set(components: components.dropFirst(), to: value)
        object[first] = child
        self = .object(object)
    }
}
