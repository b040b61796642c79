import FSBCore
@testable import FSBExperiments
import FSBNN
import XCTest

/// `training.precision`: decoding, the refusal on CPUs without bf16 instructions, and bf16
/// runs end to end (train, resume, evaluate in either precision) on the portable path,
/// which every CPU has (`FSB_BF16_PATH=portable`), so CI exercises the whole plumbing.
final class PrecisionTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets/samples/mnist").path

    private func config(precision: String?, epochs: Int = 2) throws -> ExperimentConfig {
        let field = precision.map { #", "precision": "\#($0)""# } ?? ""
        return try ExperimentConfig.decode(json: """
        {"name": "tiny", "seed": 3,
         "dataset": {"name": "mnist", "path": "\(Self.samples)", "trainLimit": 300, "testLimit": 100},
         "model": {"architecture": "lenet5", "batchNorm": true, "method": "fsb"},
         "training": {"epochs": \(epochs), "batchSize": 64, "evalBatchSize": 50, "threads": 2,
                      "optimizer": {"kind": "adam", "learningRate": 0.002}\(field)}}
        """)
    }

    private func temporaryFolder() -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-precision-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    /// Runs `body` with FSB_BF16_PATH set to `value` (restored afterwards).
    private func withForcedPath<T>(_ value: String?, _ body: () throws -> T) rethrows -> T {
        let saved = ProcessInfo.processInfo.environment[PrecisionResolution.pathVariable]
        if let value { setenv(PrecisionResolution.pathVariable, value, 1) } else { unsetenv(PrecisionResolution.pathVariable) }
        defer {
            if let saved { setenv(PrecisionResolution.pathVariable, saved, 1) } else { unsetenv(PrecisionResolution.pathVariable) }
        }
        return try body()
    }

    func testDecodingDefaultsToFP32AndNamesThePathOfABadValue() throws {
        XCTAssertEqual(try config(precision: nil).training.precision, .fp32)
        XCTAssertEqual(try config(precision: "bf16").training.precision, .bf16)
        XCTAssertThrowsError(try config(precision: "fp16")) { error in
            XCTAssertTrue("\(error)".contains("training.precision"), "\(error)")
            XCTAssertTrue("\(error)".contains("fp16"), "\(error)")
        }
        let resolved = try config(precision: "bf16").resolvedJSON()
        XCTAssertTrue(resolved.contains(#""precision" : "bf16""#), resolved)
    }

    func testBF16IsRefusedWithoutTheInstructionsUnlessAPathIsForced() throws {
        XCTAssertEqual(try PrecisionResolution.resolve(.fp32, field: "training.precision", environment: [:]), .float32)
        XCTAssertEqual(try PrecisionResolution.resolve(.bf16, field: "f", environment: ["FSB_BF16_PATH": "portable"]),
                       .bfloat16(.portable))
        XCTAssertThrowsError(try PrecisionResolution.resolve(.bf16, field: "f", environment: ["FSB_BF16_PATH": "fast"])) { error in
            XCTAssertTrue("\(error)".contains("FSB_BF16_PATH: expected one of portable, avx512-bf16, amx, got \"fast\""), "\(error)")
        }
        if let path = BFloat16GEMM.hardwarePath {
            XCTAssertEqual(try PrecisionResolution.resolve(.bf16, field: "training.precision", environment: [:]), .bfloat16(path))
            throw XCTSkip("this CPU has \(path.rawValue): the refusal on CPUs without bf16 instructions is not reachable here")
        }
        XCTAssertThrowsError(try PrecisionResolution.resolve(.bf16, field: "run.json: training.precision", environment: [:])) { error in
            XCTAssertTrue("\(error)".hasPrefix("run.json: training.precision: bf16 needs AMX-BF16 or AVX512-BF16"), "\(error)")
        }
        for path in BFloat16GEMM.Path.allCases where !path.isAvailable {
            XCTAssertThrowsError(try PrecisionResolution.resolve(.bf16, field: "f", environment: ["FSB_BF16_PATH": path.rawValue]))
        }
    }

    /// A bf16 run trains, records its precision, resumes bit for bit, and its checkpoint
    /// evaluates in both precisions to nearly the same accuracy.
    func testBF16RunTrainsResumesAndEvaluatesInEitherPrecision() throws {
        try withForcedPath("portable") {
            let bf16 = try config(precision: "bf16")
            let straight = temporaryFolder(), interrupted = temporaryFolder()
            let summary = try Trainer(config: bf16, options: .init(runDirectory: straight, quiet: true)).run()
            XCTAssertEqual(summary.precision, "bf16 (portable)")
            let fp32 = try Trainer(config: try config(precision: "fp32"), options: .init(runDirectory: temporaryFolder(), quiet: true)).run()
            XCTAssertGreaterThan(summary.finalTestAccuracy, 25, "bf16 LeNet-5 should learn (10 steps; chance is 10%)")
            XCTAssertEqual(summary.finalTestAccuracy, fp32.finalTestAccuracy, accuracy: 10, "bf16 vs fp32 after the same 10 steps")
            XCTAssertNotEqual(summary.finalTestLoss, fp32.finalTestLoss, "bf16 must not give the fp32 bits")
            let summaryJSON = try String(contentsOfFile: straight + "/summary.json", encoding: .utf8)
            XCTAssertTrue(summaryJSON.contains("bf16 (portable)"), summaryJSON)

            XCTAssertThrowsError(try Trainer(config: bf16, options: .init(runDirectory: interrupted, quiet: true,
                                                                           interruptAfterSteps: 7)).run())
            InterruptFlag.reset()
            let resumed = try Trainer.resuming(options: .init(runDirectory: interrupted, quiet: true)).run()
            XCTAssertEqual(resumed.finalTestAccuracy, summary.finalTestAccuracy)
            XCTAssertEqual(resumed.finalTestLoss, summary.finalTestLoss)

            let checkpoint = straight + "/last.fsbckpt"
            let asTrained = try CheckpointEvaluation(checkpointPath: checkpoint, split: .test, dataRoot: nil)
            XCTAssertEqual(asTrained.precision, .bfloat16(.portable))
            XCTAssertEqual(asTrained.result.accuracy, summary.finalTestAccuracy)
            let inFP32 = try CheckpointEvaluation(checkpointPath: checkpoint, split: .test, dataRoot: nil, precision: .fp32)
            XCTAssertEqual(inFP32.precision, .float32)
            XCTAssertLessThanOrEqual(abs(inFP32.result.correct - asTrained.result.correct), 3)
        }
    }

    func testFP32CheckpointEvaluatesInBF16() throws {
        let folder = temporaryFolder()
        let summary = try Trainer(config: try config(precision: nil, epochs: 1), options: .init(runDirectory: folder, quiet: true)).run()
        XCTAssertEqual(summary.precision, "fp32")
        try withForcedPath("portable") {
            let evaluation = try CheckpointEvaluation(checkpointPath: folder + "/last.fsbckpt", split: .test, dataRoot: nil, precision: .bf16)
            XCTAssertEqual(evaluation.precision, .bfloat16(.portable))
            XCTAssertLessThanOrEqual(abs(evaluation.result.accuracy - summary.finalTestAccuracy), 3)
            XCTAssertTrue(evaluation.renderText().contains("precision: bf16 (portable)"))
        }
    }

    /// The folder of an fp32 run of `epochs` epochs interrupted after its second step.
    private func fp32RunInterruptedAfterTwoSteps(epochs: Int) throws -> String {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try Trainer(config: try config(precision: "fp32", epochs: epochs),
                                         options: .init(runDirectory: folder, quiet: true, interruptAfterSteps: 2)).run())
        InterruptFlag.reset()
        return folder
    }

    /// An fp32 run interrupted in epoch 1 resumes in bf16 and, interrupted again, back in
    /// fp32: config.json follows the switch (so the next resume's check passes), each epoch's
    /// row of metrics.csv names its precision, and the summary names both in order.
    func testResumeSwitchesPrecisionBothWays() throws {
        try withForcedPath("portable") {
            let folder = try fp32RunInterruptedAfterTwoSteps(epochs: 3)
            XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: folder, quiet: true, interruptAfterSteps: 7,
                                                                     precision: .bf16)).run())
            InterruptFlag.reset()
            XCTAssertEqual(try ExperimentConfig.load(path: folder + "/config.json").training.precision, .bf16)
            let summary = try Trainer.resuming(options: .init(runDirectory: folder, quiet: true, precision: .fp32)).run()
            XCTAssertEqual(try ExperimentConfig.load(path: folder + "/config.json").training.precision, .fp32)
            let rows = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(rows[0], "epoch,lr,train_loss,train_acc,test_loss,test_acc,precision,epoch_seconds,images_per_second")
            // 5 steps per epoch: steps 1-2 fp32, 3-7 bf16, 8-15 fp32.
            XCTAssertEqual(rows.dropFirst().map { $0.split(separator: ",")[6] },
                           ["fp32 + bf16 (portable)", "bf16 (portable) + fp32", "fp32"])
            XCTAssertEqual(summary.precision, "fp32 + bf16 (portable)")
        }
    }

    /// A crash between `--precision`'s rewrite of config.json and the next checkpoint leaves
    /// the two differing in precision only: the resume is accepted and keeps config.json's.
    func testResumeAcceptsAPrecisionOnlyDifferenceAndKeepsConfigJSONs() throws {
        try withForcedPath("portable") {
            let folder = try fp32RunInterruptedAfterTwoSteps(epochs: 1)
            var edited = try ExperimentConfig.load(path: folder + "/config.json")
            edited.training.precision = .bf16
            try AtomicFile.write(try edited.resolvedJSON(), to: URL(fileURLWithPath: folder + "/config.json"))
            do {
                let resumed = try Trainer.resuming(options: .init(runDirectory: folder, quiet: true))
                XCTAssertEqual(resumed.precision, .bfloat16(.portable))
            }  // the trainer, and with it the folder's lock, ends here
            edited.training.batchSize = 32
            try AtomicFile.write(try edited.resolvedJSON(), to: URL(fileURLWithPath: folder + "/config.json"))
            XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: folder, quiet: true))) { error in
                XCTAssertTrue("\(error)".contains("training.batchSize"), "\(error)")
            }
        }
    }
}
