/// Walks the members of a tar archive (POSIX ustar, with GNU long names and pax `path`
/// records) read from a `ByteSource`, typically a `GzipReader` over a `.tar.gz`.
///
/// Streaming: each member is exposed as a `TarMember` byte source; asking for the next
/// member skips whatever is left of the current one. Nothing is buffered beyond one
/// 512-byte header. Headers are checked (checksum, octal size) and a truncated archive
/// is an error naming the member.
public final class TarArchiveReader {
    /// Size of a tar block; headers and member content are padded to it.
    public static let blockSize = 512

    private let source: ByteSource
    private var current: TarMember?
    private var finished = false

    public init(source: ByteSource) {
        self.source = source
    }

    /// The next member (regular files, directories and links alike), or nil at the end
    /// of the archive (two zero blocks, or end of stream on a block boundary).
    public func nextMember() throws -> TarMember? {
        if finished { return nil }
        if let current {
            try skip(current.remaining + current.padding, what: "the rest of member \(current.path)")
            current.detach()
            self.current = nil
        }
        var longPath: String?
        while true {
            let headerOffset = source.position
            var header = [UInt8](repeating: 0, count: Self.blockSize)
            let got = try header.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 {
                finished = true
                return nil
            }
            if got < Self.blockSize {
                throw DataFileError(file: source.name, offset: headerOffset,
                                    "truncated tar archive: expected a 512-byte header, found \(got) bytes")
            }
            if header.allSatisfy({ $0 == 0 }) {
                finished = true
                return nil
            }
            let parsed = try TarHeader(block: header, archive: source.name, offset: headerOffset)
            let padding = (Self.blockSize - parsed.size % Self.blockSize) % Self.blockSize
            switch parsed.typeFlag {
            case UInt8(ascii: "L"):
                // GNU long name: the content is the path of the next member.
                let bytes = try source.readBytes(count: parsed.size, what: "GNU long name of the member after byte \(headerOffset)")
                try skip(padding, what: "padding of a GNU long name")
                longPath = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "x"):
                let bytes = try source.readBytes(count: parsed.size, what: "pax header at byte \(headerOffset)")
                try skip(padding, what: "padding of a pax header")
                if let path = TarHeader.paxPath(bytes) { longPath = path }
            case UInt8(ascii: "g"):
                try skip(parsed.size + padding, what: "pax global header")
            default:
                let member = TarMember(archive: self, path: longPath ?? parsed.path, size: parsed.size,
                                       typeFlag: parsed.typeFlag, padding: padding,
                                       archiveName: source.name)
                current = member
                return member
            }
        }
    }

    /// Reads and discards `count` bytes of the archive.
    private func skip(_ count: Int, what: String) throws {
        guard count > 0 else { return }
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 20))
        var left = count
        while left > 0 {
            let n = min(left, scratch.count)
            try scratch.withUnsafeMutableBytes { buffer in
                try source.readExactly(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]), what: what)
            }
            left -= n
        }
    }

    /// Reads content of the current member straight from the archive stream.
    fileprivate func readMemberContent(into buffer: UnsafeMutableRawBufferPointer, member: TarMember) throws -> Int {
        let got = try source.read(into: buffer)
        if got < buffer.count {
            throw DataFileError(file: member.name, offset: member.position + got,
                                "truncated tar archive: member of \(member.size) bytes ends after \(member.position + got) bytes")
        }
        return got
    }
}

/// One member of a tar archive, readable as a byte source while it is the current member.
public final class TarMember: ByteSource {
    /// Path inside the archive, e.g. `cifar-10-batches-bin/data_batch_1.bin`.
    public let path: String
    /// Content size in bytes.
    public let size: Int
    /// Tar type flag (`0` or NUL: regular file, `5`: directory, ...).
    public let typeFlag: UInt8
    /// `archive:path`, used in error messages.
    public let name: String
    public private(set) var position = 0
    fileprivate let padding: Int
    private weak var archive: TarArchiveReader?

    fileprivate init(archive: TarArchiveReader, path: String, size: Int, typeFlag: UInt8, padding: Int, archiveName: String) {
        self.archive = archive
        self.path = path
        self.size = size
        self.typeFlag = typeFlag
        self.padding = padding
        self.name = "\(archiveName):\(path)"
    }

    /// True for regular files.
    public var isRegularFile: Bool { typeFlag == UInt8(ascii: "0") || typeFlag == 0 || typeFlag == UInt8(ascii: "7") }

    /// The last path component.
    public var fileName: String { String(path.split(separator: "/").last ?? Substring(path)) }

    fileprivate var remaining: Int { size - position }

    fileprivate func detach() { archive = nil }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, remaining)
        guard n > 0 else { return 0 }
        guard let archive else {
            throw DataFileError(file: name, offset: position, "member read after the archive moved on to the next member")
        }
        let got = try archive.readMemberContent(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]), member: self)
        position += got
        return got
    }
}
