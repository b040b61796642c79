import FSBCore
@testable import FSBExperiments
import XCTest

/// `fsb compare --status`: each cell's state read from its folder (done, in progress,
/// failed, not started), in grid order with the axes' labels, writing nothing.
final class CompareStatusTests: XCTestCase {
    /// A 3 x 2 grid of the tiny MLP (4 steps per epoch, 2 epochs) with one cell of each state.
    private func gridWithEveryState() throws -> (runner: CompareRunner, spec: String, output: String) {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let spec = folder + "/spec.json"
        try """
        {"name": "status", "base": \(HardeningFixtures.baseJSON),
         "axes": [{"path": "model.method", "values": ["bwn", "fsb", "fp"], "labels": ["binary weights", "fixed signs", "full precision"]},
                  {"path": "seed", "values": [1, 2]}]}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let output = folder + "/out"
        let runner = try CompareRunner(specFile: spec, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        let cells = try runner.cells()
        // bwn seed 1 finished; fsb seed 1 stopped after step 6 (epoch 1 done, 2 batches of epoch 2).
        _ = try Trainer(config: cells[0].config, options: .init(runDirectory: runner.folder(of: cells[0]).path,
                                                                dataRoot: HardeningFixtures.dataRoot, quiet: true)).run()
        XCTAssertThrowsError(try Trainer(config: cells[2].config, options: .init(runDirectory: runner.folder(of: cells[2]).path,
                                                                                dataRoot: HardeningFixtures.dataRoot, quiet: true,
                                                                                interruptAfterSteps: 6)).run())
        InterruptFlag.reset()
        // fsb seed 2: a checkpoint with one flipped byte; fp seed 1: an error.txt of two lines.
        let damaged = runner.folder(of: cells[3])
        try FileManager.default.createDirectory(at: damaged, withIntermediateDirectories: true)
        var bytes = [UInt8](try Data(contentsOf: RunFolder(path: runner.folder(of: cells[2]).path).lastCheckpoint))
        bytes[bytes.count - 3] ^= 0x10
        try Data(bytes).write(to: RunFolder(path: damaged.path).lastCheckpoint)
        let failed = runner.folder(of: cells[4])
        try FileManager.default.createDirectory(at: failed, withIntermediateDirectories: true)
        try "training diverged at epoch 1\nsecond line\n".write(to: failed.appendingPathComponent("error.txt"), atomically: true, encoding: .utf8)
        return (runner, spec, output)
    }

    func testEachStateIsReadFromTheCellFolderAndNothingIsWritten() throws {
        let (runner, _, output) = try gridWithEveryState()
        let before = HardeningFixtures.listing(output)
        let statuses = try runner.status()
        XCTAssertEqual(HardeningFixtures.listing(output), before)
        XCTAssertEqual(statuses.map(\.cell), ["model.method=binary weights, seed=1", "model.method=binary weights, seed=2",
                                              "model.method=fixed signs, seed=1", "model.method=fixed signs, seed=2",
                                              "model.method=full precision, seed=1", "model.method=full precision, seed=2"])
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: RunFolder(path: output + "/runs/" + statuses[0].folder).summaryJSON))
        XCTAssertEqual(statuses[0].state, .done(epochs: 2, finalAccuracy: summary.finalTestAccuracy,
                                                bestAccuracy: summary.bestTestAccuracy, bestEpoch: summary.bestEpoch))
        XCTAssertEqual(statuses[1].state, .notStarted)
        guard case .inProgress(let epochs, let batch, let accuracy, let seconds, let left) = statuses[2].state else {
            return XCTFail("expected in progress, got \(statuses[2].state)")
        }
        XCTAssertEqual(epochs, 1)
        XCTAssertEqual(batch, 2)
        let metrics = try String(contentsOfFile: output + "/runs/" + statuses[2].folder + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 2)
        XCTAssertEqual(accuracy.map { String(format: "%.4f", $0) }, String(metrics[1].split(separator: ",")[5]))
        XCTAssertGreaterThan(seconds, 0)
        // Half an epoch to go (2 of the 4 steps of epoch 2 done) at epoch 1's pace.
        let checkpoint = try Checkpoint.read(from: RunFolder(path: output + "/runs/" + statuses[2].folder).lastCheckpoint)
        let epochSeconds = try XCTUnwrap(checkpoint.header.progress.metrics.last?.epochSeconds)
        XCTAssertEqual(try XCTUnwrap(left), 0.5 * epochSeconds, accuracy: 1e-12)
        guard case .failed(let damage) = statuses[3].state else { return XCTFail("expected failed, got \(statuses[3].state)") }
        XCTAssertTrue(damage.contains("last.fsbckpt") && damage.contains("CRC"), damage)
        XCTAssertEqual(statuses[4].state, .failed("training diverged at epoch 1"))
        XCTAssertEqual(statuses[5].state, .notStarted)
        XCTAssertEqual(try runner.status(shard: (2, 3)).map(\.folder), [statuses[1].folder, statuses[4].folder])

        let report = CellStatus.report(statuses, grid: "status", output: output).split(separator: "\n").map(String.init)
        XCTAssertEqual(report.count, 7)
        XCTAssertEqual(report[0], "compare status: 6 cells: 1 done, 1 in progress, 2 failed, 2 not started (output \(output))")
        XCTAssertTrue(report[3].hasPrefix("model.method=fixed signs, seed=1     in progress: 1/2 epochs (+ 2 batches), test "), report[3])
        XCTAssertTrue(report[3].contains("% at epoch 1, ") && report[3].contains(" so far, ~") && report[3].hasSuffix(" left at the last epoch's pace"), report[3])
        XCTAssertTrue(report[5].hasSuffix("  failed: training diverged at epoch 1"), report[5])
    }

    func testTheCommandPrintsTheReportAndRefusesOtherModes() throws {
        let (runner, spec, output) = try gridWithEveryState()
        let fsb = try HardeningFixtures.fsbExecutable()
        let shown = try CModuleFixtures.run([fsb, "compare", "--spec", spec, "--output", output, "--status"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertEqual(shown.stdout, CellStatus.report(try runner.status(), grid: "status", output: output))
        let refused = try CModuleFixtures.run([fsb, "compare", "--spec", spec, "--output", output, "--status", "--collect", output])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--status does not combine with --emit or --collect"), refused.stderr)
    }
}
