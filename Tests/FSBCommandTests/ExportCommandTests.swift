import ArgumentParser
@testable import fsb
import Foundation
import XCTest

/// `fsb export`'s option rules, and its bad input through the command: one-line messages
/// naming the file or option, what was expected and what was found, and nothing written.
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

    private static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets/samples").path

    /// A fresh temporary folder, removed when the test ends.
    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-export-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock {
            _ = chmod(folder.path, 0o755)
            try? FileManager.default.removeItem(at: folder)
        }
        return folder
    }

    /// A tiny run of `fsb train` (an fsb MLP whose middle layer has seeded signs, 64 sample
    /// images, one epoch); returns its last checkpoint.
    private func train(_ folder: URL, _ name: String, _ extra: [String] = []) throws -> String {
        let config = folder.appendingPathComponent("mlp.json")
        try #"{"name": "mlp", "dataset": {"name": "mnist", "trainLimit": 64, "testLimit": 32}, "model": {"architecture": "mlp", "hidden": [8, 8]}, "training": {"epochs": 1, "threads": 1}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let run = folder.appendingPathComponent(name).path
        try TrainCommand.parse(["--config", config.path, "--data-root", Self.samples, "--output", run, "--quiet"] + extra).run()
        return run + "/last.fsbckpt"
    }

    /// The one-line error of `fsb export arguments` (nil when it succeeds).
    private func failure(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try ExportCommand.parse(arguments + ["--data-root", Self.samples]).perform()
            return nil
        } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", file: file, line: line)
            return text
        }
    }

    private func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testBadInputThroughTheCommandIsOneLineAndWritesNothing() throws {
        let folder = try temporaryFolder()
        let checkpoint = try train(folder, "a")
        let notes = folder.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: notes, atomically: true, encoding: .utf8)
        let missing = folder.appendingPathComponent("missing.fsbckpt").path
        let before = try contents(folder)
        let outputs = ["onnx": folder.appendingPathComponent("out/m.onnx").path, "c": folder.appendingPathComponent("out/m-c").path]

        // Not a checkpoint, a missing one: named, for every export (before any folder is made).
        for format in ["onnx", "c"] {
            XCTAssertEqual(failure(["--checkpoint", notes, "--format", format, "--output", outputs[format]!]),
                           "\(notes): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")
            XCTAssertEqual(failure(["--checkpoint", missing, "--format", format, "--output", outputs[format]!]),
                           "\(missing): cannot read checkpoint: no such file")
            XCTAssertEqual(failure(["--checkpoint", folder.path, "--format", format, "--output", outputs[format]!]),
                           "\(folder.path): expected an fsb checkpoint file (.fsbckpt), found a folder")
        }
        let update = folder.appendingPathComponent("out/u.fsbupd").path
        XCTAssertEqual(failure(["--update", "--base", notes, "--checkpoint", checkpoint, "--output", update]),
                       "\(notes): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")
        XCTAssertEqual(failure(["--update", "--base", checkpoint, "--checkpoint", notes, "--output", update]),
                       "\(notes): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")

        // An output under a file, an output file that is a folder, a C folder that is a file.
        let underFile = notes + "/m"
        XCTAssertEqual(failure(["--checkpoint", checkpoint, "--format", "onnx", "--output", underFile + ".onnx"]),
                       "--output \(underFile).onnx: cannot write: \(notes) is a file, not a folder")
        XCTAssertEqual(failure(["--checkpoint", checkpoint, "--format", "c", "--output", underFile]),
                       "--output \(underFile): cannot write: \(notes) is a file, not a folder")
        XCTAssertEqual(failure(["--update", "--base", checkpoint, "--checkpoint", checkpoint, "--output", underFile + ".fsbupd"]),
                       "--output \(underFile).fsbupd: cannot write: \(notes) is a file, not a folder")
        XCTAssertEqual(failure(["--checkpoint", checkpoint, "--format", "onnx", "--output", folder.path]),
                       "--output \(folder.path): expected a file path, found a folder")
        XCTAssertEqual(failure(["--update", "--base", checkpoint, "--checkpoint", checkpoint, "--output", folder.path]),
                       "--output \(folder.path): expected a file path, found a folder")
        XCTAssertEqual(failure(["--checkpoint", checkpoint, "--format", "c", "--output", notes]),
                       "--output \(notes): expected a folder, found a file")
        XCTAssertEqual(try contents(folder), before, "nothing written, no folder made, no temporary left")
        XCTAssertEqual(try String(contentsOfFile: notes, encoding: .utf8), "hello")

        // A missing output folder is made (as for every fsb --output), with the files only.
        XCTAssertNil(failure(["--checkpoint", checkpoint, "--format", "onnx", "--output", outputs["onnx"]!]))
        XCTAssertNil(failure(["--checkpoint", checkpoint, "--format", "c", "--output", outputs["c"]!]))
        XCTAssertEqual(try contents(folder.appendingPathComponent("out")), ["m-c", "m.onnx"])
        XCTAssertEqual(try contents(folder.appendingPathComponent("out/m-c")), ["fsb_model.c", "fsb_model.h"])
    }

    func testUpdatesBetweenOtherSignsOrArchitecturesAreRefusedByName() throws {
        let folder = try temporaryFolder()
        let old = try train(folder, "old"), otherSigns = try train(folder, "seed2", ["--seed", "2"])
        let otherArchitecture = try train(folder, "wider", ["--set", "model.hidden=[12, 8]"])
        let before = try contents(folder)
        let update = folder.appendingPathComponent("u.fsbupd").path
        XCTAssertEqual(failure(["--update", "--base", old, "--checkpoint", otherSigns, "--output", update]),
                       "--update: \(old) and \(otherSigns) have different signs (bwn and binaryconnect signs and twn ternary codes are retrained; fsb signs come from the model seed or a sign checkpoint); a device cannot get new signs from an update, export the new model instead")
        XCTAssertEqual(failure(["--update", "--base", old, "--checkpoint", otherArchitecture, "--output", update]),
                       "--update: \(old) and \(otherArchitecture) differ in architecture, widths or layer methods (first difference: \"tensor relu1 [8] activation\" vs \"tensor relu1 [12] activation\"); an update only carries new parameters")
        XCTAssertEqual(try contents(folder), before, "no update written")
        XCTAssertNil(failure(["--update", "--base", old, "--checkpoint", old, "--output", update]))
        XCTAssertTrue(FileManager.default.fileExists(atPath: update))
    }

    /// A folder the user cannot write (as root every folder is writable, so the check
    /// needs another user).
    func testAnUnwritableOutputFolderIsOneLineAndWritesNothing() throws {
        guard geteuid() != 0 else { throw XCTSkip("running as root, which can write into a read-only folder") }
        let folder = try temporaryFolder()
        let checkpoint = try train(folder, "a")
        let locked = folder.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(locked.path, 0o555), 0)
        defer { _ = chmod(locked.path, 0o755) }
        let onnx = locked.appendingPathComponent("m.onnx").path, c = locked.appendingPathComponent("m-c").path
        let message = failure(["--checkpoint", checkpoint, "--format", "onnx", "--output", onnx]) ?? ""
        XCTAssertTrue(message.hasPrefix("--output \(onnx): cannot write: cannot create the temporary file "), message)
        XCTAssertTrue(message.hasSuffix(": Permission denied"), message)
        XCTAssertEqual(failure(["--checkpoint", checkpoint, "--format", "c", "--output", c]),
                       "--output \(c): cannot create a folder in \(locked.path): Permission denied")
        XCTAssertEqual(try contents(locked), [])
    }
}
