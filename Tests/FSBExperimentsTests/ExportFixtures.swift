import FSBCore
@testable import FSBExperiments
import FSBNN
import Foundation
import XCTest

/// Checkpoints for the export tests, made without training: a network built from a config,
/// one training-mode forward on seeded random images (so BatchNorm running statistics are
/// not the defaults), then captured and written like a real run's.
enum ExportFixtures {
    /// A fresh temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// Writes the checkpoint of `modelJSON` (the config's `model` section) on `dataset` to
    /// `folder/<name>.fsbckpt`; returns its path and the network it holds.
    static func checkpoint(name: String, dataset: String, modelJSON: String, in folder: URL,
                           datasetPath: String? = nil, seed: Int = 5) throws -> (path: String, network: Network) {
        let pathField = datasetPath.map { #", "path": "\#($0)""# } ?? ""
        let config = try ExperimentConfig.decode(json: """
        {"name": "\(name)", "seed": \(seed), "dataset": {"name": "\(dataset)"\(pathField)}, "model": \(modelJSON)}
        """)
        let network = try ModelBuilder.build(config)
        var generator = SeededGenerator(seed: 9, stream: "export-test-images")
        var images = Tensor(shape: [4] + network.inputShape)
        for i in 0..<images.count { images[i] = generator.nextGaussian() }
        _ = network.forward(images, training: true)
        let checkpoint = CheckpointState.capture(config: config, network: network, optimizer: nil, progress: TrainingProgress())
        let path = folder.appendingPathComponent("\(name).fsbckpt").path
        try checkpoint.write(to: URL(fileURLWithPath: path))
        return (path, network)
    }
}
