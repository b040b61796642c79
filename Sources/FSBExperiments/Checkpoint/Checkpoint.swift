import FSBCore
import FSBData
import Foundation

/// A training checkpoint: the resolved config, where training stands, and named tensors.
///
/// File format (version 2, little-endian), documented in `docs/checkpoint-format.md`:
///
///     offset 0   8 bytes   magic "FSBCKPT\0"
///     offset 8   UInt32    format version (2)
///     offset 12  UInt64    header length H in bytes
///     offset 20  UInt32    CRC-32 of bytes 0..<20 followed by the H header bytes
///     offset 24  H bytes   header: UTF-8 JSON (`CheckpointHeader`), with the config's SHA-256
///                          and each tensor's CRC-32
///     offset 24+H          tensor data; each tensor at the offset its header entry gives,
///                          relative to the start of this section, back to back to the end
///
/// Version 1 (still read) has no header CRC (its header starts at offset 20), no tensor
/// CRCs and no config hash. Every read checks every checksum and refuses non-finite values.
///
/// FSB layers store their scaling factors and not their signs: the signs are regenerated
/// bit for bit from the config's seed and the layer name with the generator named in the
/// header. Signs taken from another checkpoint (`signInit: checkpoint`) cannot be
/// regenerated and are stored bit-packed (`dtype` `sign1`: bit set = -1).
public struct Checkpoint {
    /// The 8 magic bytes at the start of every checkpoint.
    public static let magic: [UInt8] = Array("FSBCKPT".utf8) + [0]
    /// The format version this build writes.
    public static let formatVersion: UInt32 = 2
    /// Every format version this build reads.
    public static let readableVersions: ClosedRange<UInt32> = 1...2

    public var header: CheckpointHeader
    /// Tensors by name (parameters, buffers, optimizer state, stored signs).
    public var tensors: [String: Tensor]
    /// The format version the checkpoint was read in (`formatVersion` for a new one).
    public var readVersion: UInt32 = Checkpoint.formatVersion

    public init(header: CheckpointHeader, tensors: [String: Tensor]) {
        self.header = header
        self.tensors = tensors
    }

