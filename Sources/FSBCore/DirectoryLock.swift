#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Thrown when another process already writes to a folder.
public struct DirectoryLockHeld: UserFacingError, Equatable {
    public let directory: String
    public init(directory: String) { self.directory = directory }
    public var description: String {
        "\(directory): another fsb process is writing to this folder (it holds the lock \(directory)/\(DirectoryLock.fileName)); wait for it to finish or choose another output folder"
    }
}

/// An advisory `flock` on `<folder>/.fsb.lock`, held while a process writes into the folder
/// (a training run, a compare output, a compare cell). The kernel releases it when the
/// process exits, however it dies, so a stale lock file never blocks anyone; a second
/// writer is refused at once (`DirectoryLockHeld`), never made to wait.
///
/// Exclusive locks exclude every other lock; shared locks (the shards of one compare grid
/// writing into one output folder) exclude only exclusive ones. The descriptor is opened
/// close-on-exec, so child processes never inherit the lock.
public final class DirectoryLock {
    /// The lock file's name inside the locked folder.
    public static let fileName = ".fsb.lock"

    public let directory: String
    private var descriptor: Int32

    /// Creates `directory` if needed and takes the lock, or throws `DirectoryLockHeld`.
    public init(directory: String, shared: Bool = false) throws {
        self.directory = directory
        try Folders.create(directory)
        let path = directory + "/" + DirectoryLock.fileName
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FSBError("\(path): cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            descriptor = -1
            if code == EWOULDBLOCK { throw DirectoryLockHeld(directory: directory) }
            throw FSBError("\(path): cannot lock: \(String(cString: strerror(code)))")
        }
    }

    /// Takes and immediately releases the lock: throws `DirectoryLockHeld` when another
    /// process holds it now.
    public static func probe(directory: String) throws {
        try DirectoryLock(directory: directory).release()
    }

    /// Releases the lock (also done when the object is freed).
    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }
}
