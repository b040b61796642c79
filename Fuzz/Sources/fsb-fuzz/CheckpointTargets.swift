import Foundation
import FSBData
import FSBExperiments

/// The checkpoint reader (`Checkpoint.read`, as `fsb eval` and `--resume` call it).
enum CheckpointTargets {
    /// Reads and validates the checkpoint at `path`.
    static func read(_ path: String) {
        expectClean(naming: path) {
            _ = try Checkpoint.read(from: URL(fileURLWithPath: path))
        }
    }

    /// `input` with bytes 20..<24 set to the CRC-32 of the preamble and the header, when
    /// the input is long enough to hold a format-2 preamble and the header it announces;
    /// otherwise `input` unchanged.
    static func fixingHeaderCRC(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var bytes = [UInt8](input)
        guard bytes.count >= 24 else { return bytes }
        let length = bytes[12..<20].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(bytes.count - 24) else { return bytes }
        var crc = CRC32()
        crc.update(bytes[0..<20])
        crc.update(bytes[24..<(24 + Int(length))])
        withUnsafeBytes(of: crc.value.littleEndian) { bytes.replaceSubrange(20..<24, with: $0) }
        return bytes
    }

    /// Re-encodes the checkpoint at `source` (format 1 or 2) in the current format into
    /// `destination`: how `scripts/fuzz.sh` makes a format-2 seed from the format-1 fixture.
    static func reencode(_ source: String, to destination: String) throws {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: source))
        try checkpoint.encoded().write(to: URL(fileURLWithPath: destination))
    }
}
