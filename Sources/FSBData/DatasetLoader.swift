import Foundation

/// Loads and validates one split of a dataset into a `RawDataset`.
///
/// IDX datasets are read from a folder (images and labels files, counts must agree);
/// CIFAR datasets from a folder or by streaming through the official tarball. Every
/// problem is a `DataFileError` (file, offset, expected vs found); nothing is silently
/// truncated except by an explicit `limit` (first `limit` images of the split).
public enum DatasetLoader {
    /// Loads `name` from `<root>/<name>` (a folder, the extracted official folder or tarball).
    public static func load(_ name: DatasetName, split: DatasetSplit, root: URL,
                            labels: CIFAR100LabelKind = .fine, limit: Int? = nil) throws -> RawDataset {
        let location = DataLocation(dataRoot: root.path, environment: [:])
        return try load(name, split: split, from: location.source(for: name), labels: labels, limit: limit)
    }

    /// Loads `name` from wherever `location` resolves it.
    public static func load(_ name: DatasetName, split: DatasetSplit, location: DataLocation,
                            labels: CIFAR100LabelKind = .fine, limit: Int? = nil) throws -> RawDataset {
        try load(name, split: split, from: location.source(for: name), labels: labels, limit: limit)
    }

    /// Loads `name` from an already resolved source.
    public static func load(_ name: DatasetName, split: DatasetSplit, from source: DatasetSource,
                            labels: CIFAR100LabelKind = .fine, limit: Int? = nil) throws -> RawDataset {
        if let limit, limit < 0 {
            throw DataFileError(file: source.path, "limit must be at least 0, found \(limit)")
        }
        let raw: RawDataset
        if name.isCIFAR {
            let format: CIFARReader.Format = name == .cifar10 ? .cifar10 : .cifar100(labels)
            raw = try loadCIFAR(name, split: split, from: source, format: format, labelKind: labels, limit: limit)
        } else {
            raw = try loadIDX(name, split: split, from: source, limit: limit)
        }
        if raw.count == 0 && limit != 0 {
            throw DataFileError(file: raw.sourceFiles.first ?? source.path, "the \(name.rawValue) \(split.rawValue) split holds no images; expected at least 1")
        }
        return raw
    }

    /// The paths of every file of `split` in a folder source (each file or its `.gz`),
    /// failing on the first missing one.
    public static func splitFiles(_ name: DatasetName, split: DatasetSplit, in source: DatasetSource) throws -> [String] {
        try name.fileNames(split).map { fileName in
            guard let path = source.filePath(fileName) else {
                throw DataFileError(file: (source.path as NSString).appendingPathComponent(fileName),
                                    "missing \(name.rawValue) \(split.rawValue) file: expected \(fileName) or \(fileName).gz in \(source.path)")
            }
            return path
        }
    }

    private static func loadIDX(_ name: DatasetName, split: DatasetSplit, from source: DatasetSource,
                                limit: Int?) throws -> RawDataset {
        guard case .folder = source else {
            throw DataFileError(file: source.path, "\(name.rawValue) is read from a folder of IDX files, not a tarball")
        }
        let paths = try splitFiles(name, split: split, in: source)
        // Labels first (one byte each): the image count is checked against them before
        // any image is read, so a corrupt image header cannot make fsb read a huge stream.
        let labels = try IDXReader.readLabels(from: GzipReader(path: paths[1]),
                                              classCount: name.classCount(), limit: limit)
        let images = try IDXReader.readImages(from: GzipReader(path: paths[0]), rows: name.height,
                                              columns: name.width, limit: limit,
                                              expectedCount: (labels.announcedCount, paths[1]))
        guard images.announcedCount == labels.announcedCount else {
            throw DataFileError(file: paths[1], offset: 4,
                                "label count \(labels.announcedCount) does not match the \(images.announcedCount) images of \(paths[0])")
        }
        return RawDataset(name: name, split: split, count: images.count, channels: 1, height: images.rows,
                          width: images.columns, classCount: name.classCount(), pixels: images.pixels,
                          labels: labels.labels, sourceFiles: paths)
    }

    private static func loadCIFAR(_ name: DatasetName, split: DatasetSplit, from source: DatasetSource,
                                  format: CIFARReader.Format, labelKind: CIFAR100LabelKind,
                                  limit: Int?) throws -> RawDataset {
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        var files: [String] = []
        switch source {
        case .folder:
            let paths = try splitFiles(name, split: split, in: source)
            let readers = try paths.map { try GzipReader(path: $0) }
            let expectedBytes = readers.reduce(0) { $0 + ($1.uncompressedSizeHint ?? 0) }
            let expectedRecords = min(expectedBytes / format.recordBytes, limit ?? Int.max)
            pixels.reserveCapacity(expectedRecords * CIFARReader.imageBytes)
            labels.reserveCapacity(expectedRecords)
            for reader in readers {
                if let limit, labels.count >= limit { break }
                try CIFARReader.readRecords(from: reader, format: format, limit: limit.map { $0 - labels.count },
                                            pixels: &pixels, labels: &labels)
                files.append(reader.name)
            }
        case .tarball(let path):
            let wanted = name.fileNames(split)
            var pieces: [String: (pixels: [UInt8], labels: [Int32], member: String)] = [:]
            let archive = try TarArchiveReader(source: GzipReader(path: path))
            while let member = try archive.nextMember() {
                guard member.isRegularFile, wanted.contains(member.fileName), pieces[member.fileName] == nil else { continue }
                var piecePixels: [UInt8] = []
                var pieceLabels: [Int32] = []
                // The header's size only guides the reservation (capped at 1 GiB): a corrupt size cannot over-allocate.
                let records = min(min(member.size, 1 << 30) / format.recordBytes, limit ?? Int.max)
                piecePixels.reserveCapacity(records * CIFARReader.imageBytes)
                pieceLabels.reserveCapacity(records)
                try CIFARReader.readRecords(from: member, format: format, limit: limit,
                                            pixels: &piecePixels, labels: &pieceLabels)
                pieces[member.fileName] = (piecePixels, pieceLabels, member.name)
                if pieces.count == wanted.count { break }
            }
            let missing = wanted.filter { pieces[$0] == nil }
            guard missing.isEmpty else {
                throw DataFileError(file: path, "archive has no member named \(missing.joined(separator: ", ")) (expected \(name.officialFolderName ?? name.rawValue)/\(missing[0]))")
            }
            for fileName in wanted {
                guard let piece = pieces[fileName] else { continue }
                if let limit, labels.count >= limit { break }
                let take = min(piece.labels.count, (limit ?? Int.max) - labels.count)
                labels.append(contentsOf: piece.labels[0..<take])
                pixels.append(contentsOf: piece.pixels[0..<take * CIFARReader.imageBytes])
                files.append(piece.member)
                pieces[fileName] = nil
            }
        }
        return RawDataset(name: name, split: split, count: labels.count, channels: 3, height: 32, width: 32,
                          classCount: name.classCount(labels: labelKind), pixels: pixels, labels: labels,
                          sourceFiles: files)
    }
}
