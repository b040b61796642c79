import Foundation
import XCTest

/// A tiny protobuf wire-format decoder for the tests: splits one message into its fields
/// (field number → values in order), independent of the encoder under test, so that an
/// exported ONNX file can be checked without Python.
struct ProtobufMessage {
    enum Value {
        case varint(UInt64)
        case fixed32(UInt32)
        case fixed64(UInt64)
        case bytes([UInt8])
    }

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var fields: [Int: [Value]] = [:]

    init(_ bytes: [UInt8]) throws {
        var position = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.count else { throw DecodeError(description: "varint runs past the end at byte \(position)") }
                let byte = bytes[position]
                position += 1
                guard shift < 64 else { throw DecodeError(description: "varint longer than 10 bytes at byte \(position)") }
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, position + count <= bytes.count else {
                throw DecodeError(description: "field of \(count) bytes runs past the end at byte \(position)")
            }
            defer { position += count }
            return Array(bytes[position..<(position + count)])
        }
        while position < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            guard field >= 1 else { throw DecodeError(description: "field number 0 at byte \(position)") }
            let value: Value
            switch key & 7 {
            case 0: value = .varint(try varint())
            case 1: value = .fixed64(try take(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            case 2: value = .bytes(try take(Int(try varint())))
            case 5: value = .fixed32(try take(4).enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
            default: throw DecodeError(description: "wire type \(key & 7) at byte \(position)")
            }
            fields[field, default: []].append(value)
        }
    }

    /// The last varint of `field` as a signed integer (0 when absent, as proto3 reads it).
    func int(_ field: Int) -> Int64 {
        guard case .varint(let raw)? = fields[field]?.last else { return 0 }
        return Int64(bitPattern: raw)
    }

    /// The last float of `field` (0 when absent).
    func float(_ field: Int) -> Float {
        guard case .fixed32(let raw)? = fields[field]?.last else { return 0 }
        return Float(bitPattern: raw)
    }

    /// Every length-delimited value of `field`.
    func allBytes(_ field: Int) -> [[UInt8]] {
        (fields[field] ?? []).compactMap { if case .bytes(let b) = $0 { return b } else { return nil } }
    }

    func string(_ field: Int) -> String { allBytes(field).last.map { String(decoding: $0, as: UTF8.self) } ?? "" }
    func strings(_ field: Int) -> [String] { allBytes(field).map { String(decoding: $0, as: UTF8.self) } }
    func messages(_ field: Int) throws -> [ProtobufMessage] { try allBytes(field).map(ProtobufMessage.init) }
    func message(_ field: Int) throws -> ProtobufMessage? { try messages(field).last }

    /// A repeated int64 field, packed or not.
    func ints(_ field: Int) throws -> [Int64] {
        var result: [Int64] = []
        for value in fields[field] ?? [] {
            switch value {
            case .varint(let raw): result.append(Int64(bitPattern: raw))
            case .bytes(let packed):
                var position = 0
                while position < packed.count {
                    var raw: UInt64 = 0, shift: UInt64 = 0
                    while true {
                        guard position < packed.count else { throw DecodeError(description: "packed varint runs past its field") }
                        let byte = packed[position]
                        position += 1
                        raw |= UInt64(byte & 0x7f) << shift
                        if byte & 0x80 == 0 { break }
                        shift += 7
                    }
                    result.append(Int64(bitPattern: raw))
                }
            default: throw DecodeError(description: "field \(field): expected int64 values")
            }
        }
        return result
    }
}

/// The parts of a decoded ONNX `ModelProto` the tests look at (field numbers of onnx.proto).
struct DecodedONNX {
    struct Node {
        var name: String, opType: String, inputs: [String], outputs: [String]
        var ints: [String: [Int64]], floats: [String: Float], int: [String: Int64]
    }
    struct Initializer {
        var name: String, dims: [Int64], dataType: Int64, raw: [UInt8]
        var floats: [Float] {
            stride(from: 0, to: raw.count, by: 4).map { i in
                Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
            }
        }
        var int64s: [Int64] {
            stride(from: 0, to: raw.count, by: 8).map { i in
                Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[i + $1]) << (8 * UInt64($1)) })
            }
        }
    }
    /// A value's shape: numbers, or "N" for a symbolic dimension.
    typealias Shape = [String]

    var irVersion: Int64
    var opsets: [(domain: String, version: Int64)]
    var producer: String
    var metadata: [String: String]
    var nodes: [Node]
    var initializers: [String: Initializer]
    var inputs: [String: Shape]
    var outputs: [String: Shape]
    var valueInfo: [String: Shape]

    init(_ bytes: [UInt8]) throws {
        let model = try ProtobufMessage(bytes)
        irVersion = model.int(1)
        producer = model.string(2)
        opsets = try model.messages(8).map { ($0.string(1), $0.int(2)) }
        metadata = [:]
        for entry in try model.messages(14) { metadata[entry.string(1)] = entry.string(2) }
        guard let graph = try model.message(7) else { throw ProtobufMessage.DecodeError(description: "no graph") }
        nodes = try graph.messages(1).map { node in
            var ints: [String: [Int64]] = [:], floats: [String: Float] = [:], int: [String: Int64] = [:]
            for attribute in try node.messages(5) {
                let name = attribute.string(1)
                switch attribute.int(20) {
                case 1: floats[name] = attribute.float(2)
                case 2: int[name] = attribute.int(3)
                case 7: ints[name] = try attribute.ints(8)
                default: throw ProtobufMessage.DecodeError(description: "attribute \(name): unexpected type \(attribute.int(20))")
                }
            }
            return Node(name: node.string(3), opType: node.string(4), inputs: node.strings(1), outputs: node.strings(2),
                        ints: ints, floats: floats, int: int)
        }
        initializers = [:]
        for tensor in try graph.messages(5) {
            initializers[tensor.string(8)] = Initializer(name: tensor.string(8), dims: try tensor.ints(1), dataType: tensor.int(2),
                                                         raw: tensor.allBytes(9).last ?? [])
        }
        func shapes(_ field: Int) throws -> [String: Shape] {
            var result: [String: Shape] = [:]
            for value in try graph.messages(field) {
                guard let type = try value.message(2), let tensor = try type.message(1) else {
                    throw ProtobufMessage.DecodeError(description: "value \(value.string(1)) has no tensor type")
                }
                XCTAssertEqual(tensor.int(1), 1, "value \(value.string(1)) should be float")
                let dims = try tensor.message(2)?.messages(1) ?? []
                result[value.string(1)] = dims.map { $0.fields[2] != nil ? $0.string(2) : String($0.int(1)) }
            }
            return result
        }
        inputs = try shapes(11)
        outputs = try shapes(12)
        valueInfo = try shapes(13)
    }

    /// The shape of a named value (graph input, output or intermediate).
    func shape(_ name: String) -> Shape? { inputs[name] ?? outputs[name] ?? valueInfo[name] }
}
