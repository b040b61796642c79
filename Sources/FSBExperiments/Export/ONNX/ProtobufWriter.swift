import Foundation

/// A minimal encoder for the Protocol Buffers wire format (proto3 encoding rules), enough
/// to write the handful of ONNX messages `ONNXModel` needs.
///
/// Why hand-written and not apple/swift-protobuf: `fsb export` only ever *writes* about ten
/// small message types (model, graph, node, attribute, tensor, value info, type, shape,
/// opset id, string-string entry) with four field kinds — varint integers, 32-bit floats,
/// length-delimited bytes (strings, packed arrays, nested messages). That is a few dozen
/// lines of well-specified encoding (https://protobuf.dev/programming-guides/encoding/),
/// tested byte for byte against hand-computed encodings; swift-protobuf would add a package
/// dependency plus generated code for the whole of `onnx.proto` (thousands of lines,
/// regenerated with protoc and its plugin whenever the schema moves) to write them.
///
/// Field numbers and wire types follow https://protobuf.dev/programming-guides/encoding/:
/// a key is the varint `(field << 3) | wireType`, wire type 0 = varint, 2 = length-delimited,
/// 5 = 32-bit little-endian. Negative `int64`/`int32` values are written as their 64-bit
/// two's complement varint (10 bytes), as protobuf requires for `int64`/`int32` fields.
/// Empty strings and zero scalars are written when asked: callers omit defaults themselves.
public struct ProtobufWriter {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Wire types used here.
    enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// Appends `value` as a base-128 varint (least significant group first).
    public mutating func appendVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(remaining & 0x7f) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    mutating func appendKey(_ field: Int, _ wireType: WireType) {
        precondition(field >= 1 && field < (1 << 29), "protobuf field number \(field) out of range")
        appendVarint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// An `int64` (or `int32`, `enum`) field.
    public mutating func int64(_ field: Int, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A `float` field (32-bit little-endian).
    public mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A nested message field: `body` writes the message's own fields.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        bytes(field, nested.bytes)
    }

    /// A packed `repeated int64` field (one length-delimited run of varints); nothing for an
    /// empty array, as proto3 does.
    public mutating func packedInt64(_ field: Int, _ values: [Int64]) {
        guard !values.isEmpty else { return }
        var run = ProtobufWriter()
        for value in values { run.appendVarint(UInt64(bitPattern: value)) }
        bytes(field, run.bytes)
    }

    /// A packed `repeated float` field; nothing for an empty array.
    public mutating func packedFloat(_ field: Int, _ values: [Float]) {
        guard !values.isEmpty else { return }
        var run: [UInt8] = []
        run.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { run.append(contentsOf: $0) } }
        bytes(field, run)
    }
}
