import FSBData

/// The data readers, opened the way `DatasetLoader` opens them (through `GzipReader`,
/// which passes raw files through), with a small input buffer so that inflation crosses
/// many buffer refills.
enum DataReaderTargets {
    /// Input bytes read per refill (the real reader uses 1 MiB; the logic is the same).
    static let inputBufferSize = 300

    /// Decompresses the whole file.
    static func gzip(_ path: String) {
        expectClean(naming: path) {
            try drain(GzipReader(path: path, inputBufferSize: inputBufferSize))
        }
    }

    /// Lists a (gzipped) tar archive and reads every member to its end.
    static func tar(_ path: String) {
        expectClean(naming: path) {
            let archive = try TarArchiveReader(source: GzipReader(path: path, inputBufferSize: inputBufferSize))
            while let member = try archive.nextMember() {
                _ = (member.isRegularFile, member.fileName, member.size)
                try drain(member)
            }
        }
    }

    /// Reads the file as MNIST labels and, separately, as 28x28 MNIST images.
    static func idx(_ path: String) {
        expectClean(naming: path) {
            _ = try IDXReader.readLabels(from: GzipReader(path: path, inputBufferSize: inputBufferSize), classCount: 10)
        }
        expectClean(naming: path) {
            _ = try IDXReader.readImages(from: GzipReader(path: path, inputBufferSize: inputBufferSize),
                                         rows: 28, columns: 28)
        }
    }

    /// Reads the file as CIFAR-10 records and as CIFAR-100 records (fine labels).
    static func cifar(_ path: String) {
        for format in [CIFARReader.Format.cifar10, .cifar100(.fine)] {
            expectClean(naming: path) {
                var pixels: [UInt8] = [], labels: [Int32] = []
                try CIFARReader.readRecords(from: GzipReader(path: path, inputBufferSize: inputBufferSize),
                                            format: format, pixels: &pixels, labels: &labels)
            }
        }
    }

    /// Reads `source` to its end, 4 KiB at a time.
    private static func drain(_ source: ByteSource) throws {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while try buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {}
    }
}
