import FSBCore
import FSBData
import FSBExperiments
import FSBHardware
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Inputs found by the fuzzers (`scripts/fuzz.sh`), fed to each reader's public API: each
/// must end in a one-line `UserFacingError` naming the file, as the fuzz targets require.
final class FuzzRegressionTests: XCTestCase {
    /// The readers that take a file path, as `fsb` calls them.
    private let readers: [(name: String, read: (String) throws -> Void)] = [
        ("checkpoint", { _ = try Checkpoint.read(from: URL(fileURLWithPath: $0)) }),
        ("experiment config", { _ = try ExperimentConfig.load(path: $0) }),
        ("compare spec", { _ = try CompareSpec.load(path: $0) }),
        ("hardware config", { _ = try Accelerator.load(configPath: $0) }),
        ("topology", { _ = try TopologyCSV.read(path: $0) }),
    ]

    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "fsb-fuzz-regression-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func assertCleanError(_ name: String, _ path: String, _ read: (String) throws -> Void,
                                  line: UInt = #line) {
        do {
            try read(path)
            XCTFail("\(name): read \(path) without an error", line: line)
        } catch let error as UserFacingError {
            XCTAssertFalse(error.description.contains("\n"), "\(name): \(error.description)", line: line)
            XCTAssertTrue(error.description.contains(path), "\(name): \(error.description)", line: line)
        } catch {
            XCTFail("\(name): \(type(of: error)) is not a UserFacingError: \(error)", line: line)
        }
    }

    /// Fuzz finding 1 (checkpoint target, artifact `crash-da39a3ee…`, the empty input): the
    /// readers went through `FileManager.contents(atPath:)`, which leaks 4 KiB on an empty
    /// file (LeakSanitizer). Now `RegularFile` reads them; an empty file is a clean error.
    func testAnEmptyFileIsACleanErrorForEveryReader() throws {
        let path = try folder() + "/empty"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        for reader in readers { assertCleanError(reader.name, path, reader.read) }
    }

    /// The same class on the other side: a FIFO (`/dev/stdin`, a named pipe) is refused at
    /// once instead of blocking the reader until a writer appears.
    func testAFIFOIsACleanErrorForEveryReaderWithoutBlocking() throws {
        let path = try folder() + "/fifo"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let started = Date()
        for reader in readers { assertCleanError(reader.name, path, reader.read) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Fuzz finding 2 (hardware target, artifact `crash-4995b4b5…`: the shipped
    /// `fsb-int8-os.json` in a folder without its energy table): the error named only
    /// `energy-horowitz-45nm.json`, not the hardware config whose `energyTable` chose it.
    func testAMissingEnergyTableIsReportedAgainstTheHardwareConfig() throws {
        let shipped = TrainerTests.repositoryRoot.appendingPathComponent("configs/hw/fsb-int8-os.json").path
        let path = try folder() + "/fsb-int8-os.json"
        try FileManager.default.copyItem(atPath: shipped, toPath: path)
        assertCleanError("hardware config", path) { _ = try Accelerator.load(configPath: $0) }
        XCTAssertThrowsError(try Accelerator.load(configPath: path)) { error in
            XCTAssertEqual("\(error)", "\(path): energyTable: cannot read the energy table \"energy-horowitz-45nm.json\" (energy-horowitz-45nm.json: no such file; a relative path is looked for beside the config, then in the working directory)")
        }
    }

    /// The same for a table that exists but is not a valid table: both files are named.
    func testABrokenEnergyTableNamesTheConfigAndTheTable() throws {
        let folder = try folder()
        let path = folder + "/hw.json", table = folder + "/table.json"
        try Data("{\"int8AddPJ\": 1,}".utf8).write(to: URL(fileURLWithPath: table))
        let shipped = TrainerTests.repositoryRoot.appendingPathComponent("configs/hw/mac-int8-os.json").path
        let config = try String(contentsOfFile: shipped, encoding: .utf8)
            .replacingOccurrences(of: "energy-horowitz-45nm.json", with: "table.json")
        try Data(config.utf8).write(to: URL(fileURLWithPath: path))
        assertCleanError("hardware config", path) { _ = try Accelerator.load(configPath: $0) }
        XCTAssertThrowsError(try Accelerator.load(configPath: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): energyTable: \(table): "), "\(error)")
        }
    }

    /// Fuzz finding 3 (topology target, artifact `crash-dd5e6d92…`): a lone CR inside the
    /// header line was quoted raw, so the error spanned two lines.
    func testALoneCarriageReturnInATopologyIsQuotedOnOneLine() throws {
        let path = try folder() + "/topology.csv"
        let input = Array("Layer, M,UnsafeBuf1".utf8) + [0, 0, 0, 0, 0, 0, 0, 13] + Array("10,28,\n".utf8)
        try Data(input).write(to: URL(fileURLWithPath: path))
        assertCleanError("topology", path) { _ = try TopologyCSV.read(path: $0) }
        XCTAssertThrowsError(try TopologyCSV.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("\\r10,28,"), "\(error)")
        }
    }

    /// The same class in the other error types that quote input: a tar member's name and a
    /// checkpoint's tensor name (from JSON, where `\n` is legal) are escaped too.
    func testDataAndGenericErrorsQuotingControlCharactersStayOnOneLine() {
        let data = DataFileError(file: "archive.tar:bad\nname", offset: 512, "truncated member")
        XCTAssertEqual(data.description, "archive.tar:bad\\nname: at byte 512: truncated member")
        let generic = FSBError("run/last.fsbckpt: tensor \"w\r\u{1b}\" appears twice")
        XCTAssertEqual(generic.description, "run/last.fsbckpt: tensor \"w\\r\\u{1b}\" appears twice")
    }
}
