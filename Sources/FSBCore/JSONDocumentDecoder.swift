/// A `Decoder` over a `JSONDocument`: what `StrictJSON.decode` uses instead of Foundation's
/// `JSONDecoder`, so that every type error carries the JSON path of the value, and integers
/// are read exactly from their text: `1.5`, `1e308` or `9223372036854775808` in an `Int`
/// field and `-5` in an unsigned one are errors naming the field, never rounded or wrapped.
public struct JSONDocumentDecoder: Decoder {
    public let node: JSONDocument
    public let codingPath: [CodingKey]
    public var userInfo: [CodingUserInfoKey: Any] { [:] }

    public init(node: JSONDocument, codingPath: [CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = node else { throw mismatch([String: Int].self, node, codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    public func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let elements) = node else { throw mismatch([Int].self, node, codingPath) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    public func singleValueContainer() throws -> SingleValueDecodingContainer {
        SingleValue(node: node, codingPath: codingPath)
    }
}

/// `expected <type>, found <what the value is>`, as a `DecodingError.typeMismatch`.
private func mismatch(_ type: Any.Type, _ node: JSONDocument, _ path: [CodingKey]) -> DecodingError {
    .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(node.kindDescription) instead."))
}

/// A number that does not fit the requested type, as a `DecodingError.dataCorrupted`.
private func badNumber(_ message: String, _ path: [CodingKey]) -> DecodingError {
    .dataCorrupted(.init(codingPath: path, debugDescription: message))
}

/// Decodes primitives from one node; shared by the three container kinds.
private enum Primitive {
    static func bool(_ node: JSONDocument, _ path: [CodingKey]) throws -> Bool {
        guard case .bool(let value) = node else { throw mismatch(Bool.self, node, path) }
        return value
    }

    static func string(_ node: JSONDocument, _ path: [CodingKey]) throws -> String {
        guard case .string(let value) = node else { throw mismatch(String.self, node, path) }
        return value
    }

    static func double(_ node: JSONDocument, _ path: [CodingKey]) throws -> Double {
        guard case .number(let text) = node else { throw mismatch(Double.self, node, path) }
        guard let value = Double(text), value.isFinite else {
            throw badNumber("expected a number of at most about 1.8e308 in magnitude, found \(JSONDocument.clipped(number: text))", path)
        }
        return value
    }

    /// An integer of type `T`, read exactly from the number's text.
    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ node: JSONDocument, _ path: [CodingKey]) throws -> T {
        guard case .number(let text) = node else { throw mismatch(T.self, node, path) }
        if let value = T(text) { return value }
        let isWhole = !text.contains(".") && !text.contains("e") && !text.contains("E")
        if !isWhole { throw badNumber("expected an integer, found \(JSONDocument.clipped(number: text))", path) }
        if !T.isSigned && text.hasPrefix("-") { throw badNumber("expected a non-negative integer, found \(JSONDocument.clipped(number: text))", path) }
        throw badNumber("expected an integer in \(T.min)...\(T.max), found \(JSONDocument.clipped(number: text))", path)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ node: JSONDocument, _ path: [CodingKey]) throws -> T {
        switch type {
        case is Bool.Type: return try bool(node, path) as! T
        case is String.Type: return try string(node, path) as! T
        case is Double.Type: return try double(node, path) as! T
        case is Float.Type:
            let value = try double(node, path)
            guard abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                throw badNumber("expected a number of at most about 3.4e38 in magnitude, found \(value)", path)
            }
            return Float(value) as! T
        case is Int.Type: return try integer(Int.self, node, path) as! T
        case is Int64.Type: return try integer(Int64.self, node, path) as! T
        case is Int32.Type: return try integer(Int32.self, node, path) as! T
        case is UInt.Type: return try integer(UInt.self, node, path) as! T
        case is UInt64.Type: return try integer(UInt64.self, node, path) as! T
        case is UInt32.Type: return try integer(UInt32.self, node, path) as! T
        case is UInt8.Type: return try integer(UInt8.self, node, path) as! T
        default: return try T(from: JSONDocumentDecoder(node: node, codingPath: path))
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(key: String, value: JSONDocument)]
    let codingPath: [CodingKey]

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { members.contains { $0.key == key.stringValue } }

    private func node(_ key: Key) throws -> JSONDocument {
        guard let member = members.first(where: { $0.key == key.stringValue }) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field"))
        }
        return member.value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try node(key) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        // null reaches the type (JSONValue accepts it); a primitive type refuses it.
        try Primitive.decode(T.self, try node(key), codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONDocumentDecoder(node: try node(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try JSONDocumentDecoder(node: try node(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        JSONDocumentDecoder(node: .object(members), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        JSONDocumentDecoder(node: (try? node(key)) ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONDocument]
    let codingPath: [CodingKey]
    var currentIndex = 0

    init(elements: [JSONDocument], codingPath: [CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }
    private var key: CodingKey { AnyCodingKey(intValue: currentIndex) }

    private func current<T>(_ type: T.Type) throws -> JSONDocument {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath + [key], debugDescription: "the array has no more elements"))
        }
        return elements[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard try current(Never.self) == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try current(T.self)
        let decoded = try Primitive.decode(T.self, value, codingPath + [key])
        currentIndex += 1
        return decoded
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let container = try JSONDocumentDecoder(node: try current(Never.self), codingPath: codingPath + [key]).container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let container = try JSONDocumentDecoder(node: try current(Never.self), codingPath: codingPath + [key]).unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> Decoder {
        let decoder = JSONDocumentDecoder(node: try current(Never.self), codingPath: codingPath + [key])
        currentIndex += 1
        return decoder
    }
}

private struct SingleValue: SingleValueDecodingContainer {
    let node: JSONDocument
    let codingPath: [CodingKey]

    func decodeNil() -> Bool { node == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try Primitive.decode(T.self, node, codingPath)
    }
}
