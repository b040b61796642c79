import FSBCore
import Foundation

/// A training checkpoint: the resolved config, where training stands, and named tensors.
///
/// File format (version 1, little-endian), documented in `docs/checkpoint-format.md`:
///
///     offset 0   8 bytes   magic "FSBCKPT\0"
///     offset 8   UInt32    format version (1)
///     offset 12  UInt64    header length H in bytes
///     offset 20  H bytes   header: UTF-8 JSON (`CheckpointHeader`)
///     offset 20+H          tensor data; each tensor at the offset its header entry gives,
///                          relative to the start of this section
///
/// FSB layers store their scaling factors and not their signs: the signs are regenerated
/// bit for bit from the config's seed and the layer name with the generator named in the
/// header. Signs taken from another checkpoint (`signInit: checkpoint`) cannot be
/// regenerated and are stored bit-packed (`dtype` `sign1`: bit set = -1).
public struct Checkpoint {
    /// The 8 magic bytes at the start of every checkpoint.
    public static let magic: [UInt8] = Array("FSBCKPT".utf8) + [0]
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1

    public var header: CheckpointHeader
    /// Tensors by name (parameters, buffers, optimizer state, stored signs).
    public var tensors: [String: Tensor]

    public init(header: CheckpointHeader, tensors: [String: Tensor]) {
        self.header = header
        self.tensors = tensors
    }

    /// Serialises the checkpoint.
    public func encoded() throws -> Data {
        var entries: [CheckpointHeader.TensorEntry] = []
        var payload = Data()
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!
            let kind = header.tensorKinds[name] ?? .parameter
            let bytes: Data
            let dtype: CheckpointHeader.DType
            if kind == .signs {
                dtype = .sign1
                bytes = Checkpoint.packSigns(tensor.storage)
            } else {
                dtype = .f32
                bytes = tensor.storage.withUnsafeBufferPointer { buffer in
                    var data = Data(capacity: buffer.count * 4)
                    for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                    return data
                }
            }
            entries.append(.init(name: name, kind: kind, dtype: dtype, shape: tensor.shape, offset: payload.count, bytes: bytes.count))
            payload.append(bytes)
        }
        var header = self.header
        header.tensorEntries = entries
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var data = Data(Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(payload)
        return data
    }

    /// Writes the checkpoint atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try AtomicFile.write(try encoded(), to: url)
    }

    /// Reads and validates a checkpoint file; every failure names the file and byte offset.
    public static func read(from url: URL) throws -> Checkpoint {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FSBError("\(path): cannot read checkpoint (does it exist?)")
        }
        return try decode(data, file: path)
    }

    /// Parses checkpoint bytes; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws -> Checkpoint {
        let bytes = [UInt8](data)
        guard bytes.count >= 20 else {
            throw FSBError("\(file): not an fsb checkpoint: file is \(bytes.count) bytes, shorter than the 20-byte preamble")
        }
        guard Array(bytes[0..<8]) == magic else {
            let found = bytes[0..<8].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw FSBError("\(file): not an fsb checkpoint: byte 0 expected magic \"FSBCKPT\\0\", found \(found)")
        }
        let version = readUInt32(bytes, at: 8)
        guard version == formatVersion else {
            throw FSBError("\(file): byte 8: checkpoint format version \(version) is not supported (this fsb reads version \(formatVersion))")
        }
        let headerLength = readUInt64(bytes, at: 12)
        guard headerLength <= UInt64(bytes.count - 20) else {
            throw FSBError("\(file): byte 12: header length \(headerLength) runs past the end of the file (\(bytes.count) bytes); the file is truncated")
        }
        let headerData = data.subdata(in: 20..<(20 + Int(headerLength)))
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: headerData)
        } catch let error as DecodingError {
            let problem = StrictJSON.configError(from: error, file: "")
            throw FSBError("\(file): byte 20: checkpoint header is not valid: \(problem.description)")
        } catch {
            throw FSBError("\(file): byte 20: checkpoint header is not valid: \(error)")
        }
        let base = 20 + Int(headerLength)
        var tensors: [String: Tensor] = [:]
        for entry in header.tensorEntries {
            let count = entry.shape.reduce(1, *)
            let expectedBytes = entry.dtype == .f32 ? count * 4 : (count + 7) / 8
            guard entry.shape.allSatisfy({ $0 >= 0 }), entry.bytes == expectedBytes, entry.offset >= 0,
                  base + entry.offset + entry.bytes <= bytes.count else {
                throw FSBError("\(file): byte \(base + entry.offset): tensor \"\(entry.name)\" of shape \(entry.shape) needs \(expectedBytes) bytes but the file holds \(max(0, bytes.count - base - entry.offset)); the file is truncated or corrupt")
            }
            let start = base + entry.offset
            switch entry.dtype {
            case .f32:
                var storage = [Float](repeating: 0, count: count)
                bytes.withUnsafeBytes { raw in
                    for i in 0..<count {
                        storage[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                }
                tensors[entry.name] = Tensor(shape: entry.shape, storage: storage)
            case .sign1:
                tensors[entry.name] = Tensor(shape: entry.shape, storage: unpackSigns(bytes, start: start, count: count))
            }
        }
        return Checkpoint(header: header, tensors: tensors)
    }

    /// Packs +1/-1 values into bits (bit set = -1), least significant bit first.
    static func packSigns(_ values: [Float]) -> Data {
        var packed = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (i, value) in values.enumerated() where value < 0 { packed[i / 8] |= 1 << UInt8(i % 8) }
        return Data(packed)
    }

    static func unpackSigns(_ bytes: [UInt8], start: Int, count: Int) -> [Float] {
        (0..<count).map { i in (bytes[start + i / 8] >> UInt8(i % 8)) & 1 == 1 ? -1 : 1 }
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    private static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
