import Foundation

/// One file, in a private folder made for this process (under `/dev/shm` when it exists,
/// else the temporary folder), that each fuzz input is written to before a reader opens it
/// by path as `fsb` does. The folder holds nothing else, so relative paths inside an input
/// (a compare spec's `base`, a hardware config's energy table) find nothing by accident.
final class ScratchFile {
    /// The file's path; it appears in every error message the readers throw.
    let path: String

    /// Makes the private folder; `name` is the file's name (its extension is irrelevant to
    /// the readers, but keeps crash reports readable).
    init(name: String) {
        let root = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let folder = "\(root)/fsb-fuzz-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            fuzzFailure("cannot create the scratch folder \(folder): \(error)")
        }
        path = "\(folder)/\(name)"
    }

    /// Removes the private folder (at exit; a crash leaves it for inspection).
    func remove() {
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// Replaces the file's content with `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fuzzFailure("cannot write the scratch file \(path)")
        }
    }
}
