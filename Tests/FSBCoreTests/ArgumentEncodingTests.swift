@testable import FSBCore
import XCTest

/// Arguments that are not UTF-8 are found at their first bad byte, and valid UTF-8 of every
/// length passes; random byte strings are judged as Swift's own UTF-8 validation judges them.
final class ArgumentEncodingTests: XCTestCase {
    func testValidTextOfEveryEncodedLengthPasses() {
        for text in ["", "runs/fsb1", "caf\u{E9}", "\u{20AC}uro", "\u{1F600}", "\u{10FFFF}", "\u{D7FF}\u{E000}"] {
            XCTAssertNil(ArgumentEncoding.firstInvalidByte(Array(text.utf8)), text)
        }
    }

    func testFirstInvalidByteIsFoundWhereDecodingFails() {
        let cases: [([UInt8], Int)] = [
            ([0xFF, 0xFE], 0),                    // never a UTF-8 byte
            ([0x61, 0x80], 1),                    // continuation without a lead
            ([0x61, 0xC3], 1),                    // cut short: the lead byte is named
            ([0xC3, 0x28], 1),                    // lead followed by ASCII
            ([0xC0, 0x80], 0),                    // overlong NUL
            ([0xE0, 0x80, 0x80], 1),              // overlong 3-byte form
            ([0xED, 0xA0, 0x80], 1),              // UTF-16 surrogate U+D800
            ([0xF4, 0x90, 0x80, 0x80], 1),        // above U+10FFFF
            ([0xF0, 0x9F, 0x98], 0),              // 4-byte form cut short
            ([0x2F, 0x74, 0x6D, 0x70, 0x2F, 0xE2, 0x82, 0xAC, 0xFF], 8),
        ]
        for (bytes, offset) in cases {
            XCTAssertEqual(ArgumentEncoding.firstInvalidByte(bytes), offset, "\(bytes)")
        }
    }

    func testAgreesWithSwiftsValidationOnRandomBytes() {
        var generator = SeededGenerator(seed: 7)
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0x9F, 0xA0, 0x90, 0x8F]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let valid = String(validating: bytes, as: UTF8.self) != nil
            XCTAssertEqual(ArgumentEncoding.firstInvalidByte(bytes) == nil, valid, "\(bytes)")
        }
    }

    func testProblemNamesTheArgumentTheByteAndItsOffset() {
        let problem = ArgumentEncoding.firstProblem(in: [Array("fsb".utf8), Array("--output".utf8), [0x72, 0xFF, 0xFE]])
        XCTAssertEqual(problem, ArgumentEncoding.Problem(argument: 2, byteOffset: 1, byte: 0xFF))
        XCTAssertEqual(problem?.message(naming: "argument 2"), "argument 2: expected UTF-8 text (paths and names are UTF-8 in fsb), found byte 0xFF at byte offset 1 that is not UTF-8; rename the file or folder, or pass a UTF-8 path to it (e.g. a symbolic link)")
        XCTAssertNil(ArgumentEncoding.firstProblem(in: [Array("fsb".utf8), Array("train".utf8)]))
        XCTAssertEqual(ArgumentEncoding.refusal(for: [Array("fsb".utf8), Array("--output".utf8), [0x72, 0xFF]]),
                       "argument 2 (the value of --output): " + problem!.message(naming: "").dropFirst(2))
        XCTAssertEqual(ArgumentEncoding.refusal(for: [Array("fsb".utf8), [0xC0, 0x80]])?.hasPrefix("argument 1: expected UTF-8"), true)
        XCTAssertNil(ArgumentEncoding.refusal(for: [Array("fsb".utf8)]))
    }
}
