@testable import FSBExperiments
import XCTest

/// The protobuf encoder against encodings computed by hand from the wire-format spec
/// (https://protobuf.dev/programming-guides/encoding/).
final class ProtobufWriterTests: XCTestCase {
    private func encode(_ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var writer = ProtobufWriter()
        body(&writer)
        return writer.bytes
    }

    func testScalarFields() {
        XCTAssertEqual(encode { $0.int64(1, 1) }, [0x08, 0x01])
        XCTAssertEqual(encode { $0.int64(1, 150) }, [0x08, 0x96, 0x01])
        XCTAssertEqual(encode { $0.int64(2, 300) }, [0x10, 0xac, 0x02])
        XCTAssertEqual(encode { $0.int64(1, 0) }, [0x08, 0x00])
        // Negative int64: 10-byte two's complement varint.
        XCTAssertEqual(encode { $0.int64(1, -1) }, [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x01])
        XCTAssertEqual(encode { $0.int64(1, Int64.max) }, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        // Field 20 needs a two-byte key: (20 << 3) | 0 = 160.
        XCTAssertEqual(encode { $0.int64(20, 7) }, [0xa0, 0x01, 0x07])
        XCTAssertEqual(encode { $0.float(2, 1) }, [0x15, 0x00, 0x00, 0x80, 0x3f])
        XCTAssertEqual(encode { $0.float(2, -2.5) }, [0x15, 0x00, 0x00, 0x20, 0xc0])
    }

    func testLengthDelimitedFields() {
        XCTAssertEqual(encode { $0.string(2, "testing") }, [0x12, 0x07] + Array("testing".utf8))
        XCTAssertEqual(encode { $0.string(8, "") }, [0x42, 0x00])
        XCTAssertEqual(encode { $0.bytes(9, [1, 2, 3]) }, [0x4a, 0x03, 1, 2, 3])
        // Nested message: field 3 holding {1: 150}.
        XCTAssertEqual(encode { $0.message(3) { $0.int64(1, 150) } }, [0x1a, 0x03, 0x08, 0x96, 0x01])
        // Packed repeated: 3, 270, 86942 (the spec's example).
        XCTAssertEqual(encode { $0.packedInt64(4, [3, 270, 86942]) }, [0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05])
        XCTAssertEqual(encode { $0.packedInt64(4, []) }, [])
        XCTAssertEqual(encode { $0.packedFloat(7, [1, -2.5]) }, [0x3a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0])
        // A length of 200 takes a two-byte varint.
        let long = [UInt8](repeating: 7, count: 200)
        XCTAssertEqual(encode { $0.bytes(1, long) }, [0x0a, 0xc8, 0x01] + long)
    }

    func testDecodesWithTheTestReader() throws {
        let bytes = encode {
            $0.int64(1, -5)
            $0.string(2, "a")
            $0.message(7) { $0.packedInt64(1, [1, 2, 300]) }
            $0.string(2, "b")
        }
        let message = try ProtobufMessage(bytes)
        XCTAssertEqual(message.int(1), -5)
        XCTAssertEqual(message.strings(2), ["a", "b"])
        XCTAssertEqual(try message.message(7)?.ints(1), [1, 2, 300])
    }
}
