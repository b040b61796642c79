import FSBData
import XCTest

final class GzipReaderTests: XCTestCase {
    let content = (0..<200_000).map { UInt8(truncatingIfNeeded: ($0 * $0) >> 3) }

    func testReadsSingleMemberInSmallChunksAcrossInputBuffers() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let path = try DataTestFixtures.write(DataTestFixtures.gzip(content), to: folder, "a.gz")
        let reader = try GzipReader(path: path, inputBufferSize: 1000)
        XCTAssertTrue(reader.isCompressed)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 777)
        while true {
            let got = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
            if got == 0 { break }
            out += chunk[0..<got]
        }
        XCTAssertEqual(out, content)
        XCTAssertEqual(reader.position, content.count)
        XCTAssertEqual(reader.membersRead, 1)
        XCTAssertEqual(reader.uncompressedSizeHint, content.count)
    }

    func testReadsConcatenatedMembers() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let first = Array(content[0..<70_000]), second = Array(content[70_000...])
        let path = try DataTestFixtures.write(DataTestFixtures.gzip(first) + DataTestFixtures.gzip(second) + DataTestFixtures.gzip([]),
                                              to: folder, "multi.gz")
        for bufferSize in [64, 4096, 1 << 20] {
            let reader = try GzipReader(path: path, inputBufferSize: bufferSize)
            XCTAssertEqual(try reader.readToEnd(), content, "input buffer \(bufferSize)")
            XCTAssertEqual(reader.membersRead, 3)
        }
    }

    func testPassesRawFilesThrough() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let path = try DataTestFixtures.write(content, to: folder, "raw.bin")
        let reader = try GzipReader(path: path, inputBufferSize: 100)
        XCTAssertFalse(reader.isCompressed)
        let head = try reader.readBytes(count: 50, what: "head")
        XCTAssertEqual(head, Array(content[0..<50]))
        XCTAssertEqual(try reader.readToEnd(), Array(content[50...]))
        XCTAssertEqual(reader.uncompressedSizeHint, content.count)
        let empty = try GzipReader(path: DataTestFixtures.write([], to: folder, "empty"))
        XCTAssertEqual(try empty.readToEnd(), [])
    }

    func testTruncatedStreamNamesFileAndProgress() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let compressed = DataTestFixtures.gzip(content)
        let cut = compressed.count / 2
        let path = try DataTestFixtures.write(Array(compressed[0..<cut]), to: folder, "cut.gz")
        assertThrowsMessage(["cut.gz", "truncated gzip stream", "compressed input ends at byte \(cut)", "decompressed bytes"]) {
            try GzipReader(path: path).readToEnd()
        }
        // Missing only the 8-byte trailer: all data inflates but the member is incomplete.
        let noTrailer = try DataTestFixtures.write(Array(compressed.dropLast(8)), to: folder, "notrailer.gz")
        assertThrowsMessage(["notrailer.gz", "truncated", "after \(content.count) decompressed bytes"]) {
            try GzipReader(path: noTrailer).readToEnd()
        }
    }

    func testBadCRCIsReported() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        var compressed = DataTestFixtures.gzip(content)
        compressed[compressed.count - 8] ^= 0xff // first byte of the CRC-32 trailer
        let path = try DataTestFixtures.write(compressed, to: folder, "crc.gz")
        assertThrowsMessage(["crc.gz", "CRC", "incorrect data check", "compressed byte"]) {
            try GzipReader(path: path).readToEnd()
        }
    }

    func testCorruptDataAndTrailingGarbageAreReported() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        var compressed = DataTestFixtures.gzip(content)
        for i in 20..<60 { compressed[i] = 0xff }
        let path = try DataTestFixtures.write(compressed, to: folder, "corrupt.gz")
        assertThrowsMessage(["corrupt.gz", "compressed byte", "decompressed bytes"]) {
            try GzipReader(path: path).readToEnd()
        }
        let garbage = try DataTestFixtures.write(DataTestFixtures.gzip(content) + Array("junk after".utf8), to: folder, "garbage.gz")
        assertThrowsMessage(["garbage.gz", "corrupt gzip data", "after \(content.count) decompressed bytes"]) {
            try GzipReader(path: garbage).readToEnd()
        }
    }

    func testMissingFile() {
        assertThrowsMessage(["/nonexistent/x.gz", "file not found"]) { try GzipReader(path: "/nonexistent/x.gz") }
    }

    func testReadExactlyReportsShortContent() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let path = try DataTestFixtures.write(DataTestFixtures.gzip([1, 2, 3]), to: folder, "short.gz")
        assertThrowsMessage(["short.gz", "at byte 0", "after 3 of the 10 bytes of header"]) {
            try GzipReader(path: path).readBytes(count: 10, what: "header")
        }
    }
}