    /// Serialises the checkpoint in the current format; a non-finite value in a tensor is
    /// refused (it could not be read back).
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
                if let index = tensor.storage.firstIndex(where: { !$0.isFinite }) {
                    throw NonFiniteTensor(name: name, element: index, value: tensor.storage[index])
                }
                bytes = tensor.storage.withUnsafeBufferPointer { buffer in
                    var data = Data(capacity: buffer.count * 4)
                    for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                    return data
                }
            }
            entries.append(.init(name: name, kind: kind, dtype: dtype, shape: tensor.shape, offset: payload.count,
                                 bytes: bytes.count, crc32: CRC32.checksum(bytes)))
            payload.append(bytes)
        }
        var header = self.header
        header.tensorEntries = entries
        header.configSHA256 = try header.config.resolvedSHA256()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var data = Data(Checkpoint.magic)
        withUnsafeBytes(of: Checkpoint.formatVersion.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        var headerCRC = CRC32()
        headerCRC.update(data)
        headerCRC.update(json)
        withUnsafeBytes(of: headerCRC.value.littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        data.append(payload)
        return data
    }

    /// Writes the checkpoint atomically (temporary file, then rename); nothing is written
    /// when a tensor holds a non-finite value.
    public func write(to url: URL) throws {
        let data: Data
        do {
            data = try encoded()
        } catch let problem as NonFiniteTensor {
            throw FSBError("\(url.path): not written: \(problem.description)")
        }
        try AtomicFile.write(data, to: url)
    }

    /// Reads and validates a checkpoint file; every failure names the file and byte offset.
    public static func read(from url: URL) throws -> Checkpoint {
        try decode(try bytes(atPath: url.path), file: url.path)
    }

    /// The bytes of the checkpoint file `path`; a folder or an unreadable path is an error
    /// naming it.
    public static func bytes(atPath path: String) throws -> Data {
        guard let data = RegularFile.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw FSBError("\(path): expected an fsb checkpoint file (.fsbckpt), found a folder")
            }
            throw FSBError("\(path): cannot read checkpoint: \(RegularFile.whyUnreadable(path))")
        }
        return data
    }

    /// Parses checkpoint bytes; `file` names the source in errors. Checks the magic, the
    /// version, every length and offset against the file (without overflow), the header and
    /// tensor CRC-32s (format 2) and that every float is finite.
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
        guard readableVersions.contains(version) else {
            throw FSBError("\(file): byte 8: checkpoint format version \(version) is not supported (this fsb reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound))")
        }
        let checksummed = version >= 2
        let headerStart = checksummed ? 24 : 20
        guard bytes.count >= headerStart else {
            throw FSBError("\(file): byte 20: file is \(bytes.count) bytes, shorter than the \(headerStart)-byte preamble of format \(version); the file is truncated")
        }
        let headerLength = readUInt64(bytes, at: 12)
        guard headerLength <= UInt64(bytes.count - headerStart) else {
            throw FSBError("\(file): byte 12: header length \(headerLength) runs past the end of the file (\(bytes.count) bytes); the file is truncated")
        }
        let headerEnd = headerStart + Int(headerLength)
        if checksummed {
            var crc = CRC32()
            bytes.withUnsafeBytes { raw in
                crc.update(UnsafeRawBufferPointer(rebasing: raw[0..<20]))
                crc.update(UnsafeRawBufferPointer(rebasing: raw[headerStart..<headerEnd]))
            }
            let stored = readUInt32(bytes, at: 20)
            guard crc.value == stored else {
                throw FSBError("\(file): bytes 0..<\(headerEnd) (preamble and header): CRC-32 is \(CRC32.hex(crc.value)), the file records \(CRC32.hex(stored)); the file is corrupt")
            }
        }
        let header: CheckpointHeader
        do {
            header = try StrictJSON.decode(CheckpointHeader.self, from: data.subdata(in: headerStart..<headerEnd), file: "")
        } catch let problem as UserFacingError {
            throw FSBError("\(file): byte \(headerStart): checkpoint header is not valid: \(problem.description)")
        }
        if checksummed && header.configSHA256 == nil {
            throw FSBError("\(file): byte \(headerStart): checkpoint header: configSHA256: missing (required in format \(version))")
        }
        let base = headerEnd
        var tensors: [String: Tensor] = [:]
        var covered = 0
        for entry in header.tensorEntries {
            let start = CheckedArithmetic.add(base, entry.offset)
            let end = start.flatMap { CheckedArithmetic.add($0, entry.bytes) }
            let count = CheckedArithmetic.product(entry.shape)
            let expectedBytes = count.flatMap { entry.dtype == .f32 ? CheckedArithmetic.multiply($0, 4) : $0 / 8 + ($0 % 8 == 0 ? 0 : 1) }
            guard let start, let end, let count, let expectedBytes, entry.offset >= 0, entry.bytes == expectedBytes,
                  end <= bytes.count else {
                let at = start.map(String.init) ?? "\(base) + \(entry.offset)"
                let needs = expectedBytes.map { "\($0) bytes" } ?? "more bytes than an Int can count"
                throw FSBError("\(file): byte \(at): tensor \"\(entry.name)\" of shape \(entry.shape) needs \(needs) but its entry says \(entry.bytes) at offset \(entry.offset) and the file holds \(bytes.count) bytes; the file is truncated or corrupt")
            }
            guard tensors[entry.name] == nil else {
                throw FSBError("\(file): byte \(headerStart): checkpoint header: tensorEntries: tensor \"\(entry.name)\" appears twice")
            }
            if checksummed {
                guard let stored = entry.crc32 else {
                    throw FSBError("\(file): byte \(headerStart): checkpoint header: tensor \"\(entry.name)\": crc32: missing (required in format \(version))")
                }
                let computed = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                guard computed == stored else {
                    throw FSBError("\(file): bytes \(start)..<\(end) (tensor \"\(entry.name)\"): CRC-32 is \(CRC32.hex(computed)), the header records \(CRC32.hex(stored)); the file is corrupt")
                }
                covered += entry.bytes
            }
            switch entry.dtype {
            case .f32:
                var storage = [Float](repeating: 0, count: count)
                bytes.withUnsafeBytes { raw in
                    for i in 0..<count {
                        storage[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                }
                if let index = storage.firstIndex(where: { !$0.isFinite }) {
                    throw FSBError("\(file): byte \(start + 4 * index): tensor \"\(entry.name)\" element \(index) is \(storage[index]); expected a finite number")
                }
                tensors[entry.name] = Tensor(shape: entry.shape, storage: storage)
            case .sign1:
                tensors[entry.name] = Tensor(shape: entry.shape, storage: unpackSigns(bytes, start: start, count: count))
            }
        }
        if checksummed && covered != bytes.count - base {
            throw FSBError("\(file): byte \(base): the data section holds \(bytes.count - base) bytes but the tensors listed in the header cover \(covered); the file is corrupt")
        }
        var checkpoint = Checkpoint(header: header, tensors: tensors)
        checkpoint.readVersion = version
        return checkpoint
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

/// A tensor value that is NaN or infinite: such a state is never written to a checkpoint.
public struct NonFiniteTensor: UserFacingError, Equatable {
    public let name: String
    public let element: Int
    public let value: Float
    public var description: String { "tensor \"\(name)\" element \(element) is \(value); the training state is not finite" }
}
