import FSBCore
import FSBData
@testable import FSBExperiments
import FSBHardware
import FSBNN
import Foundation
import XCTest

/// Compiling and running exported C modules in tests: the system C compiler (`cc`), the
/// harness `Tests/Fixtures/cexport/harness.c`, the shipped sample images.
enum CModuleFixtures {
    static let root = TrainerTests.repositoryRoot
    static let samples = root.appendingPathComponent("datasets/samples").path
    static let harness = root.appendingPathComponent("Tests/Fixtures/cexport/harness.c").path
    /// The warning flags, plus -pedantic.
    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

    /// Runs `arguments[0]` (looked up on PATH) with the rest; returns status and output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        // Output to files (pipes would need concurrent readers to never fill up).
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-run-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdout = try Data(contentsOf: outURL), stderr = try Data(contentsOf: errURL)
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Skips the test when there is no working `cc`.
    static func requireCompiler() throws {
        let probe = try? run(["cc", "--version"])
        if probe?.status != 0 { throw XCTSkip("no C compiler: `cc --version` failed (install gcc or clang to run the C module tests)") }
    }

    /// Compiles `harness.c` with the module in `folder` into `folder/<name>`; fails the
    /// test with the compiler's messages on any warning or error.
    static func compile(_ folder: String, name: String = "harness", flags: [String] = [],
                        file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let binary = (folder as NSString).appendingPathComponent(name)
        let result = try run(["cc"] + strictFlags + ["-O1"] + flags + ["-I", folder, "-o", binary, harness,
                                                                     (folder as NSString).appendingPathComponent("fsb_model.c")])
        XCTAssertEqual(result.status, 0, "cc failed:\n\(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "", "cc warned:\n\(result.stderr)", file: file, line: line)
        return binary
    }

    /// The first `count` test images of `dataset` from the shipped samples, raw.
    static func testImages(_ dataset: DatasetName, count: Int) throws -> (images: [[UInt8]], labels: [Int]) {
        let raw = try DatasetLoader.load(dataset, split: .test, root: URL(fileURLWithPath: samples), limit: count)
        return (IntegerModel.images(of: raw), raw.labels.map(Int.init))
    }

    /// Writes images one after the other to `folder/images.bin`.
    static func writeImages(_ images: [[UInt8]], in folder: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent("images.bin")
        try Data(images.flatMap { $0 }).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Parses the harness's lines `predicted score...` (after an optional `update N` line).
    static func parse(_ output: String) -> (update: Int?, rows: [(predicted: Int, scores: [Int32])]) {
        var update: Int?
        var rows: [(predicted: Int, scores: [Int32])] = []
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "update" { update = Int(fields[1]); continue }
            let numbers = fields.compactMap { Int64($0) }
            rows.append((Int(numbers[0]), numbers.dropFirst().map { Int32($0) }))
        }
        return (update, rows)
    }

    /// Calibration images of the test exports (few: the tests check agreement, not accuracy).
    static let calibration = 16

    /// Options of the test exports: the samples as data, few calibration images.
    static func options(signs: CModule.SignStorage = .packed, calibration: Int = CModuleFixtures.calibration) -> ModelExport.IntegerOptions {
        ModelExport.IntegerOptions(signs: signs, hardwareConfig: nil, calibration: calibration, dataRoot: samples)
    }

    /// Perturbs every trainable tensor and BatchNorm statistic of `network` (seeded), as a
    /// stand-in for more training: every parameter element times |1 + 0.3 g| (signs of
    /// latent weights and factors kept), running means shifted, variances scaled.
    /// `perElement: false` scales each parameter tensor by one such factor instead, which also
    /// keeps twn's ternary codes (its thresholds scale with the weights).
    static func perturb(_ network: Network, seed: UInt64, perElement: Bool = true) {
        var generator = SeededGenerator(seed: seed, stream: "perturb")
        for parameter in network.parameters {
            let tensorFactor = perElement ? 1 : abs(1 + 0.3 * generator.nextGaussian())
            for i in 0..<parameter.value.count {
                parameter.value[i] *= perElement ? abs(1 + 0.3 * generator.nextGaussian()) : tensorFactor
            }
        }
        var buffers = network.root.buffers
        for key in buffers.keys.sorted() {
            guard var tensor = buffers[key] else { continue }
            if key.hasSuffix(".running_mean") {
                for i in 0..<tensor.count { tensor[i] += 0.1 * generator.nextGaussian() }
            } else if key.hasSuffix(".running_var") {
                for i in 0..<tensor.count { tensor[i] *= 1 + 0.2 * abs(generator.nextGaussian()) }
            } else {
                continue
            }
            buffers[key] = tensor
        }
        network.root.buffers = buffers
    }

    /// Writes `network` (restored from `checkpoint`, then changed) as a new checkpoint.
    static func rewrite(_ checkpoint: String, network: Network, to path: String) throws {
        let original = try Checkpoint.read(from: URL(fileURLWithPath: checkpoint))
        let captured = CheckpointState.capture(config: original.header.config, network: network, optimizer: nil,
                                               progress: TrainingProgress())
        try captured.write(to: URL(fileURLWithPath: path))
    }

    /// Exports `modelJSON` (a tiny checkpoint, BatchNorm statistics from one forward) as C,
    /// compiles it, runs it on `count` test images and compares with the Swift model.
    @discardableResult
    static func exportAndCompare(_ test: XCTestCase, _ name: String, dataset: DatasetName, model modelJSON: String,
                                  signs: [CModule.SignStorage] = [.packed], count: Int = 12, viaCommand: Bool = false,
                                  flags: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try requireCompiler()
        let folder = try ExportFixtures.temporaryFolder(test)
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: name, dataset: dataset.rawValue, modelJSON: modelJSON, in: folder)
        let trained = try TrainedModel(path: checkpoint)
        let integer = try IntegerModel(model: trained, widths: .init(), calibration: calibration, dataRoot: samples)
        let (images, _) = try testImages(dataset, count: count)
        let expected = try integer.classify(images)
        XCTAssertEqual(expected.reduce(0) { $0 + $1.overflows }, 0, "the reference saturated", file: file, line: line)
        let imagesFile = try writeImages(images, in: folder.path)
        for (index, mode) in signs.enumerated() {
            let output = folder.appendingPathComponent("\(name)-\(mode.rawValue)").path
            // The command's path once (it calibrates again, on the same images), then the
            // module of the same integer model.
            let report = index == 0 && viaCommand
                ? try ModelExport.run(checkpoint: checkpoint, format: .c, output: output, options: options(signs: mode))
                : try ModelExport.writeC(integer, of: trained, signs: mode, to: output)
            XCTAssertEqual(report.files.map { ($0 as NSString).lastPathComponent }, ["fsb_model.h", "fsb_model.c"], file: file, line: line)
            try assertSelfContained(output, file: file, line: line)
            let binary = try compile(output, flags: flags, file: file, line: line)
            let result = try run([binary, imagesFile])
            XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
            let rows = parse(result.stdout).rows
            XCTAssertEqual(rows.count, images.count, "\(name) \(mode): rows", file: file, line: line)
            for (i, (row, reference)) in zip(rows, expected).enumerated() {
                XCTAssertEqual(row.scores, reference.scores, "\(name) \(mode): image \(i) scores", file: file, line: line)
                XCTAssertEqual(row.predicted, reference.predicted, "\(name) \(mode): image \(i) class", file: file, line: line)
            }
        }
        return checkpoint
    }

    /// Only `<stdint.h>`, `<stddef.h>`, `<string.h>` and the module's own header; no
    /// floating point, no heap.
    static func assertSelfContained(_ folder: String, file: StaticString, line: UInt) throws {
        for name in ["fsb_model.h", "fsb_model.c"] {
            let text = try String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)
            let includes = text.split(separator: "\n").filter { $0.hasPrefix("#include") }
            for include in includes {
                XCTAssertTrue(["#include <stdint.h>", "#include <stddef.h>", "#include <string.h>", "#include \"fsb_model.h\""]
                    .contains(String(include)), "\(name): \(include)", file: file, line: line)
            }
            for word in ["float", "double", "malloc", "free(", "printf"] {
                XCTAssertFalse(text.contains(word), "\(name) mentions \(word)", file: file, line: line)
            }
        }
    }
}
