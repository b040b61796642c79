#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Command-line arguments must be UTF-8. Swift decodes `argv` into `String`s, replacing every
/// byte that is not UTF-8 with U+FFFD, so a path such as `--output $'\xff\xfe'` would reach
/// the file system as a different name (a folder called "\u{FFFD}\u{FFFD}", or "not found").
/// Rather than act on a mangled path, `fsb` refuses such an argument before parsing it,
/// naming the argument and the first byte that is not UTF-8.
public enum ArgumentEncoding {
    /// Where the first argument that is not valid UTF-8 goes wrong.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        /// Index of the argument in `argv` (0 is the program).
        public var argument: Int
        /// Offset of the first invalid byte inside that argument.
        public var byteOffset: Int
        public var byte: UInt8

        public var description: String { message(naming: "argument \(argument)") }

        /// The one-line refusal, with the argument called `name` (e.g. "the value of --output").
        public func message(naming name: String) -> String {
            let hex = String(byte, radix: 16, uppercase: true)
            return "\(name): expected UTF-8 text (paths and names are UTF-8 in fsb), found byte 0x\(hex.count == 1 ? "0" + hex : hex) at byte offset \(byteOffset) that is not UTF-8; rename the file or folder, or pass a UTF-8 path to it (e.g. a symbolic link)"
        }
    }

    /// The first argument of `arguments` (raw bytes, without the terminating NUL) that is not
    /// valid UTF-8, or nil when all are.
    public static func firstProblem(in arguments: [[UInt8]]) -> Problem? {
        for (index, bytes) in arguments.enumerated() {
            if let offset = firstInvalidByte(bytes) {
                return Problem(argument: index, byteOffset: offset, byte: bytes[offset])
            }
        }
        return nil
    }

    /// The one-line refusal for the first argument that is not UTF-8 (naming the option whose
    /// value it is, when the argument before it is an option), or nil when all are UTF-8.
    public static func refusal(for arguments: [[UInt8]]) -> String? {
        guard let problem = firstProblem(in: arguments) else { return nil }
        let previous = problem.argument > 0 ? String(decoding: arguments[problem.argument - 1], as: UTF8.self) : ""
        let option = previous.hasPrefix("-") && !previous.contains("=") ? " (the value of \(previous))" : ""
        return problem.message(naming: "argument \(problem.argument)\(option)")
    }

    /// Exits with status 64 (EX_USAGE, as for any other bad argument) and the refusal on
    /// stderr when one of this process's arguments is not UTF-8; the first thing a `main` does.
    public static func refuseInvalidProcessArguments() {
        guard let message = refusal(for: processArguments()) else { return }
        let line = Array("Error: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(64)
    }

    /// The process's own `argv` as raw bytes.
    public static func processArguments() -> [[UInt8]] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            var bytes: [UInt8] = []
            var cursor = pointer
            while cursor.pointee != 0 {
                bytes.append(UInt8(bitPattern: cursor.pointee))
                cursor += 1
            }
            return bytes
        }
    }

    /// Offset of the first byte of `bytes` at which UTF-8 decoding fails (an invalid lead
    /// byte, a missing or wrong continuation byte, an overlong form, a surrogate or a value
    /// above U+10FFFF), or nil for valid UTF-8.
    static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            var lowest: UInt8 = 0x80, highest: UInt8 = 0xBF
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowest = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; highest = 0x9F
            case 0xF0: length = 4; lowest = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; highest = 0x8F
            default: return index
            }
            for position in 1..<length {
                guard index + position < bytes.count else { return index }  // cut short
                let continuation = bytes[index + position]
                let (low, high) = position == 1 ? (lowest, highest) : (UInt8(0x80), UInt8(0xBF))
                guard continuation >= low && continuation <= high else { return index + position }
            }
            index += length
        }
        return nil
    }
}
