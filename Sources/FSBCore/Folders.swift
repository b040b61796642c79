import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Creates folders with POSIX `mkdir`, so that a failure is reported in the operating
/// system's words and names the folder that could not be made
/// (`out/plain: cannot create folder: Not a directory`).
public enum Folders {
    /// Creates `path` and every missing parent; an existing folder is fine.
    public static func create(_ path: String) throws {
        var isFolder = false
        if exists(path, isFolder: &isFolder), isFolder { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
                throw FSBError("\(prefix): cannot create folder: \(String(cString: strerror(errno)))")
            }
        }
        guard exists(path, isFolder: &isFolder), isFolder else {
            throw FSBError("\(path): cannot create folder: \(String(cString: strerror(ENOTDIR)))")
        }
    }

    /// Throws what `create(path)` would throw for a path whose nearest existing ancestor
    /// (or itself) is not a folder, without creating anything: so that a group of files
    /// can be refused before any of its folders is made.
    public static func checkCreatable(_ path: String) throws {
        let wanted = URL(fileURLWithPath: path).standardizedFileURL
        var current = wanted
        while true {
            var isFolder = false
            if exists(current.path, isFolder: &isFolder) {
                if isFolder { return }
                let reason = current == wanted ? "a file of that name is in the way" : "\(current.path) is not a folder"
                throw FSBError("\(wanted.path): cannot create folder: \(reason)")
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return }
            current = parent
        }
    }

    private static func exists(_ path: String, isFolder: inout Bool) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        isFolder = (info.st_mode & S_IFMT) == S_IFDIR
        return true
    }
}
