/// An error meant for the person running `fsb`: its `description` is one line naming
/// where the problem is (file, byte offset or JSON path), what was expected and what
/// was found. The CLI prints it to stderr and exits non-zero, without a stack trace.
public protocol UserFacingError: Error, CustomStringConvertible {}

/// A generic user-facing error carrying a ready message.
public struct FSBError: UserFacingError, Equatable {
    /// The one-line message.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
