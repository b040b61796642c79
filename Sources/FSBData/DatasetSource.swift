import Foundation

/// Where one dataset's files are: a folder holding the original file names (each plain
/// or `.gz`), or an official tarball (`cifar-10-binary.tar.gz`, `cifar-100-binary.tar.gz`).
public enum DatasetSource: Equatable, Sendable, CustomStringConvertible {
    case folder(String)
    case tarball(String)

    public var description: String {
        switch self {
        case .folder(let path): return "folder \(path)"
        case .tarball(let path): return "tarball \(path)"
        }
    }

    /// The folder or tarball path.
    public var path: String {
        switch self {
        case .folder(let path), .tarball(let path): return path
        }
    }

    /// Path of `fileName` in a folder source: the plain file if present, else `fileName.gz`,
    /// else nil (also nil for tarballs).
    public func filePath(_ fileName: String) -> String? {
        guard case .folder(let folder) = self else { return nil }
        for candidate in [fileName, fileName + ".gz"] {
            let path = (folder as NSString).appendingPathComponent(candidate)
            if Self.isFile(path) { return path }
        }
        return nil
    }

    /// Recognises a dataset at `path`: the path itself if it is a tarball or a folder with
    /// any of the dataset's files, else the official extracted folder or the official
    /// tarball inside it. Appends every place it checked to `looked`.
    public static func detect(_ name: DatasetName, at path: String, looked: inout [String]) -> DatasetSource? {
        if isFile(path) {
            looked.append(path)
            if path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") || path.hasSuffix(".tar") { return .tarball(path) }
            return nil
        }
        var candidates = [path]
        if let official = name.officialFolderName { candidates.append((path as NSString).appendingPathComponent(official)) }
        for folder in candidates {
            looked.append(folder)
            let source = DatasetSource.folder(folder)
            if name.allFileNames.contains(where: { source.filePath($0) != nil }) { return source }
        }
        if let tarball = name.officialTarballName {
            let tarPath = (path as NSString).appendingPathComponent(tarball)
            looked.append(tarPath)
            if isFile(tarPath) { return .tarball(tarPath) }
        }
        return nil
    }

    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
