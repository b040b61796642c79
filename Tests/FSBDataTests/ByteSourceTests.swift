import XCTest
@testable import FSBData

/// A `ByteSource` over bytes in memory, delivering at most `step` bytes per read.
private final class MemorySource: ByteSource {
    let name = "memory"
    private let bytes: [UInt8]
    private let step: Int
    private(set) var position = 0

    init(_ bytes: [UInt8], step: Int) {
        self.bytes = bytes
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        while written < buffer.count && position < bytes.count {
            let n = min(step, buffer.count - written, bytes.count - position)
            for i in 0..<n { buffer[written + i] = bytes[position + i] }
            written += n
            position += n
        }
        return written
    }
}

final class ByteSourceReadPrefixTests: XCTestCase {
    private func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    func testReadsExactlyTheAnnouncedCountAcrossGrowthSteps() throws {
        for count in [0, 1, 65_535, 65_536, 65_537, 300_001] {
            let data = pattern(count + 10)
            let source = MemorySource(data, step: 4_093)
            XCTAssertEqual(try source.readPrefix(count: count), Array(data[0..<count]), "count \(count)")
            XCTAssertEqual(source.position, count)
        }
    }

    func testHugeAnnouncedCountAllocatesAtMostTwiceTheStream() throws {
        for length in [0, 10, 70_000, 1_000_000] {
            let data = pattern(length)
            let read = try MemorySource(data, step: 65_536).readPrefix(count: 1 << 40)
            XCTAssertEqual(read, data)
            XCTAssertLessThanOrEqual(read.capacity, max(2 * length, 64 << 10) + 64, "stream of \(length) bytes")
        }
    }
}
