import ArgumentParser
@testable import fsb
import XCTest

/// `fsb export`'s option rules: one-line messages before any work is done.
final class ExportCommandTests: XCTestCase {
    private func message(_ arguments: [String]) -> String? {
        do {
            _ = try ExportCommand.parse(arguments)
            return nil
        } catch {
            return ExportCommand.message(for: error)
        }
    }

    func testOptionRules() {
        let base = ["--checkpoint", "a.fsbckpt", "--output", "out"]
        XCTAssertEqual(message(base + ["--format", "tflite"]), "--format: expected one of onnx, c, found \"tflite\"")
        XCTAssertEqual(message(base), "give --format onnx or --format c (or --update)")
        XCTAssertEqual(message(base + ["--format", "c", "--signs", "lfsr"]), "--signs: expected packed or regenerate, found \"lfsr\"")
        XCTAssertEqual(message(base + ["--format", "onnx", "--signs", "packed"]), "--signs, --hardware and --calibration are for --format c and --update")
        XCTAssertEqual(message(base + ["--format", "c", "--base", "b.fsbckpt"]), "--base is for --update")
        XCTAssertEqual(message(base + ["--update"]), "--update needs --base OLD.fsbckpt")
        XCTAssertEqual(message(base + ["--update", "--base", "b", "--format", "c"]), "--update writes an update; leave out --format")
        XCTAssertEqual(message(base + ["--format", "c", "--calibration", "0"]), "--calibration must be in 1...100000, got 0")
        XCTAssertNil(message(base + ["--format", "c", "--signs", "regenerate", "--calibration", "64"]))
        XCTAssertNil(message(base + ["--update", "--base", "b.fsbckpt", "--hardware", "hw.json"]))
        for line in [message(base + ["--format", "tflite"]) ?? ""] { XCTAssertFalse(line.contains("\n")) }
    }
}
