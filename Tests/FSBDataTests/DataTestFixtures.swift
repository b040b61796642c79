import CZlib
import Foundation
import XCTest

/// Test helpers: gzip writing through zlib's deflate (windowBits 31 = gzip wrapper),
/// tar archive building, IDX/CIFAR file building, temporary folders and the repo root.
enum DataTestFixtures {
    /// The repository root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `datasets/samples` of the repository.
    static var samplesRoot: URL { repositoryRoot.appendingPathComponent("datasets/samples") }

    /// One gzip member holding `bytes`.
    static func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let initStatus = deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                                       zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(initStatus == Z_OK, "deflateInit2 failed: \(initStatus)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate failed: \(status)")
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    /// A fresh empty folder under the system temporary folder.
    static func temporaryFolder(_ label: String = #function) throws -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fsb-data-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to `folder/name`, creating folders; returns the path.
    @discardableResult
    static func write(_ bytes: [UInt8], to folder: URL, _ name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A ustar archive of `(path, content)` regular files, with directory entries
    /// for `directories`, ending in two zero blocks. Paths over 100 bytes use the prefix field.
    static func tar(files: [(path: String, content: [UInt8])], directories: [String] = []) -> [UInt8] {
        var archive: [UInt8] = []
        func header(path: String, size: Int, type: UInt8) -> [UInt8] {
            var block = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int) {
                for (i, byte) in text.utf8.enumerated() { block[offset + i] = byte }
            }
            var name = path
            if path.utf8.count > 100, let slash = path.lastIndex(of: "/") {
                put(String(path[..<slash]), at: 345)
                name = String(path[path.index(after: slash)...])
            }
            put(name, at: 0)
            put("0000644", at: 100)
            put("0000000", at: 108)
            put("0000000", at: 116)
            let octalSize = String(size, radix: 8)
            put(String(repeating: "0", count: 11 - octalSize.count) + octalSize, at: 124)
            put("00000000000", at: 136)
            block[156] = type
            put("ustar", at: 257)
            put("00", at: 263)
            for i in 148..<156 { block[i] = 32 }
            let sum = block.reduce(0) { $0 + Int($1) }
            let octalSum = String(sum, radix: 8)
            put(String(repeating: "0", count: 6 - octalSum.count) + octalSum, at: 148)
            block[154] = 0
            block[155] = 32
            return block
        }
        for directory in directories {
            archive += header(path: directory.hasSuffix("/") ? directory : directory + "/", size: 0, type: UInt8(ascii: "5"))
        }
        for file in files {
            archive += header(path: file.path, size: file.content.count, type: UInt8(ascii: "0"))
            archive += file.content
            archive += [UInt8](repeating: 0, count: (512 - file.content.count % 512) % 512)
        }
        archive += [UInt8](repeating: 0, count: 1024)
        return archive
    }

    /// An IDX image file: magic 2051, `count x rows x columns`, pixels from `pixel(i, offset)`.
    static func idxImages(count: Int, rows: Int = 28, columns: Int = 28, magic: UInt32 = 2051,
                          pixel: (Int, Int) -> UInt8 = { i, j in UInt8(truncatingIfNeeded: i &* 7 &+ j) }) -> [UInt8] {
        var bytes = bigEndian(magic) + bigEndian(UInt32(count)) + bigEndian(UInt32(rows)) + bigEndian(UInt32(columns))
        for i in 0..<count { for j in 0..<rows * columns { bytes.append(pixel(i, j)) } }
        return bytes
    }

    /// An IDX label file with magic 2049.
    static func idxLabels(_ labels: [UInt8], announced: Int? = nil) -> [UInt8] {
        bigEndian(2049) + bigEndian(UInt32(announced ?? labels.count)) + labels
    }

    /// CIFAR-10 records with the given labels; pixel `j` of record `i` is `(i + j) % 256`.
    static func cifar10Records(_ labels: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (i, label) in labels.enumerated() {
            bytes.append(label)
            for j in 0..<3072 { bytes.append(UInt8(truncatingIfNeeded: i + j)) }
        }
        return bytes
    }

    /// CIFAR-100 records with `(coarse, fine)` labels; pixel `j` of record `i` is `(3i + j) % 256`.
    static func cifar100Records(_ labels: [(coarse: UInt8, fine: UInt8)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (i, label) in labels.enumerated() {
            bytes.append(label.coarse)
            bytes.append(label.fine)
            for j in 0..<3072 { bytes.append(UInt8(truncatingIfNeeded: 3 * i + j)) }
        }
        return bytes
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }
}

/// Asserts that `body` throws a `DataFileError` (or any error) whose description contains
/// every string in `fragments`.
func assertThrowsMessage<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch {
        let message = "\(error)"
        XCTAssertFalse(message.contains("\n"), "error must be one line: \(message)", file: file, line: line)
        for fragment in fragments where !message.contains(fragment) {
            XCTFail("error '\(message)' does not contain '\(fragment)'", file: file, line: line)
        }
    }
}
