/// A forward-only stream of uncompressed bytes: a (possibly gzipped) file or one member
/// of a tar archive. Readers decode from it without knowing where the bytes come from.
public protocol ByteSource: AnyObject {
    /// Name used in error messages (a path, or `archive:member`).
    var name: String { get }
    /// Uncompressed bytes delivered so far.
    var position: Int { get }
    /// Fills `buffer` as far as possible; returns the number of bytes written, which is
    /// smaller than `buffer.count` only at the end of the stream (0 once it is exhausted).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Reads exactly `buffer.count` bytes or throws an error naming `what` was being read,
    /// the offset and how many bytes were missing.
    public func readExactly(into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        let start = position
        let got = try read(into: buffer)
        if got < buffer.count {
            throw DataFileError(file: name, offset: start,
                                "file ends after \(got) of the \(buffer.count) bytes of \(what) (expected \(buffer.count) more bytes at byte \(start), stream ended at byte \(start + got))")
        }
    }

    /// Reads exactly `count` bytes into a new array.
    public func readBytes(count: Int, what: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try readExactly(into: $0, what: what) }
        return bytes
    }

    /// Reads up to `count` bytes (fewer only at the end of the stream) into a new array that
    /// grows with the data actually read (from 64 KiB, doubling), so a corrupt header
    /// announcing a huge size cannot make the reader allocate more than twice what the
    /// stream holds.
    public func readPrefix(count: Int) throws -> [UInt8] {
        let firstChunk = 64 << 10
        var bytes = [UInt8](repeating: 0, count: min(count, firstChunk))
        var filled = 0
        while filled < count {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: min(count - filled, bytes.count)) }
            let end = bytes.count
            let got = try bytes.withUnsafeMutableBytes { buffer in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<end]))
            }
            filled += got
            if filled < end { break }
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes
    }

    /// Reads everything that is left into a new array.
    public func readToEnd() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<got])
        }
    }

    /// Throws when any byte is left: the content is longer than its header announced.
    public func expectEnd(after what: String) throws {
        var probe: UInt8 = 0
        let start = position
        let got = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
        if got > 0 {
            var extra = got
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let more = try chunk.withUnsafeMutableBytes { try read(into: $0) }
                if more == 0 { break }
                extra += more
            }
            throw DataFileError(file: name, offset: start,
                                "expected end of file after \(what), found \(extra) extra bytes")
        }
    }
}
