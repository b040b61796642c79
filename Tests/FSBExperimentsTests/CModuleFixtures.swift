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
    static func perturb(_ network: Network, seed: UInt64) {
        var generator = SeededGenerator(seed: seed, stream: "perturb")
        for parameter in network.parameters {
            for i in 0..<parameter.value.count { parameter.value[i] *= abs(1 + 0.3 * generator.nextGaussian()) }
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
}
