import CZlib
import FSBCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Streams the uncompressed content of a file that may or may not be gzipped.
///
/// The first two bytes are sniffed: `1f 8b` means gzip, anything else is passed through
/// unchanged (so `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz` read the same).
/// Compressed input is read in chunks (1 MiB by default) and inflated by zlib straight
/// into the caller's buffer; concatenated gzip members (RFC 1952 §2.2) are read one after
/// the other. Every failure — missing file, truncated stream, corrupt data, bad CRC — is a
/// `DataFileError` naming the file, the compressed byte offset and the decompressed bytes so far.
public final class GzipReader: ByteSource {
    public let name: String
    public private(set) var position: Int = 0
    /// Whether the file is gzip (false: raw bytes passed through).
    public let isCompressed: Bool
    /// Gzip members finished so far.
    public private(set) var membersRead = 0

    private let descriptor: Int32
    private let input: UnsafeMutableRawBufferPointer
    /// Unconsumed bytes at the start of `input` in raw mode (the sniffed prefix).
    private var rawPending = 0
    private var rawPendingOffset = 0
    /// Bytes read from the file so far.
    private var fileBytesRead = 0
    private var endOfFile = false
    private var stream: UnsafeMutablePointer<z_stream>?
    /// True between a member's header and its Z_STREAM_END.
    private var insideMember = false
    private var finished = false

    /// Opens `path`; throws when it cannot be opened or read.
    public init(path: String, inputBufferSize: Int = 1 << 20) throws {
        name = path
        // Only regular files: a FIFO or device would block or never end.
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw DataFileError(file: path, "expected a regular file, found \(RegularFile.kindName(mode: info.st_mode))")
        }
        descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            let reason = errno == ENOENT ? "file not found" : "cannot open (\(String(cString: strerror(errno))))"
            throw DataFileError(file: path, reason)
        }
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(inputBufferSize, 64), alignment: 64)
        var sniffed = 0
        do {
            sniffed = try Self.fill(descriptor, input, from: 0, path: path)
        } catch {
            close(descriptor)
            input.deallocate()
            throw error
        }
        fileBytesRead = sniffed
        endOfFile = sniffed < input.count
        isCompressed = sniffed >= 2 && input[0] == 0x1f && input[1] == 0x8b
        if isCompressed {
            let zstream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            zstream.initialize(to: z_stream())
            zstream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
            zstream.pointee.avail_in = UInt32(sniffed)
            // 16 + 15: gzip wrapper only, 32 KiB window.
            let status = inflateInit2_(zstream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            if status != Z_OK {
                zstream.deallocate()
                close(descriptor)
                input.deallocate()
                throw DataFileError(file: path, "zlib inflateInit2 failed with status \(status)")
            }
            stream = zstream
            insideMember = true
        } else {
            rawPending = sniffed
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        close(descriptor)
        input.deallocate()
    }

    /// A cheap guess of the uncompressed size (for reserving memory): the gzip trailer's
    /// ISIZE of the last member (size mod 2^32), or the file size for raw files.
    public var uncompressedSizeHint: Int? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let fileSize = Int(info.st_size)
        if !isCompressed { return fileSize }
        guard fileSize >= 18 else { return nil }
        var trailer: UInt32 = 0
        let got = withUnsafeMutableBytes(of: &trailer) { pread(descriptor, $0.baseAddress, 4, off_t(fileSize - 4)) }
        guard got == 4 else { return nil }
        return Int(UInt32(littleEndian: trailer))
    }

    /// Reads from `descriptor` until `buffer[start...]` is full or the file ends.
    private static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, from start: Int, path: String) throws -> Int {
        var total = 0
        while start + total < buffer.count {
            let got = Glibc.read(descriptor, buffer.baseAddress! + start + total, buffer.count - start - total)
            if got < 0 {
                if errno == EINTR { continue }
                throw DataFileError(file: path, offset: total, "read failed (\(String(cString: strerror(errno))))")
            }
            if got == 0 { break }
            total += got
        }
        return total
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, !finished else { return 0 }
        let produced = isCompressed ? try inflateInto(buffer) : try copyRawInto(buffer)
        position += produced
        return produced
    }

    private func copyRawInto(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var produced = 0
        if rawPending > 0 {
            let n = min(rawPending, buffer.count)
            buffer.baseAddress!.copyMemory(from: input.baseAddress! + rawPendingOffset, byteCount: n)
            rawPending -= n
            rawPendingOffset += n
            produced = n
        }
        if produced < buffer.count && !endOfFile {
            let got = try Self.fill(descriptor, buffer, from: produced, path: name)
            if got < buffer.count - produced { endOfFile = true }
            produced += got
            fileBytesRead += got
        }
        if produced == 0 { finished = true }
        return produced
    }

    /// Compressed bytes consumed by zlib so far.
    private var compressedOffset: Int {
        fileBytesRead - Int(stream?.pointee.avail_in ?? 0)
    }

    private func refillInput() throws {
        guard let stream, !endOfFile else { return }
        let got = try Self.fill(descriptor, input, from: 0, path: name)
        if got < input.count { endOfFile = true }
        fileBytesRead += got
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(got)
    }

    private func inflateInto(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let stream else { return 0 }
        var produced = 0
        while produced < buffer.count {
            if stream.pointee.avail_in == 0 {
                try refillInput()
                if stream.pointee.avail_in == 0 {
                    if insideMember {
                        throw DataFileError(file: name,
                                            "truncated gzip stream: compressed input ends at byte \(fileBytesRead) after \(position + produced) decompressed bytes (member \(membersRead + 1) incomplete)")
                    }
                    finished = true
                    break
                }
                if !insideMember {
                    inflateReset(stream)
                    insideMember = true
                }
            }
            let want = min(buffer.count - produced, Int(UInt32.max))
            stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(want)
            let status = inflate(stream, Z_NO_FLUSH)
            produced += want - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                insideMember = false
                membersRead += 1
                if stream.pointee.avail_in > 0 {
                    inflateReset(stream)
                    insideMember = true
                }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                let kind = message.contains("check") && !message.contains("header") ? "gzip CRC/length check failed" : "corrupt gzip data"
                throw DataFileError(file: name,
                                    "\(kind) (\(message)) at compressed byte \(compressedOffset) after \(position + produced) decompressed bytes")
            }
        }
        return produced
    }
}
