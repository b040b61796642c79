import FSBCore
import FSBData
@testable import FSBExperiments
import XCTest

/// Format 2: every flipped bit anywhere in the file is refused naming the section that
/// failed; non-finite values and extents that would overflow are refused in both formats.
final class CheckpointIntegrityTests: XCTestCase {
    private func trainedCheckpoint() throws -> (path: String, data: Data) {
        let folder = HardeningFixtures.temporaryFolder(self)
        _ = try Trainer(config: try HardeningFixtures.tinyConfig(epochs: 1),
                        options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true)).run()
        let path = folder + "/last.fsbckpt"
        return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testWritesFormat2WithChecksumsAndConfigHash() throws {
        let (path, data) = try trainedCheckpoint()
        XCTAssertEqual(Array(data[8..<12]), [2, 0, 0, 0])
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: path))
        XCTAssertEqual(checkpoint.readVersion, 2)
        XCTAssertEqual(checkpoint.header.configSHA256, try checkpoint.header.config.resolvedSHA256())
        XCTAssertFalse(checkpoint.header.tensorEntries.isEmpty)
        for entry in checkpoint.header.tensorEntries {
            let start = data.count - checkpoint.header.tensorEntries.reduce(0) { $0 + $1.bytes } + entry.offset
            XCTAssertEqual(entry.crc32, CRC32.checksum(data.subdata(in: start..<(start + entry.bytes))), entry.name)
        }
        // The known CRC-32 check value of "123456789".
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testEveryFlippedBitIsRefusedNamingTheSection() throws {
        let (path, data) = try trainedCheckpoint()
        let headerLength = (0..<8).reduce(0) { $0 | Int(data[12 + $1]) << (8 * $1) }
        let dataStart = 24 + headerLength
        // Every byte of the preamble and 300 spread over header and data, each bit position in turn.
        let positions = Array(0..<24) + (0..<300).map { 24 + $0 * (data.count - 24) / 300 }
        for (n, position) in positions.enumerated() {
            var corrupt = data
            corrupt[position] ^= UInt8(1 << (n % 8))
            XCTAssertThrowsError(try Checkpoint.decode(corrupt, file: path), "byte \(position)") { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(path + ": "), message)
                XCTAssertFalse(message.contains("\n"), message)
                if position < 8 {
                    XCTAssertTrue(message.contains("expected magic"), message)
                } else if position < 12 {
                    XCTAssertTrue(message.contains("format version"), message)
                } else if position >= dataStart {
                    XCTAssertTrue(message.contains("(tensor \""), message)
                    XCTAssertTrue(message.contains("CRC-32 is"), message)
                } else if position >= 20 || position < 16 {
                    // The header bytes, their CRC and the low bytes of their length.
                    XCTAssertTrue(message.contains("(preamble and header): CRC-32 is") || message.contains("header length"), message)
                }
            }
        }
    }

    func testTrailingBytesAndMissingChecksumsAreRefused() throws {
        let (path, data) = try trainedCheckpoint()
        XCTAssertThrowsError(try Checkpoint.decode(data + Data([0, 0, 0, 0]), file: path)) { error in
            XCTAssertTrue("\(error)".contains("the data section holds"), "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint.decode(data.prefix(data.count - 3), file: path)) { error in
            XCTAssertTrue("\(error)".contains("truncated or corrupt"), "\(error)")
        }
    }

    func testNonFiniteValuesAreRefusedOnReadAndWrite() throws {
        let fixture = HardeningFixtures.formatV1Compare + "/runs/seed-1/last.fsbckpt"
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture))
        let (header, payload) = HardeningFixtures.splitFormatV1(original)
        let base = original.count - payload.count
        for (value, name) in [(Float.nan, "nan"), (Float.infinity, "inf"), (-Float.infinity, "-inf")] {
            for element in [0, 5, payload.count / 4 - 1] {
                var bytes = payload
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange((4 * element)..<(4 * element + 4), with: $0) }
                let corrupt = HardeningFixtures.joinFormatV1(header: header, payload: bytes)
                XCTAssertThrowsError(try Checkpoint.decode(corrupt, file: "x.fsbckpt")) { error in
                    let message = "\(error)"
                    XCTAssertTrue(message.hasPrefix("x.fsbckpt: byte \(base + 4 * element): tensor \""), message)
                    XCTAssertTrue(message.hasSuffix(" is \(name); expected a finite number"), message)
                }
            }
        }
        var checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: fixture))
        let name = checkpoint.tensors.keys.sorted()[0]
        checkpoint.tensors[name]!.storage[3] = .nan
        let target = HardeningFixtures.temporaryFolder(self)
        XCTAssertThrowsError(try checkpoint.write(to: URL(fileURLWithPath: target + "/nan.fsbckpt"))) { error in
            XCTAssertEqual("\(error)", "\(target)/nan.fsbckpt: not written: tensor \"\(name)\" element 3 is nan; the training state is not finite")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }

    func testExtentsThatWouldOverflowAreRefused() throws {
        let fixture = HardeningFixtures.formatV1Compare + "/runs/seed-1/last.fsbckpt"
        let (header, payload) = HardeningFixtures.splitFormatV1(try Data(contentsOf: URL(fileURLWithPath: fixture)))
        let edits: [(String, Any)] = [
            ("offset", Int.max - 2), ("offset", -4), ("offset", Int.min),
            ("bytes", Int.max), ("bytes", -1),
            ("shape", [Int.max, 4]), ("shape", [1 << 62, 1 << 62]), ("shape", [4611686018427387904]), ("shape", [-1, 8]),
        ]
        for (field, value) in edits {
            var edited = header
            var entries = edited["tensorEntries"] as! [[String: Any]]
            entries[1][field] = value
            edited["tensorEntries"] = entries
            XCTAssertThrowsError(try Checkpoint.decode(HardeningFixtures.joinFormatV1(header: edited, payload: payload), file: "o.fsbckpt"),
                                 "\(field) = \(value)") { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("o.fsbckpt: byte "), message)
                XCTAssertTrue(message.contains("tensor \"\(entries[1]["name"]!)\""), message)
                XCTAssertTrue(message.hasSuffix("the file is truncated or corrupt"), message)
            }
        }
        var duplicated = header
        var entries = duplicated["tensorEntries"] as! [[String: Any]]
        entries.append(entries[0])
        duplicated["tensorEntries"] = entries
        XCTAssertThrowsError(try Checkpoint.decode(HardeningFixtures.joinFormatV1(header: duplicated, payload: payload), file: "d.fsbckpt")) { error in
            XCTAssertTrue("\(error)".contains("appears twice"), "\(error)")
        }
    }
}
