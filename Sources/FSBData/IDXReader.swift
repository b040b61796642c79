/// Reads IDX files (the MNIST / Fashion-MNIST format, LeCun et al.): a big-endian header
/// `00 00 08 ndims` (8 = unsigned byte), then `ndims` 32-bit big-endian sizes, then the
/// bytes. Images: magic 2051 (`0x00000803`, sizes `count, rows, columns`);
/// labels: magic 2049 (`0x00000801`, size `count`).
///
/// Every check failure names the file, the byte offset, the expected and the found value;
/// the data length must match the header exactly (no silent short or long files).
public enum IDXReader {
    /// Magic number of an unsigned-byte image file with 3 dimensions.
    public static let imageMagic: UInt32 = 2051
    /// Magic number of an unsigned-byte label file with 1 dimension.
    public static let labelMagic: UInt32 = 2049

    /// Decoded image file: `count` images of `rows x columns` bytes, row-major.
    public struct Images {
        /// Images the header announces.
        public let announcedCount: Int
        /// Images read (fewer than announced only with a limit).
        public let count: Int
        public let rows: Int
        public let columns: Int
        public let pixels: [UInt8]
    }

    /// Reads an image file, checking the header against the expected image size and, with
    /// `expectedCount`, the image count against the label count of `countSource` before
    /// any image is read. With `limit`, only the first `limit` images are read (the rest
    /// is not checked).
    public static func readImages(from source: ByteSource, rows expectedRows: Int, columns expectedColumns: Int,
                                  limit: Int? = nil, expectedCount: (count: Int, source: String)? = nil) throws -> Images {
        let sizes = try readHeader(from: source, magic: imageMagic, kind: "image", dimensions: 3)
        let (count, rows, columns) = (sizes[0], sizes[1], sizes[2])
        guard rows == expectedRows, columns == expectedColumns else {
            throw DataFileError(file: source.name, offset: 8,
                                "expected \(expectedRows)x\(expectedColumns) images, header says \(rows)x\(columns)")
        }
        if let expectedCount, expectedCount.count != count {
            throw DataFileError(file: source.name, offset: 4,
                                "header announces \(count) images, expected \(expectedCount.count) (the label count of \(expectedCount.source))")
        }
        let kept = min(count, limit ?? count)
        let imageBytes = rows * columns
        let pixels = try source.readPrefix(count: kept * imageBytes)
        if pixels.count < kept * imageBytes {
            let got = pixels.count
            throw DataFileError(file: source.name, offset: 16 + got,
                                "file ends after \(got) data bytes; the header announces \(count) images of \(imageBytes) bytes = \(count * imageBytes) data bytes (complete images: \(got / imageBytes))")
        }
        if kept == count { try source.expectEnd(after: "\(count) images (\(16 + count * imageBytes) bytes)") }
        return Images(announcedCount: count, count: kept, rows: rows, columns: columns, pixels: pixels)
    }

    /// Decoded label file.
    public struct Labels {
        /// Labels the header announces.
        public let announcedCount: Int
        /// Labels read (fewer than announced only with a limit), each in `0..<classCount`.
        public let labels: [Int32]
    }

    /// Reads a label file; every label must be in `0..<classCount`.
    public static func readLabels(from source: ByteSource, classCount: Int, limit: Int? = nil) throws -> Labels {
        let sizes = try readHeader(from: source, magic: labelMagic, kind: "label", dimensions: 1)
        let count = sizes[0]
        let kept = min(count, limit ?? count)
        let bytes = try source.readPrefix(count: kept)
        if bytes.count < kept {
            throw DataFileError(file: source.name, offset: 8 + bytes.count,
                                "file ends after \(bytes.count) labels; the header announces \(count) labels")
        }
        if kept == count { try source.expectEnd(after: "\(count) labels (\(8 + count) bytes)") }
        var labels = [Int32](repeating: 0, count: kept)
        for i in 0..<kept {
            let label = bytes[i]
            guard Int(label) < classCount else {
                throw DataFileError(file: source.name, offset: 8 + i,
                                    "label of item \(i) is \(label), expected 0...\(classCount - 1)")
            }
            labels[i] = Int32(label)
        }
        return Labels(announcedCount: count, labels: labels)
    }

    /// Reads and checks the magic number and `dimensions` sizes; returns the sizes.
    static func readHeader(from source: ByteSource, magic: UInt32, kind: String, dimensions: Int) throws -> [Int] {
        let headerBytes = 4 + 4 * dimensions
        var header = [UInt8](repeating: 0, count: headerBytes)
        let got = try header.withUnsafeMutableBytes { try source.read(into: $0) }
        let found = got >= 4 ? bigEndian(header, at: 0) : nil
        if found != magic {
            let foundText = found.map { "\($0) (0x\(hex($0)))" } ?? "a file of only \(got) bytes"
            let format = (source as? GzipReader).map { $0.isCompressed ? "" : " (not gzip and not an IDX \(kind) file)" } ?? ""
            throw DataFileError(file: source.name, offset: 0,
                                "expected IDX \(kind) magic \(magic) (0x\(hex(magic))), found \(foundText)\(format)")
        }
        guard got == headerBytes else {
            throw DataFileError(file: source.name, offset: got,
                                "file ends inside the \(headerBytes)-byte IDX \(kind) header")
        }
        return (0..<dimensions).map { Int(bigEndian(header, at: 4 + 4 * $0) ?? 0) }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
