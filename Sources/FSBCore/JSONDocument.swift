/// A JSON syntax error: file, line and column (1-based, columns in bytes), the JSON path of
/// the enclosing value when there is one, what was expected and what was found.
public struct JSONSyntaxError: UserFacingError, Equatable {
    public var file: String
    public let line: Int
    public let column: Int
    /// Dotted path of the value being read (`training.optimizer`), empty at the top level.
    public let path: String
    public let message: String

    public var description: String {
        let location = "line \(line), column \(column)" + (path.isEmpty ? "" : " (\(path))")
        let text = file.isEmpty ? "\(location): \(message)" : "\(file): \(location): \(message)"
        return text.asErrorLine
    }
}

/// A parsed JSON text, kept close to the source: object members in order (duplicate keys
/// are refused while parsing), numbers as their exact text (so that integers are read
/// without going through `Double`), and each value's position for error messages.
///
/// The parser is strict RFC 8259: no trailing commas, no comments, no leading zeros, no
/// `NaN`/`Infinity`, valid UTF-8 and escapes only, one value and nothing but whitespace
/// after it; nesting is limited to `maximumDepth`.
public indirect enum JSONDocument: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as written (`-1.5e3`).
    case number(String)
    case string(String)
    case array([JSONDocument])
    case object([(key: String, value: JSONDocument)])

    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 256

    public static func == (a: JSONDocument, b: JSONDocument) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A number's text as an error message shows it: whole up to 40 characters, else its
    /// first 24 and its length, so that a 100,000-digit number does not fill the terminal.
    public static func clipped(number text: String) -> String {
        text.count > 40 ? "\(text.prefix(24))… (\(text.count) characters)" : text
    }

    /// What the value is, in words (`an object`, `the number 1.5`), for type errors.
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "the boolean \(value)"
        case .number(let text): return "the number \(JSONDocument.clipped(number: text))"
        case .string(let text): return "the string \"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses `bytes`; `file` names the source in errors.
    public static func parse(_ bytes: [UInt8], file: String = "") throws -> JSONDocument {
        var parser = JSONParser(bytes: bytes, file: file)
        return try parser.parseDocument()
    }
}

/// The recursive-descent parser behind `JSONDocument.parse`.
struct JSONParser {
    let bytes: [UInt8]
    let file: String
    var index = 0
    var path: [String] = []

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func parseDocument() throws -> JSONDocument {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index < bytes.count { throw error("expected the end of the text after the top-level value, found \(found())") }
        return value
    }

    // MARK: values

    private mutating func parseValue(depth: Int) throws -> JSONDocument {
        guard index < bytes.count else { throw error("expected a value, found the end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("expected a value (object, array, string, number, true, false or null), found \(found())")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONDocument {
        if depth > JSONDocument.maximumDepth { throw error("expected at most \(JSONDocument.maximumDepth) nested arrays and objects, found more") }
        index += 1
        var members: [(key: String, value: JSONDocument)] = []
        var offsets: [String: Int] = [:]   // each key's byte offset, for the duplicate-key message
        skipWhitespace()
        if peek == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                let after = members.isEmpty ? "" : " after ','"
                throw error(peek == UInt8(ascii: "}") ? "expected a member name\(after), found '}' (trailing commas are not allowed)"
                            : "expected a member name in double quotes\(after), found \(found())")
            }
            let start = index
            let key = try parseString()
            if let firstOffset = offsets[key] {
                let first = position(of: firstOffset)
                throw error("duplicate key \"\(key)\" (first at line \(first.0), column \(first.1))", at: start)
            }
            offsets[key] = start
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':' after the member name \"\(key)\", found \(found())") }
            index += 1
            skipWhitespace()
            path.append(key)
            let value = try parseValue(depth: depth)
            path.removeLast()
            members.append((key, value))
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw error("expected ',' or '}' after the value of \"\(key)\", found \(found())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONDocument {
        if depth > JSONDocument.maximumDepth { throw error("expected at most \(JSONDocument.maximumDepth) nested arrays and objects, found more") }
        index += 1
        var elements: [JSONDocument] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "]") { throw error("expected a value after ',', found ']' (trailing commas are not allowed)") }
            path.append("[\(elements.count)]")
            elements.append(try parseValue(depth: depth))
            path.removeLast()
            skipWhitespace()
            switch peek {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw error("expected ',' or ']' after an array element, found \(found())")
            }
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { throw error("expected a digit in a number, found \(found())") }
        index += 1
        if first == UInt8(ascii: "0"), let next = peek, isDigit(next) {
            throw error("expected no leading zero in a number, found \(found())")
        }
        while let next = peek, isDigit(next) { index += 1 }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let next = peek, isDigit(next) else { throw error("expected a digit after the decimal point, found \(found())") }
            while let next = peek, isDigit(next) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let next = peek, isDigit(next) else { throw error("expected a digit in the exponent, found \(found())") }
            while let next = peek, isDigit(next) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard let byte = peek else { throw error("expected a closing '\"', found the end of the text") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw error("expected UTF-8 text in a string, found invalid bytes", at: start)
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &out)
            case 0..<0x20:
                throw error("expected a control character to be escaped in a string, found byte 0x\(String(byte, radix: 16))")
            default:
                // A run of plain bytes is copied at once.
                let runStart = index
                while let next = peek, next != UInt8(ascii: "\""), next != UInt8(ascii: "\\"), next >= 0x20 { index += 1 }
                out.append(contentsOf: bytes[runStart..<index])
            }
        }
    }

    /// The byte each one-letter escape (`\n`, `\"`, …) stands for.
    private static let simpleEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
        UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    private mutating func parseEscape(into out: inout [UInt8]) throws {
        guard let byte = peek else { throw error("expected an escape after '\\', found the end of the text") }
        index += 1
        if let value = JSONParser.simpleEscapes[byte] { out.append(value); return }
        guard byte == UInt8(ascii: "u") else { index -= 1; throw error("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found \(found())") }
        var scalar = try parseHex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("expected a low surrogate \\uDC00-\\uDFFF after a high surrogate, found \(found())")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("expected a low surrogate \\uDC00-\\uDFFF, found \\u\(String(low, radix: 16))") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw error("expected a high surrogate before \\u\(String(scalar, radix: 16)), found it alone")
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = hexValue(byte) else { throw error("expected 4 hex digits after \\u, found \(found())") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func expectWord(_ word: String) throws {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw error("expected a value (object, array, string, number, true, false or null), found \(found())")
        }
        index += expected.count
    }

    // MARK: helpers

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// What is at the current position, for messages (`'}'`, `the end of the text`).
    private func found() -> String {
        guard let byte = peek else { return "the end of the text" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(byte < 16 ? "0" : "")\(String(byte, radix: 16))"
    }

    /// Line and column (1-based) of a byte offset: a scan from the start, so it is computed
    /// only for an error's message (offsets are kept while parsing).
    private func position(of offset: Int) -> (Int, Int) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    /// The error `message` at byte offset `offset` (the current position by default).
    private func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let (line, column) = position(of: offset ?? index)
        var rendered = ""
        for component in path {
            rendered += component.hasPrefix("[") || rendered.isEmpty ? component : "." + component
        }
        return JSONSyntaxError(file: file, line: line, column: column, path: rendered, message: message)
    }
}
