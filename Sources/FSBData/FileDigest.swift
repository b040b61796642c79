/// SHA-256 and length of the uncompressed content of a byte source, computed while
/// streaming through it in 1 MiB chunks.
public struct FileDigest: Equatable, Sendable {
    /// Uncompressed bytes.
    public let bytes: Int
    /// SHA-256, lowercase hex.
    public let sha256: String

    public init(bytes: Int, sha256: String) {
        self.bytes = bytes
        self.sha256 = sha256
    }

    /// Digest of everything left in `source`.
    public static func of(_ source: ByteSource) throws -> FileDigest {
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { break }
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            total += got
        }
        return FileDigest(bytes: total, sha256: hasher.finalizeHex())
    }
}
