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
/// "cannot read". The file is read with `open`/`read` rather than
/// `FileManager.contents(atPath:)`, which leaks a 4 KiB buffer on every empty file
/// (found by fuzzing, `scripts/fuzz.sh`).
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
}
