import FSBCore
import FSBData
@testable import FSBExperiments
import XCTest

/// Resume refuses a checkpoint from another run and a `config.json` edited after the run,
/// saying which fields differ (also when the checkpoint's header was edited with its
/// checksum rewritten), and a checkpoint whose progress does not fit the run.
final class ResumeCheckTests: XCTestCase {
    /// A run of `config` interrupted after step 3 (of 4 per epoch, 2 epochs).
    private func interruptedRun(_ config: ExperimentConfig) throws -> String {
        let folder = HardeningFixtures.temporaryFolder(self)
        XCTAssertThrowsError(try Trainer(config: config, options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot,
                                                                         quiet: true, interruptAfterSteps: 3)).run())
        InterruptFlag.reset()
        return folder
    }

    private func assertResumeRefused(_ folder: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let before = HardeningFixtures.listing(folder)
        XCTAssertThrowsError(try Trainer.resuming(options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true)),
                             file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
        XCTAssertEqual(HardeningFixtures.listing(folder), before, "nothing may change", file: file, line: line)
    }

    func testCheckpointOfAnotherRunIsRefusedNamingTheDifference() throws {
        let mine = try interruptedRun(try HardeningFixtures.tinyConfig(seed: 1))
        var otherConfig = try HardeningFixtures.tinyConfig(seed: 2)
        otherConfig.training.optimizer.learningRate = 0.02
        let other = try interruptedRun(otherConfig)
        try FileManager.default.removeItem(atPath: mine + "/last.fsbckpt")
        try FileManager.default.copyItem(atPath: other + "/last.fsbckpt", toPath: mine + "/last.fsbckpt")
        assertResumeRefused(mine, "\(mine)/last.fsbckpt: does not belong to the run in \(mine): its config differs from config.json at seed: config.json has 1, the checkpoint 2; training.optimizer.learningRate: config.json has 0.05, the checkpoint 0.02; refusing to resume")
    }

    func testConfigEditedAfterTheRunIsRefused() throws {
        let folder = try interruptedRun(try HardeningFixtures.tinyConfig())
        let path = folder + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"epochs\" : 2", with: "\"epochs\" : 3").write(toFile: path, atomically: true, encoding: .utf8)
        assertResumeRefused(folder, "\(folder)/last.fsbckpt: does not belong to the run in \(folder): its config differs from config.json at training.epochs: config.json has 3, the checkpoint 2; refusing to resume")
        try FileManager.default.removeItem(atPath: path)
        assertResumeRefused(folder, "\(path): missing; cannot check that \(folder)/last.fsbckpt belongs to this run (a run folder always holds the config.json it was started with)")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        _ = try Trainer.resuming(options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true)).run()
    }

    /// The header's config edited (seed 1 -> 3) with the header CRC-32 rewritten to match:
    /// the checksums pass and the stored config hash is still that of config.json, yet the
    /// checkpoint's config is another run's.
    func testAHeaderEditedWithItsChecksumRewrittenIsRefused() throws {
        let folder = try interruptedRun(try HardeningFixtures.tinyConfig(seed: 1))
        let url = URL(fileURLWithPath: folder + "/last.fsbckpt")
        var bytes = [UInt8](try Data(contentsOf: url))
        let length = (0..<8).reduce(0) { $0 | Int(bytes[12 + $1]) << (8 * $1) }
        let header = String(decoding: bytes[24..<(24 + length)], as: UTF8.self)
        let seedAt = try XCTUnwrap(header.range(of: #","seed":1,"#)).upperBound
        bytes[24 + header.utf8.distance(from: header.startIndex, to: seedAt) - 2] = UInt8(ascii: "3")
        var crc = CRC32()
        crc.update(bytes[0..<20])
        crc.update(bytes[24..<(24 + length)])
        withUnsafeBytes(of: crc.value.littleEndian) { bytes.replaceSubrange(20..<24, with: $0) }
        try Data(bytes).write(to: url)
        XCTAssertEqual(try Checkpoint.read(from: url).header.config.seed, 3, "the edit passes the checksums")
        assertResumeRefused(folder, "\(folder)/last.fsbckpt: does not belong to the run in \(folder): its config differs from config.json at seed: config.json has 1, the checkpoint 3; refusing to resume")
    }

    func testProgressOutsideTheRunIsRefused() throws {
        let source = HardeningFixtures.formatV1Compare + "/runs/seed-2"
        let cases: [(String, Int, String)] = [
            ("nextBatch", 999, "progress.nextBatch: must be in 0...3, got 999"),
            ("nextBatch", -1, "progress.nextBatch: must be in 0...3, got -1"),
            ("epoch", Int.max, "progress.epoch: must be in 0...2, got 9223372036854775807"),
            ("globalStep", -5, "progress.globalStep: must be in 0...8, got -5"),
            ("epochSeen", 1 << 40, "progress.epochSeen: must be in 0...200, got 1099511627776"),
        ]
        for (field, value, message) in cases {
            let folder = try HardeningFixtures.copy(source, self)
            let url = URL(fileURLWithPath: folder + "/last.fsbckpt")
            var (header, payload) = HardeningFixtures.splitFormatV1(try Data(contentsOf: url))
            var progress = header["progress"] as! [String: Any]
            progress[field] = value
            header["progress"] = progress
            try HardeningFixtures.joinFormatV1(header: header, payload: payload).write(to: url)
            assertResumeRefused(folder, "\(folder)/last.fsbckpt: checkpoint header: \(message)")
        }
    }
}
