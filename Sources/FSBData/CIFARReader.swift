/// Reads the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009).
///
/// CIFAR-10 record: 1 label byte (0...9) + 3072 pixel bytes = 3073 bytes.
/// CIFAR-100 record: 1 coarse label byte (0...19), 1 fine label byte (0...99) + 3072
/// pixel bytes = 3074 bytes. Pixels are the red, green and blue 32x32 planes, rows top to
/// bottom — already CHW, so they are copied unchanged. A file must hold a whole, non-zero
/// number of records.
public enum CIFARReader {
    /// Pixel bytes per record.
    public static let imageBytes = 3 * 32 * 32

    /// The record layout to decode.
    public enum Format: Equatable, Sendable {
        case cifar10
        case cifar100(CIFAR100LabelKind)

        /// Label bytes before the pixels.
        public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        /// Bytes of one record.
        public var recordBytes: Int { labelBytes + CIFARReader.imageBytes }
    }

    /// Reads records from `source`, appending pixels and labels; stops after
    /// `limit` records when given. Returns the number of records read.
    @discardableResult
    public static func readRecords(from source: ByteSource, format: Format, limit: Int? = nil,
                                   pixels: inout [UInt8], labels: inout [Int32]) throws -> Int {
        let recordBytes = format.recordBytes
        // The chunk starts small and doubles up to 512 records, so a short file (a test
        // sample, a fuzzer's input) costs a short buffer and a full one few reads.
        var chunkRecords = 8
        var chunk = [UInt8](repeating: 0, count: chunkRecords * recordBytes)
        var records = 0
        // A wrong first record in a file that is not gzip usually means a wrong file entirely.
        let isRaw = (source as? GzipReader).map { !$0.isCompressed } ?? false
        func hint(_ record: Int) -> String { isRaw && record == 0 ? " (not gzip and not a CIFAR binary file?)" : "" }
        while limit.map({ records < $0 }) ?? true {
            let wanted = min(chunkRecords, (limit ?? Int.max) - records)
            let chunkStart = source.position
            let got = try chunk.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted * recordBytes]))
            }
            let whole = got / recordBytes
            if got % recordBytes != 0 {
                throw DataFileError(file: source.name, offset: chunkStart + whole * recordBytes,
                                    "file length \(chunkStart + got) is not a multiple of the \(recordBytes)-byte record: last record has \(got % recordBytes) bytes\(hint(records + whole))")
            }
            try chunk.withUnsafeBytes { bytes in
                for r in 0..<whole {
                    let base = r * recordBytes
                    let label: UInt8
                    switch format {
                    case .cifar10:
                        label = bytes[base]
                        guard label < 10 else {
                            throw DataFileError(file: source.name, offset: chunkStart + base,
                                                "label of record \(records + r) is \(label), expected 0...9\(hint(records + r))")
                        }
                    case .cifar100(let kind):
                        let coarse = bytes[base], fine = bytes[base + 1]
                        guard coarse < 20 else {
                            throw DataFileError(file: source.name, offset: chunkStart + base,
                                                "coarse label of record \(records + r) is \(coarse), expected 0...19\(hint(records + r))")
                        }
                        guard fine < 100 else {
                            throw DataFileError(file: source.name, offset: chunkStart + base + 1,
                                                "fine label of record \(records + r) is \(fine), expected 0...99\(hint(records + r))")
                        }
                        label = kind == .fine ? fine : coarse
                    }
                    labels.append(Int32(label))
                    let start = base + format.labelBytes
                    pixels.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<start + imageBytes]))
                }
            }
            records += whole
            if got < wanted * recordBytes { break }
            if chunkRecords < 512 {
                chunkRecords *= 2
                chunk = [UInt8](repeating: 0, count: chunkRecords * recordBytes)
            }
        }
        if records == 0 && limit != 0 {
            throw DataFileError(file: source.name, offset: 0, "expected \(recordBytes)-byte CIFAR records, found an empty file")
        }
        return records
    }
}
