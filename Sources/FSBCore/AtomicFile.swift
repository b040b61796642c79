import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader never sees them half-written: the bytes go to a
/// temporary file in the same folder, which is flushed and then renamed over the target.
/// `writeGroup` does the same for several files as one unit: every file is written to its
/// temporary first, and only when all are written are they renamed into place, so a full
/// disk leaves none of them rather than some.
public enum AtomicFile {
    /// Atomically replaces `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try writeGroup([(url, data)])
    }

    /// Atomically replaces `url` with UTF-8 `text`.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Writes every file, or (on any error) none of them. A target that is a folder (which
    /// a rename cannot replace), a device, a FIFO or a socket (which a rename would replace
    /// by a plain file: `/dev/null`) is refused before anything is written. When a rename fails
    /// part-way (a target that cannot be replaced, such as an immutable file), the files
    /// already renamed are put back as they were: each file a group replaces is kept first
    /// (a hard link, or a copy where the file system has none) until all are in place.
    /// The files at `stale` (an earlier run's outputs this group has no new version of) are
    /// part of the group: they are gone when it is written, and still there when it is not.
    public static func writeGroup(_ files: [(url: URL, data: Data)], removing stale: [URL] = []) throws {
        let targets = Set(files.map(\.url.standardizedFileURL))
        let stale = stale.filter { !targets.contains($0.standardizedFileURL) }
        for url in files.map(\.url) + stale {
            try Folders.checkCreatable(url.deletingLastPathComponent().path)
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind != S_IFREG && kind != S_IFLNK {
                throw FSBError("\(url.path): cannot write: expected a file or nothing there, found \(RegularFile.kindName(mode: info.st_mode))")
            }
        }
        var temporaries: [URL] = []
        var kept: [URL: URL] = [:]   // target -> its previous content
        defer {
            for temporary in temporaries { try? FileManager.default.removeItem(at: temporary) }
            for previous in kept.values { unlink(previous.path) }
        }
        for (url, data) in files { temporaries.append(try writeTemporary(data, for: url)) }
        if files.count > 1 {
            for (url, _) in files where FileManager.default.fileExists(atPath: url.path) {
                let previous = sibling(of: url, suffix: "old")
                unlink(previous.path)
                if link(url.path, previous.path) != 0 {
                    do {
                        try FileManager.default.copyItem(at: url, to: previous)
                    } catch {
                        throw FSBError("\(url.path): cannot write: cannot keep the file it replaces: \(reason(error))")
                    }
                }
                kept[url] = previous
            }
        }
        // Stale files are set aside (renamed beside themselves) first, and put back on failure.
        var setAside: [(url: URL, aside: URL)] = []
        func restoreSetAside() { for (url, aside) in setAside.reversed() { rename(aside.path, url.path) } }
        for url in stale {
            var info = stat()
            guard lstat(url.path, &info) == 0 else { continue }
            let aside = sibling(of: url, suffix: "stale")
            guard rename(url.path, aside.path) == 0 else {
                let failure = String(cString: strerror(errno))
                restoreSetAside()
                throw FSBError("\(url.path): cannot remove the earlier run's file: \(failure)")
            }
            setAside.append((url, aside))
        }
        var placed: [URL] = []
        for (temporary, (url, _)) in zip(temporaries, files) {
            guard rename(temporary.path, url.path) == 0 else {
                let failure = String(cString: strerror(errno))
                for target in placed {
                    if let previous = kept.removeValue(forKey: target) { rename(previous.path, target.path) } else { unlink(target.path) }
                }
                restoreSetAside()
                throw FSBError("\(url.path): cannot rename temporary file into place: \(failure)")
            }
            placed.append(url)
        }
        temporaries.removeAll()
        for (_, aside) in setAside { unlink(aside.path) }
    }

    /// `.<name>.<pid>.<suffix>` beside `url`: the temporary and kept files of a write.
    private static func sibling(of url: URL, suffix: String) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(suffix)")
    }

    /// Writes and flushes `data` to a temporary file beside `url`; returns its location.
    private static func writeTemporary(_ data: Data, for url: URL) throws -> URL {
        let folder = url.deletingLastPathComponent()
        try Folders.create(folder.path)
        let temporary = sibling(of: url, suffix: "tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw FSBError("\(url.path): cannot write: cannot create the temporary file \(temporary.path): \(String(cString: strerror(errno)))")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            return temporary
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if error is UserFacingError { throw error }
            throw FSBError("\(url.path): cannot write: \(reason(error))")
        }
    }

    /// The operating system's words for a Foundation file error (`Permission denied`),
    /// rather than an `NSCocoaErrorDomain` code.
    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying.map({ Int32($0.code) }), underlying?.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(code))
        }
        if (error as NSError).domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32((error as NSError).code))) }
        return (error as NSError).localizedDescription
    }
}
