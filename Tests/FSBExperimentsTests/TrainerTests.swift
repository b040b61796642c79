import FSBCore
@testable import FSBExperiments
import FSBNN
import XCTest

/// Training runs on a tiny slice of the shipped MNIST sample: determinism, interrupt and
/// bit-exact resume, checkpoints refused with clear messages, eval equal to the run.
final class TrainerTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func tinyConfig(method: String = "fsb", epochs: Int = 2, extra: String = "") throws -> ExperimentConfig {
        let samples = Self.repositoryRoot.appendingPathComponent("datasets/samples/mnist").path
        return try ExperimentConfig.decode(json: """
        {"name": "tiny", "seed": 7,
         "dataset": {"name": "mnist", "path": "\(samples)", "trainLimit": 300, "testLimit": 100},
         "model": {"architecture": "lenet5", "batchNorm": true, "dropout": 0.2, "method": "\(method)"},
         "training": {"epochs": \(epochs), "batchSize": 64, "evalBatchSize": 50, "threads": 2,
                      "optimizer": {"kind": "sgd", "learningRate": 0.05, "momentum": 0.9, "weightDecay": 0.0005},
                      "schedule": {"kind": "cosine", "warmupEpochs": \(epochs > 1 ? 1 : 0)}\(extra)}}
        """)
    }

    private func temporaryFolder() -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-test-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// metrics.csv without the timing columns (the only ones allowed to differ).
    private func metricsWithoutTiming(_ folder: String) throws -> [String] {
        let text = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: ",").dropLast(2).joined(separator: ",") }
    }

    func testSameSeedGivesIdenticalMetrics() throws {
        let config = try tinyConfig()
        let first = temporaryFolder(), second = temporaryFolder()
        _ = try Trainer(config: config, options: .init(runDirectory: first, quiet: true)).run()
        _ = try Trainer(config: config, options: .init(runDirectory: second, quiet: true)).run()
        XCTAssertEqual(try metricsWithoutTiming(first), try metricsWithoutTiming(second))
        XCTAssertEqual(try metricsWithoutTiming(first).count, 3)
    }

    func testInterruptAndResumeEqualsUninterruptedRun() throws {
        for method in ["fsb", "bwn", "twn"] {
            let config = try tinyConfig(method: method, epochs: 2, extra: #", "labelSmoothing": 0.1"#)
            let straight = temporaryFolder(), interrupted = temporaryFolder()
            let reference = try Trainer(config: config, options: .init(runDirectory: straight, quiet: true)).run()
            // 300 images / 64 = 5 steps per epoch: stop mid-epoch 1 (after step 3) and again mid-epoch 2 (step 7).
            for stop in [3, 7] {
                XCTAssertThrowsError(try {
                    let trainer = FileManager.default.fileExists(atPath: interrupted + "/last.fsbckpt")
                        ? try Trainer.resuming(options: .init(runDirectory: interrupted, quiet: true, interruptAfterSteps: stop))
                        : try Trainer(config: config, options: .init(runDirectory: interrupted, quiet: true, interruptAfterSteps: stop))
                    _ = try trainer.run()
                }()) { error in XCTAssertTrue(error is TrainingInterrupted, "\(error)") }
            }
            InterruptFlag.reset()
            let resumed = try Trainer.resuming(options: .init(runDirectory: interrupted, quiet: true)).run()
            XCTAssertEqual(try metricsWithoutTiming(straight), try metricsWithoutTiming(interrupted), method)
            XCTAssertEqual(resumed.finalTestAccuracy, reference.finalTestAccuracy)
            XCTAssertEqual(resumed.finalTestLoss, reference.finalTestLoss)
            let a = try Checkpoint.read(from: URL(fileURLWithPath: straight + "/last.fsbckpt"))
            let b = try Checkpoint.read(from: URL(fileURLWithPath: interrupted + "/last.fsbckpt"))
            XCTAssertEqual(a.tensors, b.tensors, "\(method): final weights, buffers and optimizer state must be identical")
        }
    }

    func testEvalReproducesTheRecordedFinalAccuracy() throws {
        let folder = temporaryFolder()
        let summary = try Trainer(config: try tinyConfig(epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        let evaluation = try CheckpointEvaluation(checkpointPath: folder + "/last.fsbckpt", split: .test, dataRoot: nil)
        XCTAssertEqual(evaluation.result.accuracy, summary.finalTestAccuracy)
        XCTAssertEqual(EpochMetrics.format(evaluation.result.loss, 6), EpochMetrics.format(summary.finalTestLoss, 6))
        XCTAssertEqual(evaluation.result.confusion.flatMap { $0 }.reduce(0, +), 100)
        XCTAssertNil(evaluation.logits)
        XCTAssertThrowsError(try evaluation.writeLogits(to: folder + "/never.csv"))

        // --logits: one row per image, predictions that add up to the accuracy, exact floats.
        let withLogits = try CheckpointEvaluation(checkpointPath: folder + "/last.fsbckpt", split: .test, dataRoot: nil,
                                                  keepLogits: true)
        XCTAssertEqual(withLogits.result, evaluation.result)
        try withLogits.writeLogits(to: folder + "/logits.csv")
        let rows = try String(contentsOfFile: folder + "/logits.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",") }
        XCTAssertEqual(rows[0].map(String.init), ["index", "label", "predicted"] + (0..<10).map { "logit_\($0)" })
        XCTAssertEqual(rows.count, 101)
        var correct = 0
        for (index, row) in rows.dropFirst().enumerated() {
            XCTAssertEqual(Int(row[0]), index)
            XCTAssertEqual(Int32(row[1]), withLogits.labels[index])
            let values = row[3...].map { Float(String($0))! }
            XCTAssertEqual(values, Array(withLogits.logits![(index * 10)..<((index + 1) * 10)]), "9 digits round-trip float32")
            XCTAssertEqual(Int(row[2]), values.firstIndex(of: values.max()!))
            if row[1] == row[2] { correct += 1 }
        }
        XCTAssertEqual(correct, evaluation.result.correct)
    }

    func testEvalOnTheSignPathMatchesTheGEMMPath() throws {
        let folder = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(epochs: 1, extra: ""), options: .init(runDirectory: folder, quiet: true)).run()
        let plain = try CheckpointEvaluation(checkpointPath: folder + "/last.fsbckpt", split: .test, dataRoot: nil)
        let signs = try CheckpointEvaluation(checkpointPath: folder + "/last.fsbckpt", split: .test, dataRoot: nil, signPath: true)
        XCTAssertEqual(signs.signPathLayers.map(\.name), ["conv2"])
        XCTAssertTrue(plain.signPathLayers.isEmpty)
        XCTAssertLessThanOrEqual(abs(signs.result.correct - plain.result.correct), 1)
        XCTAssertEqual(signs.result.loss, plain.result.loss, accuracy: 1e-4 * max(1, abs(plain.result.loss)))
        XCTAssertTrue(signs.renderText().contains("FSB sign path on conv2 ("), signs.renderText())

        let fp = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(method: "fp", epochs: 1), options: .init(runDirectory: fp, quiet: true)).run()
        XCTAssertThrowsError(try CheckpointEvaluation(checkpointPath: fp + "/last.fsbckpt", split: .test, dataRoot: nil, signPath: true)) { error in
            XCTAssertTrue("\(error)".contains("the sign path needs fsb convolutions with kernel granularity; this fp model has none"), "\(error)")
        }
    }

    func testCheckpointOfWrongVersionIsRefused() throws {
        let folder = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/last.fsbckpt"))
        bytes[8] = 9
        let path = folder + "/v9.fsbckpt"
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(from: URL(fileURLWithPath: path))) { error in
            XCTAssertEqual("\(error)", "\(path): byte 8: checkpoint format version 9 is not supported (this fsb reads versions 1 to 2)")
        }
        var garbage = bytes
        garbage[0] = 0x50
        try garbage.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(from: URL(fileURLWithPath: path))) { error in
            XCTAssertTrue("\(error)".contains("not an fsb checkpoint: byte 0 expected magic"), "\(error)")
        }
        bytes[8] = 2
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(from: URL(fileURLWithPath: path))) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testCheckpointOfWrongShapeIsRefused() throws {
        let folder = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        var checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: folder + "/last.fsbckpt"))
        checkpoint.header.config.model.widthMultiplier = 2
        let path = folder + "/wide.fsbckpt"
        try checkpoint.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CheckpointEvaluation(checkpointPath: path, split: .test, dataRoot: nil)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("\(path): checkpoint does not match the model: tensor"), message)
            XCTAssertTrue(message.contains("the model expects"), message)
        }
    }

    func testRefusesToOverwriteARun() throws {
        let folder = temporaryFolder()
        let config = try tinyConfig(epochs: 1)
        _ = try Trainer(config: config, options: .init(runDirectory: folder, quiet: true)).run()
        XCTAssertThrowsError(try Trainer(config: config, options: .init(runDirectory: folder, quiet: true))) { error in
            XCTAssertTrue("\(error)".contains("already holds a run"), "\(error)")
        }
    }

    func testRunFolderHoldsEveryFile() throws {
        let folder = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        for file in ["config.json", "profile.txt", "profile.csv", "metrics.csv", "summary.csv", "summary.json", "last.fsbckpt", "best.fsbckpt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/" + file), file)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
        let header = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")[0]
        XCTAssertEqual(header, "epoch,lr,train_loss,train_acc,test_loss,test_acc,precision,epoch_seconds,images_per_second")
        // The resolved config decodes back to the same config.
        let resolved = try ExperimentConfig.load(path: folder + "/config.json")
        XCTAssertEqual(resolved, try tinyConfig(epochs: 1))
    }

    func testResumeAloneFindsTheRecordedDataRootAndRecordsThreads() throws {
        let samples = Self.repositoryRoot.appendingPathComponent("datasets/samples").path
        var config = try tinyConfig(epochs: 1)
        config.dataset.path = nil
        config.training.threads = nil
        let folder = temporaryFolder()
        XCTAssertThrowsError(try Trainer(config: config, options: .init(runDirectory: folder, dataRoot: samples, quiet: true,
                                                                        interruptAfterSteps: 2)).run()) { error in
            XCTAssertTrue(error is TrainingInterrupted, "\(error)")
        }
        InterruptFlag.reset()
        let invocation = try XCTUnwrap(RunInvocation.read(RunFolder(path: folder).invocation))
        XCTAssertEqual(invocation.dataRoot, samples)
        XCTAssertEqual(invocation.dataRootOrigin, "--data-root")
        let summary = try Trainer.resuming(options: .init(runDirectory: folder, quiet: true)).run()
        XCTAssertEqual(summary.epochs, 1)
        let resolved = try ExperimentConfig.load(path: folder + "/config.json")
        XCTAssertEqual(resolved.training.threads, Kernels.threadCount)
    }

    func testMinimalConfigTrainsOnTheSample() throws {
        // Only the required fields (plus where the sample is): the defaults must train. One
        // epoch instead of the default 10 keeps the test short (about 88%; the full 10-epoch
        // defaults reach about 95% for fsb and 97% for fp, see README), while the old defaults
        // (SGD 0.1, no BatchNorm) ended at chance level.
        let samples = Self.repositoryRoot.appendingPathComponent("datasets/samples/mnist").path
        for method in ["fsb", "fp"] {
            var config = try ExperimentConfig.decode(json: #"{"dataset": {"name": "mnist", "path": "\#(samples)"}, "model": {"architecture": "lenet5", "method": "\#(method)"}}"#)
            config.training.epochs = 1
            let folder = temporaryFolder()
            let summary = try Trainer(config: config, options: .init(runDirectory: folder, quiet: true)).run()
            XCTAssertGreaterThan(summary.finalTestAccuracy, 85, method)
            let metrics = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")[1].split(separator: ",")
            XCTAssertNil(LossStallCheck.warning(epochOneTrainLoss: Double(metrics[2])!, trainAccuracy: Double(metrics[3])!, classCount: 10, steps: 40), method)
        }
    }

    func testStalledLossIsReported() {
        let stalled = LossStallCheck.warning(epochOneTrainLoss: 2.3011, trainAccuracy: 11.2, classCount: 10, steps: 40)
        XCTAssertEqual(stalled, "warning: after epoch 1 the training loss is 2.3011 (accuracy 11.20%), not below the loss of an untrained network (ln 10 = 2.3026): training is not making progress; try a lower training.optimizer.learningRate, model.batchNorm true, or another training.optimizer.kind")
        XCTAssertNotNil(LossStallCheck.warning(epochOneTrainLoss: 3.7, trainAccuracy: 22, classCount: 10, steps: 40))
        XCTAssertNil(LossStallCheck.warning(epochOneTrainLoss: 0.68, trainAccuracy: 81, classCount: 10, steps: 40))
        XCTAssertNil(LossStallCheck.warning(epochOneTrainLoss: 2.3011, trainAccuracy: 11.2, classCount: 10, steps: 5)) // too short to judge
    }

    func testProfileWithoutTrainingEqualsTheRunsProfile() throws {
        let folder = temporaryFolder()
        _ = try Trainer(config: try tinyConfig(epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        let text = try String(contentsOfFile: folder + "/profile.txt", encoding: .utf8)
        let csv = try String(contentsOfFile: folder + "/profile.csv", encoding: .utf8)
        XCTAssertEqual(try ModelSummary.profile(checkpointFile: folder + "/last.fsbckpt").render(), text)
        XCTAssertEqual(try ModelSummary.profile(configFile: folder + "/config.json").csv(), csv)
        let bwn = try ModelSummary.profile(configFile: folder + "/config.json", overrides: [try ConfigOverride(parsing: "model.method=bwn")])
        XCTAssertNotEqual(bwn.render(), text)
        XCTAssertTrue(bwn.render().split(separator: "\n").contains { $0.hasPrefix("conv2 ") && $0.contains(" bwn ") }, bwn.render())
    }

    /// twn counts one add/sub per non-zero ternary weight, so the profile of a checkpoint is
    /// that of the trained weights (not of the initial ones in the run's profile.txt).
    func testProfileOfATernaryCheckpointCountsItsTrainedZeros() throws {
        let folder = temporaryFolder()
        let config = try tinyConfig(method: "twn", epochs: 1)
        _ = try Trainer(config: config, options: .init(runDirectory: folder, quiet: true)).run()
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: folder + "/last.fsbckpt"))
        let trained = try ModelBuilder.build(config)
        try CheckpointState.restore(checkpoint, into: trained, optimizer: nil, file: "last.fsbckpt")
        let profile = try ModelSummary.profile(checkpointFile: folder + "/last.fsbckpt")
        XCTAssertEqual(profile.render(), trained.profile().render())
        XCTAssertNotEqual(profile.render(), try String(contentsOfFile: folder + "/profile.txt", encoding: .utf8))
        let conv2 = try XCTUnwrap(trained.weightParameterizations.first { $0.layerName == "conv2" }?.weight)
        conv2.refresh()
        let nonzeros = conv2.effectiveWeight.storage.filter { $0 != 0 }.count
        XCTAssertEqual(profile.rows.first { $0.name == "conv2" }?.addsubs, nonzeros * 10 * 10)
    }
}

