import FSBCore
@testable import FSBExperiments
import XCTest

/// A compare cell folder is this grid's cell only when its run's config is the cell's: a
/// grid re-run with other `--set` values, or collected from another grid whose cells have
/// the same names, is refused naming the folder and what differs, before anything is
/// written; `--status` reports such a cell as failed.
final class CellIdentityTests: XCTestCase {
    /// A spec over the fixture grid's cells (`seed` 1 and 2) whose base has `epochs` epochs.
    private func spec(epochs: Int) throws -> String {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let base = HardeningFixtures.baseJSON.replacingOccurrences(of: #""epochs": 2"#, with: #""epochs": \#(epochs)"#)
        XCTAssertTrue(base.contains(#""epochs": \#(epochs)"#), "the base names its epochs")
        let text = #"{"name": "format-v1", "base": \#(base), "axes": [{"path": "seed", "values": [1, 2]}]}"#
        try text.write(toFile: folder + "/spec.json", atomically: true, encoding: .utf8)
        return folder + "/spec.json"
    }

    private func differenceOfSeed1(_ folder: String, context: String,
                                   remedy: String = "choose another --output (or move that folder away to train the cell anew)") -> String {
        "\(context): holds a run of another config than cell seed-1 of compare grid \"format-v1\": training.epochs: the grid's cell has 3, the folder's config.json 2; \(remedy)"
    }

    func testARerunWithOtherSettingsIsRefusedBeforeRunning() throws {
        let output = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare, self)
        let before = HardeningFixtures.listing(output)
        let runner = try CompareRunner(specFile: try spec(epochs: 2), output: output, dataRoot: HardeningFixtures.dataRoot,
                                       quiet: true, overrides: [try ConfigOverride(parsing: "training.epochs=3")])
        let cell = output + "/runs/seed-1"
        XCTAssertThrowsError(try runner.run()) { error in
            XCTAssertEqual("\(error)", self.differenceOfSeed1(cell, context: cell))
        }
        XCTAssertEqual(HardeningFixtures.listing(output), before, "nothing may change")
        // A shard run checks the other shards' folders too (it writes the tables of all).
        XCTAssertThrowsError(try runner.run(shard: (2, 2))) { error in
            XCTAssertEqual("\(error)", self.differenceOfSeed1(cell, context: cell))
        }
        XCTAssertEqual(HardeningFixtures.listing(output), before, "nothing may change")
        guard case .failed(let message) = try runner.status()[0].state else { return XCTFail("expected a failed cell") }
        XCTAssertEqual(message, differenceOfSeed1(cell, context: cell))
    }

    func testCollectOfAnotherGridWithTheSameCellNamesIsRefused() throws {
        let output = HardeningFixtures.temporaryFolder(self)
        let runner = try CompareRunner(specFile: try spec(epochs: 3), output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        let cell = HardeningFixtures.formatV1Compare + "/runs/seed-1"
        XCTAssertThrowsError(try runner.writeTables(from: [HardeningFixtures.formatV1Compare])) { error in
            XCTAssertEqual("\(error)", self.differenceOfSeed1(cell, context: "\(cell): --collect", remedy: "collect only folders this grid wrote"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing may be written")
    }

    func testTheSameGridPassesWhatMayDiffer() throws {
        // Another thread count and another name are the same cell; the fixture's own spec collects.
        let output = HardeningFixtures.temporaryFolder(self)
        let runner = try CompareRunner(specFile: try spec(epochs: 2), output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true,
                                       overrides: [try ConfigOverride(parsing: "training.threads=2"), try ConfigOverride(parsing: "name=other")])
        XCTAssertEqual(try runner.writeTables(from: [HardeningFixtures.formatV1Compare]).map(\.status), ["done", "failed"])
    }

    func testCollectSaysACellIsUnfinishedRatherThanNotRun() throws {
        // The fixture's seed-2 holds a partial run; without its error.txt, as while it trains.
        let grid = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare, self)
        try FileManager.default.removeItem(atPath: grid + "/runs/seed-2/error.txt")
        let runner = try CompareRunner(specFile: try spec(epochs: 2), output: HardeningFixtures.temporaryFolder(self),
                                       dataRoot: HardeningFixtures.dataRoot, quiet: true)
        let rows = try runner.writeTables(from: [grid])
        XCTAssertEqual(rows.map(\.error), ["", "not finished: its last.fsbckpt holds a partial run (running the grid again resumes it)"])
    }

    func testACellThatCannotRunStopsTheGridBeforeAnyCellTrains() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let spec = folder + "/spec.json"
        try #"{"name": "layers", "base": \#(HardeningFixtures.baseJSON), "axes": [{"path": "model.layerMethods", "values": [{}, {"conv9": "bwn"}]}]}"#
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let output = folder + "/out"
        let runner = try CompareRunner(specFile: spec, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        XCTAssertThrowsError(try runner.run()) { error in
            XCTAssertEqual("\(error)", "\(spec): cell model.layerMethods-__conv9___bwn__: model.layerMethods.conv9: no such layer; layers are: fc1, fc2, fc")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing may be written")
        // A hold-out of no image from the cell's trainLimit (200 images): the same, before training.
        try #"{"name": "hold-out", "base": \#(HardeningFixtures.baseJSON), "axes": [{"path": "dataset.validationFraction", "values": [0.1, 0.001]}]}"#
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let holdOut = try CompareRunner(specFile: spec, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        XCTAssertThrowsError(try holdOut.run()) { error in
            XCTAssertEqual("\(error)", "\(spec): cell dataset.validationFraction-0.001: dataset.validationFraction: 0.001 of the 200 training images (dataset.trainLimit 200) holds out 0; expected at least 1 validation image and 1 training image")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing may be written")
    }
}
