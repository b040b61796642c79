/// A parsed 512-byte tar header (POSIX.1-1988 ustar layout; GNU base-256 sizes accepted).
///
/// Layout used: name [0,100), size [124,136) octal, checksum [148,156) octal,
/// type flag [156], magic [257,263), prefix [345,500).
struct TarHeader {
    let path: String
    let size: Int
    let typeFlag: UInt8

    init(block: [UInt8], archive: String, offset: Int) throws {
        // Checksum: sum of all header bytes with the checksum field counted as spaces.
        var unsignedSum = 0
        for (i, byte) in block.enumerated() { unsignedSum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard let stored = Self.octal(block[148..<156]) else {
            throw DataFileError(file: archive, offset: offset,
                                "not a tar header: checksum field is not octal (is this a tar archive?)")
        }
        guard stored == unsignedSum else {
            throw DataFileError(file: archive, offset: offset,
                                "bad tar header checksum: expected \(unsignedSum), found \(stored)")
        }
        let sizeField = block[124..<136]
        if sizeField.first.map({ $0 & 0x80 != 0 }) == true {
            var value = 0
            for byte in sizeField.dropFirst() {
                guard value < (Int.max >> 8) else {
                    throw DataFileError(file: archive, offset: offset + 124, "tar member size too large")
                }
                value = (value << 8) | Int(byte)
            }
            size = value
        } else if let value = Self.octal(sizeField) {
            size = value
        } else {
            throw DataFileError(file: archive, offset: offset + 124, "tar header size field is not octal")
        }
        typeFlag = block[156]
        let name = Self.string(block[0..<100])
        let isUstar = Array(block[257..<262]) == Array("ustar".utf8)
        let prefix = isUstar ? Self.string(block[345..<500]) : ""
        path = prefix.isEmpty ? name : prefix + "/" + name
    }

    /// NUL-terminated text of a field.
    static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal number padded with spaces or NULs; nil when other characters appear.
    static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var seenDigit = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value < (Int.max >> 3) else { return nil }
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                seenDigit = true
            case 0, UInt8(ascii: " "):
                if seenDigit { return value }
            default:
                return nil
            }
        }
        return seenDigit ? value : nil
    }

    /// The `path` record of a pax extended header (`"<len> path=<value>\n"` records).
    static func paxPath(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        for record in text.split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let keyValue = record[record.index(after: space)...]
            if keyValue.hasPrefix("path=") { return String(keyValue.dropFirst(5)) }
        }
        return nil
    }
}
