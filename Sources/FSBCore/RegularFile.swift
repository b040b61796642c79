import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Reads whole files for the config, spec, hardware, topology and checkpoint readers.
///
/// Only regular files are read: a FIFO, device or folder given where a file is expected
/// would block (`/dev/stdin`), never end (`/dev/zero`) or make no sense, so it reads as
/// "cannot read", with the reason (`data(atPath:what:)`). The file is read with
/// `open`/`read` rather than `FileManager.contents(atPath:)`, which leaks a 4 KiB buffer
/// on every empty file (found by fuzzing, `scripts/fuzz.sh`).
public enum RegularFile {
    /// The bytes of the regular file at `path`, or nil when it does not exist, cannot be
    /// opened or read, or is not a regular file.
    public static func contents(atPath path: String) -> Data? {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat refuses it next).
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { return data }
            data.append(contentsOf: chunk[0..<got])
        }
    }

    /// The bytes of the regular file at `path`; otherwise throws one line naming the path,
    /// `what` it should be (`checkpoint`, `hardware config`) and why it cannot be read: no
    /// such file, another kind of file (`expected a regular file, found a FIFO`), or the
    /// system's reason.
    public static func data(atPath path: String, what: String) throws -> Data {
        if let data = contents(atPath: path) { return data }
        throw FSBError("\(path): cannot read \(what): \(whyUnreadable(path))")
    }

    /// Why `contents(atPath:)` returns nil for `path`: `no such file`, `expected a regular
    /// file, found a FIFO`, or the system's reason.
    public static func whyUnreadable(_ path: String) -> String {
        var info = stat()
        if stat(path, &info) != 0 {
            return errno == ENOENT ? "no such file" : String(cString: strerror(errno))
        }
        if (info.st_mode & S_IFMT) != S_IFREG { return "expected a regular file, found \(kindName(mode: info.st_mode))" }
        if access(path, R_OK) != 0 { return String(cString: strerror(errno)) }
        return "the read failed"
    }

    /// `a folder`, `a FIFO`, `a device`, `a socket`, `a symbolic link` or `a regular file`
    /// for the file type bits of `mode`.
    public static func kindName(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR, S_IFBLK: return "a device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a file of unknown kind"
        }
    }

    /// Throws when the output file `output` (given as `option`) is one of the `inputs`
    /// (the same path, or the same file through another path or a hard link): writing it
    /// would destroy the input it is made from.
    public static func refuseOverwriting(inputs: [(option: String, path: String)], with output: String, option: String) throws {
        var out = stat()
        let outputExists = stat(output, &out) == 0
        let outputPath = URL(fileURLWithPath: output).standardizedFileURL.path
        for input in inputs {
            var info = stat()
            let sameFile = outputExists && stat(input.path, &info) == 0 && info.st_dev == out.st_dev && info.st_ino == out.st_ino
            if sameFile || URL(fileURLWithPath: input.path).standardizedFileURL.path == outputPath {
                throw FSBError("\(option) \(output): is the \(input.option) file \(input.path); writing it would destroy its input, choose another path")
            }
        }
    }
}
