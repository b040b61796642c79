/// An error meant for the person running `fsb`: its `description` is one line naming
/// where the problem is (file, byte offset or JSON path), what was expected and what
/// was found. The CLI prints it to stderr and exits non-zero, without a stack trace.
public protocol UserFacingError: Error, CustomStringConvertible {}

/// A generic user-facing error carrying a ready message.
public struct FSBError: UserFacingError, Equatable {
    /// The one-line message.
    public let message: String
    public init(_ message: String) { self.message = message }
    /// The message on one line: control characters of quoted input (a JSON tensor name
    /// holding `\n`) are escaped, and a message over `String.errorLineLimit` is clipped.
    public var description: String { message.asErrorLine }
}

extension String {
    /// The most characters an error line shows; input echoed in a message (a 100,000-character
    /// name) is clipped there.
    public static let errorLineLimit = 1000

    /// The text as one error line: control characters escaped (`escapingControlCharacters`),
    /// then clipped to `errorLineLimit` characters with a note of its full length.
    public var asErrorLine: String {
        let line = escapingControlCharacters
        guard line.count > String.errorLineLimit else { return line }
        return "\(line.prefix(String.errorLineLimit))… (clipped; \(line.count) characters in all)"
    }

    /// The text with control characters (which JSON keys and values may carry through their
    /// escapes) written as escapes (`\n`, `\t`, `\u{1b}`), so that an error quoting user input
    /// stays on one line.
    public var escapingControlCharacters: String {
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}":
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
