import FSBCore
import FSBData
@testable import FSBExperiments
import Foundation
import XCTest

/// Shared inputs of the hardening tests: a tiny MLP run on the shipped MNIST sample, the
/// committed format-1 fixture folder, and a rewriter for format-1 checkpoint files
/// (format 1 has no checksums, so its header can be edited to generate bad inputs).
enum HardeningFixtures {
    static let root = TrainerTests.repositoryRoot
    static let dataRoot = root.appendingPathComponent("datasets/samples").path
    static let formatV1Compare = root.appendingPathComponent("Tests/Fixtures/format-v1-compare").path
    static let formatV1UninterruptedMetrics = root.appendingPathComponent("Tests/Fixtures/format-v1-seed-2-uninterrupted-metrics.csv").path

    /// The `fsb` executable built next to this test bundle.
    static func fsbExecutable() throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
        let path = bundle.deletingLastPathComponent().appendingPathComponent("fsb").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("no fsb executable at \(path) (swift build builds it)")
            throw FSBError("missing \(path)")
        }
        return path
    }

    /// The config of the fixture grid's base (MLP 784-4-4-10 without BatchNorm, the default
    /// of the fsb that wrote the fixture; 200 images, 2 epochs).
    static let baseJSON = """
    {"name": "format-v1", "dataset": {"name": "mnist", "trainLimit": 200, "testLimit": 50},
     "model": {"architecture": "mlp", "hidden": [4, 4], "batchNorm": false, "method": "fsb"},
     "training": {"epochs": 2, "batchSize": 50, "evalBatchSize": 50, "threads": 1,
                  "optimizer": {"kind": "sgd", "learningRate": 0.05, "momentum": 0.9}}}
    """

    /// The spec that produced the fixture grid.
    static let specJSON = """
    {"name": "format-v1", "base": \(baseJSON), "axes": [{"path": "seed", "values": [1, 2]}]}
    """

    static func tinyConfig(seed: UInt64 = 1, epochs: Int = 2) throws -> ExperimentConfig {
        var config = try ExperimentConfig.decode(json: baseJSON)
        config.seed = seed
        config.training.epochs = epochs
        return config
    }

    /// A fresh folder under the temporary directory, removed after the test.
    static func temporaryFolder(_ test: XCTestCase) -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-harden-\(UUID().uuidString)")
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Copies a fixture folder to a temporary place (the fixture itself is never written).
    static func copy(_ source: String, _ test: XCTestCase) throws -> String {
        let target = temporaryFolder(test)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    /// Every entry of a folder, recursively, with sizes and contents' SHA-256: to show that
    /// nothing was written. The empty lock files (`DirectoryLock`) are left out.
    static func listing(_ folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        return enumerator.compactMap { item -> String? in
            guard let name = item as? String, !name.hasSuffix(DirectoryLock.fileName) else { return nil }
            if let data = FileManager.default.contents(atPath: folder + "/" + name) {
                return "\(name):\(SHA256.hexDigest([UInt8](data)))"
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? 0
            return "\(name):\(size)"
        }.sorted()
    }

    /// metrics.csv without the timing columns.
    static func metricsWithoutTiming(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",").dropLast(2).joined(separator: ",") }
    }

    /// Splits a format-1 file into its header JSON object and data section.
    static func splitFormatV1(_ data: Data) -> (header: [String: Any], payload: Data) {
        let bytes = [UInt8](data)
        let length = (0..<8).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
        let header = try! JSONSerialization.jsonObject(with: data.subdata(in: 20..<(20 + length))) as! [String: Any]
        return (header, data.subdata(in: (20 + length)..<data.count))
    }

    /// Builds a format-1 file from a header object and a data section.
    static func joinFormatV1(header: [String: Any], payload: Data) -> Data {
        let json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var data = Data(Checkpoint.magic)
        withUnsafeBytes(of: UInt32(1).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        return data + json + payload
    }
}
