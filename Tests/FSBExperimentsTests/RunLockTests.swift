import FSBCore
@testable import FSBExperiments
import XCTest

/// One writer per folder: a second `fsb train`, compare or collect into a folder another
/// writer holds is refused at once, writing nothing; the lock goes with the process.
final class RunLockTests: XCTestCase {
    private func held(_ folder: String) throws -> DirectoryLock {
        try DirectoryLock(directory: folder)
    }

    func testSecondTrainerIntoALockedFolderIsRefusedAndWritesNothing() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        let other = try held(folder)
        let before = HardeningFixtures.listing(folder)
        let trainer = try Trainer(config: try HardeningFixtures.tinyConfig(epochs: 1),
                                  options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true))
        XCTAssertThrowsError(try trainer.run()) { error in
            XCTAssertEqual(error as? DirectoryLockHeld, DirectoryLockHeld(directory: folder))
            XCTAssertEqual("\(error)", "\(folder): another fsb process is writing to this folder (it holds the lock \(folder)/.fsb.lock); wait for it to finish or choose another output folder")
        }
        XCTAssertEqual(HardeningFixtures.listing(folder), before)
        other.release()
        _ = try trainer.run()
        XCTAssertTrue(RunFolder(path: folder).isComplete)
    }

    func testResumeOfALockedFolderIsRefusedAndChangesNothing() throws {
        let folder = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare + "/runs/seed-2", self)
        let other = try held(folder)
        let before = HardeningFixtures.listing(folder)
        XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true))) { error in
            XCTAssertTrue(error is DirectoryLockHeld, "\(error)")
        }
        XCTAssertEqual(HardeningFixtures.listing(folder), before)
        withExtendedLifetime(other) {}
    }

    /// A writer that has not saved its first checkpoint yet: the resume is refused for the
    /// lock, not for the missing checkpoint; a plain folder gets no lock file.
    func testResumeBeforeTheFirstCheckpointNamesTheLock() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        let other = try held(folder)
        XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true))) { error in
            XCTAssertEqual(error as? DirectoryLockHeld, DirectoryLockHeld(directory: folder), "\(error)")
        }
        other.release()
        let plain = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: plain, dataRoot: nil, quiet: true))) { error in
            XCTAssertEqual("\(error)", "\(plain)/last.fsbckpt: no checkpoint to resume from (is \(plain) a run folder?)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: plain), [])
    }

    func testLockHeldByAnotherProcessIsRefusedAndReleasedWhenItDies() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let holder = Process()
        // One process: the shell takes the lock on descriptor 9 and becomes `sleep`.
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>\"$0\"; flock --exclusive 9; exec sleep 60", folder + "/.fsb.lock"]
        try holder.run()
        addTeardownBlock { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        var refused = false
        for _ in 0..<100 where !refused {
            do { try DirectoryLock(directory: folder).release(); Thread.sleep(forTimeInterval: 0.05) } catch is DirectoryLockHeld { refused = true }
        }
        XCTAssertTrue(refused, "the lock of another process was not seen")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        XCTAssertNoThrow(try DirectoryLock(directory: folder).release())
    }

    func testSharedLocksCoexistAndExcludeAnExclusiveOne() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        let first = try DirectoryLock(directory: folder, shared: true)
        let second = try DirectoryLock(directory: folder, shared: true)
        XCTAssertThrowsError(try DirectoryLock(directory: folder)) { XCTAssertTrue($0 is DirectoryLockHeld) }
        first.release()
        second.release()
        let exclusive = try DirectoryLock(directory: folder)
        XCTAssertThrowsError(try DirectoryLock(directory: folder, shared: true)) { XCTAssertTrue($0 is DirectoryLockHeld) }
        exclusive.release()
    }

    private func fixtureSpec() throws -> String {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try HardeningFixtures.specJSON.write(toFile: folder + "/spec.json", atomically: true, encoding: .utf8)
        return folder + "/spec.json"
    }

    func testCompareIntoALockedOutputOrCellIsRefusedAndWritesNothing() throws {
        let spec = try fixtureSpec()
        let output = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare, self)
        let runner = try CompareRunner(specFile: spec, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        let before = HardeningFixtures.listing(output)
        do {
            let other = try held(output)
            XCTAssertThrowsError(try runner.run()) { XCTAssertEqual($0 as? DirectoryLockHeld, DirectoryLockHeld(directory: output)) }
            XCTAssertThrowsError(try runner.writeTables(from: [output])) { XCTAssertTrue($0 is DirectoryLockHeld) }
            // A shard takes a shared lock, which an exclusive holder also excludes.
            XCTAssertThrowsError(try runner.run(shard: (1, 2))) { XCTAssertTrue($0 is DirectoryLockHeld) }
            other.release()
        }
        let cell = output + "/runs/seed-2"
        let cellLock = try held(cell)
        for jobs in [1, 2] {
            XCTAssertThrowsError(try runner.run(jobs: jobs, executable: "/bin/false")) { error in
                XCTAssertEqual(error as? DirectoryLockHeld, DirectoryLockHeld(directory: cell))
            }
        }
        XCTAssertEqual(HardeningFixtures.listing(output), before)
        XCTAssertEqual(HardeningFixtures.listing(cell), HardeningFixtures.listing(HardeningFixtures.formatV1Compare + "/runs/seed-2"))
        cellLock.release()
    }
}
