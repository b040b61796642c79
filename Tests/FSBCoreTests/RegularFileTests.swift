import FSBCore
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `RegularFile.contents`: whole regular files, empty ones included; nil for anything that
/// is not a regular file, without blocking on a FIFO.
final class RegularFileTests: XCTestCase {
    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "fsb-regular-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testReadsAFileOfSeveralChunksExactly() throws {
        let path = try folder() + "/data.bin"
        var generator = SeededGenerator(seed: 7)
        let bytes = (0..<200_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(RegularFile.contents(atPath: path), Data(bytes))
    }

    /// The fuzzer's first finding: `FileManager.contents(atPath:)` leaked on empty files.
    func testAnEmptyFileIsEmptyData() throws {
        let path = try folder() + "/empty"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertEqual(RegularFile.contents(atPath: path), Data())
    }

    func testAFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let path = try folder() + "/fifo"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let started = Date()
        XCTAssertNil(RegularFile.contents(atPath: path))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testAFolderAndAMissingFileAreNil() throws {
        let path = try folder()
        XCTAssertNil(RegularFile.contents(atPath: path))
        XCTAssertNil(RegularFile.contents(atPath: path + "/missing"))
    }

    func testReadSaysWhyAFileCannotBeRead() throws {
        let path = try folder()
        XCTAssertEqual(mkfifo(path + "/fifo", 0o600), 0)
        let cases = [(path + "/fifo", "expected a regular file, found a FIFO"), (path, "expected a regular file, found a folder"),
                     (path + "/missing", "no such file"), ("/dev/zero", "expected a regular file, found a device")]
        for (file, reason) in cases {
            XCTAssertThrowsError(try RegularFile.data(atPath: file, what: "hardware config"), file) { error in
                XCTAssertEqual("\(error)", "\(file): cannot read hardware config: \(reason)")
            }
        }
        try Data([1, 2]).write(to: URL(fileURLWithPath: path + "/plain"))
        XCTAssertEqual(try RegularFile.data(atPath: path + "/plain", what: "file"), Data([1, 2]))
    }
}
