import FSBCore
@testable import FSBExperiments
import XCTest

/// Run folders and checkpoints written by the format-1 code (the committed fixture) still
/// load, evaluate and resume, alone and as compare cells, to the metrics of the run that
/// was never interrupted.
final class FormatV1CompatibilityTests: XCTestCase {
    func testFormat1CheckpointsLoadAndEvaluateToTheRecordedAccuracy() throws {
        let cell = HardeningFixtures.formatV1Compare + "/runs/seed-1"
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: cell + "/last.fsbckpt"))
        XCTAssertEqual(checkpoint.readVersion, 1)
        XCTAssertNil(checkpoint.header.configSHA256)
        let evaluation = try CheckpointEvaluation(checkpointPath: cell + "/last.fsbckpt", split: .test, dataRoot: HardeningFixtures.dataRoot)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: cell + "/summary.json")))
        XCTAssertEqual(evaluation.result.accuracy, summary.finalTestAccuracy)
    }

    func testInterruptedFormat1RunResumesToTheUninterruptedMetrics() throws {
        let folder = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare + "/runs/seed-2", self)
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: folder + "/last.fsbckpt"))
        let note = try ResumeCheck.verify(checkpoint, folder: RunFolder(path: folder))
        XCTAssertEqual(note, "note: \(folder)/last.fsbckpt is checkpoint format 1, which holds no config hash; not checked that it belongs to the run in \(folder)")
        _ = try Trainer.resuming(options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true)).run()
        XCTAssertEqual(try HardeningFixtures.metricsWithoutTiming(folder + "/metrics.csv"),
                       try HardeningFixtures.metricsWithoutTiming(HardeningFixtures.formatV1UninterruptedMetrics))
        let rewritten = try Checkpoint.read(from: URL(fileURLWithPath: folder + "/last.fsbckpt"))
        XCTAssertEqual(rewritten.readVersion, Checkpoint.formatVersion)
        // The next resume compares the new checkpoint's hash with the config.json the old code wrote: they agree.
        XCTAssertNil(try ResumeCheck.verify(rewritten, folder: RunFolder(path: folder)))
    }

    func testFormat1CompareGridResumesItsPartialCell() throws {
        let output = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare, self)
        let specFolder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: specFolder, withIntermediateDirectories: true)
        try HardeningFixtures.specJSON.write(toFile: specFolder + "/spec.json", atomically: true, encoding: .utf8)
        let doneBefore = try Data(contentsOf: URL(fileURLWithPath: output + "/runs/seed-1/last.fsbckpt"))
        let rows = try CompareRunner(specFile: specFolder + "/spec.json", output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true).run()
        XCTAssertEqual(rows.map(\.status), ["done", "done"])
        XCTAssertEqual(try HardeningFixtures.metricsWithoutTiming(output + "/runs/seed-2/metrics.csv"),
                       try HardeningFixtures.metricsWithoutTiming(HardeningFixtures.formatV1UninterruptedMetrics))
        // The complete cell was skipped, its format-1 checkpoint untouched.
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output + "/runs/seed-1/last.fsbckpt")), doneBefore)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/runs/seed-2/error.txt"))
    }
}
