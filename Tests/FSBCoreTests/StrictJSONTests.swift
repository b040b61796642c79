import FSBCore
import Foundation
import XCTest

/// Strict parsing and decoding: every syntax error has its line and column, every type
/// error its JSON path; duplicate keys and trailing commas are refused.
final class StrictJSONTests: XCTestCase {
    private struct Sample: Decodable {
        var epochs: Int
        var seed: UInt64
        var rate: Double
        var name: String
        var list: [Int]
        var nested: Inner?
    }

    private struct Inner: Decodable { var flag: Bool; var values: [Int32] }

    private let valid = #"{"epochs": 3, "seed": 7, "rate": 0.5, "name": "x", "list": [1, 2], "nested": {"flag": true, "values": [1]}}"#

    private func message(_ text: String) -> String {
        do {
            _ = try StrictJSON.decode(Sample.self, from: Data(text.utf8), file: "s.json")
            XCTFail("accepted: \(text)")
            return ""
        } catch {
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message)
            return message
        }
    }

    private func replacing(_ old: String, _ new: String) -> String {
        XCTAssertTrue(valid.contains(old), old)
        return valid.replacingOccurrences(of: old, with: new)
    }

    func testValidTextDecodes() throws {
        let sample = try StrictJSON.decode(Sample.self, from: Data(valid.utf8), file: "s.json")
        XCTAssertEqual(sample.epochs, 3)
        XCTAssertEqual(sample.nested?.values, [1])
        let big = try StrictJSON.decode(Sample.self, from: Data(replacing(#""seed": 7"#, #""seed": 18446744073709551615"#).utf8))
        XCTAssertEqual(big.seed, UInt64.max)
        let escaped = try StrictJSON.decode(Sample.self, from: Data(replacing(#""name": "x""#, #""name": "a\"\u00e9\ud83d\ude00\n""#).utf8))
        XCTAssertEqual(escaped.name, "a\"é😀\n")
    }

    func testNumbersThatDoNotFitTheFieldNameThePath() {
        let cases: [(String, String, String)] = [
            (#""epochs": 3"#, #""epochs": 1.5"#, "s.json: epochs: expected an integer, found 1.5"),
            (#""epochs": 3"#, #""epochs": 1e308"#, "s.json: epochs: expected an integer, found 1e308"),
            (#""epochs": 3"#, #""epochs": 9223372036854775808"#, "s.json: epochs: expected an integer in -9223372036854775808...9223372036854775807, found 9223372036854775808"),
            (#""epochs": 3"#, #""epochs": -9223372036854775809"#, "s.json: epochs: expected an integer in -9223372036854775808...9223372036854775807, found -9223372036854775809"),
            (#""seed": 7"#, #""seed": -5"#, "s.json: seed: expected a non-negative integer, found -5"),
            (#""seed": 7"#, #""seed": 18446744073709551616"#, "s.json: seed: expected an integer in 0...18446744073709551615, found 18446744073709551616"),
            (#""rate": 0.5"#, #""rate": 1e999"#, "s.json: rate: expected a number of at most about 1.8e308 in magnitude, found 1e999"),
            (#""values": [1]"#, #""values": [1, 4294967296]"#, "s.json: nested.values[1]: expected an integer in -2147483648...2147483647, found 4294967296"),
            (#""epochs": 3"#, #""epochs": "3""#, "s.json: epochs: expected an integer, found the string \"3\""),
            (#""list": [1, 2]"#, #""list": {"a": 1}"#, "s.json: list: expected an array, found an object"),
            (#""flag": true"#, #""flag": 1"#, "s.json: nested.flag: expected a boolean, found the number 1"),
            (#""name": "x""#, #""name": null"#, "s.json: name: expected a string, found null"),
            (#""list": [1, 2]"#, #""list": [1, null]"#, "s.json: list[1]: expected an integer, found null"),
            (#""seed": 7"#, #""seed": "# + String(repeating: "9", count: 100_000),
             "s.json: seed: expected an integer in 0...18446744073709551615, found 999999999999999999999999… (100000 characters)"),
            (#""flag": true"#, #""flag": 1."# + String(repeating: "5", count: 50),
             "s.json: nested.flag: expected a boolean, found the number 1.5555555555555555555555… (52 characters)"),
        ]
        for (old, new, expected) in cases {
            XCTAssertEqual(message(replacing(old, new)), expected, new)
        }
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        let cases: [(String, String)] = [
            ("{\"epochs\": 3,\n \"epochs\": 4}", "s.json: line 2, column 2: duplicate key \"epochs\" (first at line 1, column 2)"),
            (#"{"nested": {"flag": true, "flag": false}}"#, "s.json: line 1, column 27 (nested): duplicate key \"flag\" (first at line 1, column 13)"),
            ("{\"list\": [1, 2,]}", "s.json: line 1, column 16 (list): expected a value after ',', found ']' (trailing commas are not allowed)"),
            ("{\"epochs\": 3,\n}", "s.json: line 2, column 1: expected a member name after ',', found '}' (trailing commas are not allowed)"),
            ("{\"epochs\": 03}", "s.json: line 1, column 13 (epochs): expected no leading zero in a number, found '3'"),
            ("{\"epochs\": NaN}", "s.json: line 1, column 12 (epochs): expected a value (object, array, string, number, true, false or null), found 'N'"),
            ("{\"epochs\": 1} x", "s.json: line 1, column 15: expected the end of the text after the top-level value, found 'x'"),
            ("{\"a\": \"\\x\"}", "s.json: line 1, column 9 (a): expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found 'x'"),
            ("{\"a\": \"tab\there\"}", "s.json: line 1, column 11 (a): expected a control character to be escaped in a string, found byte 0x9"),
            ("{\"a\": [1 2]}", "s.json: line 1, column 10 (a): expected ',' or ']' after an array element, found '2'"),
            ("{\"a\" 1}", "s.json: line 1, column 6: expected ':' after the member name \"a\", found '1'"),
            ("", "s.json: line 1, column 1: expected a value, found the end of the text"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(message(text), expected, text)
        }
        let deep = message(String(repeating: "[", count: 300))
        XCTAssertTrue(deep.hasPrefix("s.json: line 1, column 257 ([0][0]"), deep)
        XCTAssertTrue(deep.hasSuffix("): expected at most 256 nested arrays and objects, found more"), deep)
        XCTAssertThrowsError(try JSONDocument.parse(Array("{\"a\": \"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8), file: "b.json")) { error in
            XCTAssertEqual("\(error)", "b.json: line 1, column 7 (a): expected UTF-8 text in a string, found invalid bytes")
        }
    }

    /// A key or value whose escapes decode to control characters is quoted escaped, so the
    /// error stays one line (found by the random edits below).
    func testControlCharactersInQuotedInputStayEscaped() {
        for text in [#"{"a\nb": 1}"#, #"{"a": 1, "a": 2, "x\u001b": 3}"#, #"{"k\t": [1,]}"#] {
            XCTAssertThrowsError(try StrictJSON.decode(Sample.self, from: Data(text.utf8), file: "c.json")) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("c.json: "), message)
                XCTAssertFalse(message.contains(where: { $0.isNewline || $0 == "\t" || $0 == "\u{1b}" }), message)
            }
        }
    }

    /// Random (seeded) edits of a valid text are either accepted or refused with one line
    /// naming the file; the parser never traps.
    func testRandomEditsNeverTrap() {
        var generator = SeededGenerator(seed: 17, stream: "json-edits")
        let bytes = Array(valid.utf8)
        let alphabet = Array("{}[],:\"\\0123456789.eE-+ntfrul \n".utf8) + [0x00, 0xFF]
        for _ in 0..<20000 {
            var edited = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<edited.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: edited[at] = alphabet.randomElement(using: &generator)!
                case 1: edited.remove(at: at)
                default: edited.insert(alphabet.randomElement(using: &generator)!, at: at)
                }
                if edited.isEmpty { edited = [0x20] }
            }
            do {
                _ = try StrictJSON.decode(Sample.self, from: Data(edited), file: "r.json")
            } catch {
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("r.json: "), message)
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }
}
