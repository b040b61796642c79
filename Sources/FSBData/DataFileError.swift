import FSBCore

/// A problem with a data file, reported on one line: the file (or `archive:member`),
/// the byte offset where it was found when known, and what was expected versus found.
///
/// Offsets are in the uncompressed content unless the message says "compressed byte".
public struct DataFileError: UserFacingError, Equatable {
    /// The file the problem is in (for tar members: `archive.tar.gz:member/path`).
    public let file: String
    /// Byte offset of the problem, when it has one.
    public let offset: Int?
    /// What was expected and what was found.
    public let detail: String

    public init(file: String, offset: Int? = nil, _ detail: String) {
        self.file = file
        self.offset = offset
        self.detail = detail
    }

    /// One line: control characters (a tar member's name may hold any) are escaped.
    public var description: String {
        if let offset { return "\(file): at byte \(offset): \(detail)".asErrorLine }
        return "\(file): \(detail)".asErrorLine
    }
}
