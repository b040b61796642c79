import CZlib
import Foundation

/// CRC-32 (IEEE 802.3, the polynomial of zip, gzip and PNG) from zlib's `crc32`,
/// as used by the checkpoint format to detect corrupted sections.
public struct CRC32: Sendable {
    /// The checksum of the bytes given so far.
    public private(set) var value: UInt32 = 0

    public init() {}

    /// Adds bytes to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return }
        var remaining = bytes.count
        var crc = uLong(value)
        while remaining > 0 {
            let chunk = min(remaining, Int(UInt32.max / 2))
            crc = crc32(crc, base, uInt(chunk))
            base += chunk
            remaining -= chunk
        }
        value = UInt32(truncatingIfNeeded: crc)
    }

    /// Adds bytes to the checksum.
    public mutating func update<C: ContiguousBytes>(_ bytes: C) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The CRC-32 of `bytes`.
    public static func checksum<C: ContiguousBytes>(_ bytes: C) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    /// The checksum as 8 lower-case hex digits (`cbf43926`).
    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
