/// A CSV table whose columns are declared once, as (name, how to compute the cell),
/// so that header and rows cannot drift apart. Column names are snake_case with units.
public struct CSVTable<Row> {
    /// One column: its header name and the function that renders a row's cell.
    public struct Column {
        public let name: String
        public let value: (Row) -> String
        public init(_ name: String, _ value: @escaping (Row) -> String) {
            self.name = name
            self.value = value
        }
    }

    /// The columns, in output order.
    public let columns: [Column]

    public init(columns: [Column]) { self.columns = columns }

    /// The header line followed by one line per row, each ending in a newline.
    public func render(_ rows: [Row]) -> String {
        var text = columns.map { CSVTable.escape($0.name) }.joined(separator: ",") + "\n"
        for row in rows {
            text += columns.map { CSVTable.escape($0.value(row)) }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Quotes a cell when it holds a comma, quote or newline (RFC 4180).
    public static func escape(_ cell: String) -> String {
        if cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return cell
    }
}

import Foundation
