import FSBCore
@testable import FSBExperiments
import XCTest

/// `fsb compare` as a process, signalled by this test (only its own child): SIGINT and
/// SIGTERM stop the whole grid with exit 130 and every started cell saved; `kill -9` of
/// the compare takes its `fsb train` children with it (parent-death signal), saved too.
final class CompareSignalTests: XCTestCase {
    private let epochs = 30

    private func startCompare(jobs: Int) throws -> (process: Process, output: String) {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let spec = """
        {"name": "signals", "base": {"name": "signals", "dataset": {"name": "mnist", "trainLimit": 2000, "testLimit": 100},
          "model": {"architecture": "mlp", "hidden": [16], "method": "fsb"},
          "training": {"epochs": \(epochs), "batchSize": 10, "evalBatchSize": 100, "threads": 1, "optimizer": {"kind": "sgd", "learningRate": 0.01}}},
         "axes": [{"path": "seed", "values": [1, 2, 3]}]}
        """
        try spec.write(toFile: folder + "/spec.json", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try HardeningFixtures.fsbExecutable())
        process.arguments = ["compare", "--spec", folder + "/spec.json", "--output", folder + "/out", "--jobs", String(jobs),
                             "--data-root", HardeningFixtures.dataRoot, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        addTeardownBlock { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        return (process, folder + "/out")
    }

    private func isLocked(_ folder: String) -> Bool {
        guard FileManager.default.fileExists(atPath: folder) else { return false }
        do { try DirectoryLock.probe(directory: folder); return false } catch { return true }
    }

    /// Waits until every folder's lock is held (the cells are training), or fails.
    private func waitUntilTraining(_ folders: [String]) {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && !folders.allSatisfy(isLocked) { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(folders.allSatisfy(isLocked), "cells did not start: \(folders)")
    }

    /// Starts a compare with `jobs` cell processes, waits until the cells `seed-1` ...
    /// `seed-<training>` train, sends `signal` to the compare and waits for it to end.
    private func signalCompare(jobs: Int, training: Int, signal: Int32) throws -> (process: Process, output: String, cells: [String]) {
        let (process, output) = try startCompare(jobs: jobs)
        let cells = (1...training).map { output + "/runs/seed-\($0)" }
        waitUntilTraining(cells)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (process, output, cells)
    }

    /// Checks that a cell stopped part-way and can be resumed.
    private func assertSavedPartway(_ cell: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertFalse(isLocked(cell), "a child still holds \(cell)", file: file, line: line)
        XCTAssertFalse(RunFolder(path: cell).isComplete, file: file, line: line)
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: cell + "/last.fsbckpt"))
        XCTAssertLessThan(checkpoint.header.progress.epoch, epochs, file: file, line: line)
        _ = try Trainer.resuming(options: .init(runDirectory: cell, dataRoot: HardeningFixtures.dataRoot, quiet: true))
    }

    func testSIGTERMStopsTheParallelGridWithExit130() throws {
        let (process, output, cells) = try signalCompare(jobs: 2, training: 2, signal: SIGTERM)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
        for cell in cells {
            try assertSavedPartway(cell)
            XCTAssertTrue(try String(contentsOfFile: cell + "/error.txt", encoding: .utf8).hasPrefix("interrupted by SIGTERM"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/runs/seed-3"), "no cell may start after the signal")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/runs.csv"))
    }

    func testSIGINTStopsTheInProcessGridWithExit130() throws {
        let (process, output, cells) = try signalCompare(jobs: 1, training: 1, signal: SIGINT)
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
        try assertSavedPartway(cells[0])
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/runs/seed-2"), "no cell may start after the signal")
    }

    func testChildrenDoNotOutliveAKilledCompare() throws {
        let (process, _, cells) = try signalCompare(jobs: 2, training: 2, signal: SIGKILL)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && cells.contains(where: isLocked) { Thread.sleep(forTimeInterval: 0.05) }
        for cell in cells { try assertSavedPartway(cell) }
    }
}
