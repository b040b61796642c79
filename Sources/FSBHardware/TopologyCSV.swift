import FSBCore
import Foundation

/// A problem in a topology CSV: file, line, column, what was expected and what was found.
public struct TopologyError: UserFacingError, Equatable {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// One line: control characters of the quoted text (a lone CR inside a line) are escaped.
    public var description: String { "\(file):\(line):\(column): \(message)".asErrorLine }
}

/// Reads and writes SCALE-Sim topology files:
///
/// ```
/// Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
/// conv1, 34, 34, 3, 3, 3, 16, 1,
/// ```
///
/// One header line, then one layer per line, each ending in a trailing comma (SCALE-Sim
/// drops the last field). SCALE-Sim does not model padding: its IFMAP already includes it.
/// So a read layer has `padding = 0` and the file's IFMAP as input size, and a written
/// layer's IFMAP is `(out - 1) * stride + kernel`, the padded input trimmed to the rows and
/// columns the convolution touches (for stride 2 this drops the unused last padded row).
/// SCALE-Sim's output size is `ceil((H - F + s) / s)`; when `(H - F)` is not a multiple of
/// `s`, that assumes input rows beyond the file's IFMAP, so the reader extends the IFMAP to
/// `F + s * (out - 1)` to give the same output size and counts as SCALE-Sim.
/// Linear layers are written as 1x1 IFMAPs with 1x1 filters; layers whose name contains
/// "DP" are rejected (SCALE-Sim treats them as depthwise).
///
/// SCALE-Sim's GEMM format (`Layer, M, N, K,` then `name, M, N, K,` rows: an MxK matrix
/// times a KxN one) is read too, as SCALE-Sim reads it (`topology_utils.load_arrays_gemm`):
/// an MxK IFMAP with one channel, N filters of 1xK, stride 1. Lines may end in CRLF.
public enum TopologyCSV {
    public static let header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
    /// The header of SCALE-Sim's GEMM topologies.
    public static let gemmHeader = "Layer, M, N, K,"

    /// At most this many layer rows in one file (the shipped topologies have 5 and 20).
    public static let maximumLayers = 10_000

    private static let fieldNames = ["IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
                                     "Channels", "Num Filter", "Strides"]

    /// Parses topology text; `file` is used in error messages.
    public static func parse(_ text: String, file: String) throws -> [LayerShape] {
        var layers: [LayerShape] = []
        // "\r\n" is one Character in Swift: split on unicode scalars so CRLF files split into lines.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var gemm: Bool?
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let isGEMM = gemm else {
                let names = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                if names.first == "layer name" {
                    gemm = false
                } else if names.prefix(4) == ["layer", "m", "n", "k"] {
                    gemm = true
                } else {
                    throw TopologyError(file: file, line: lineNumber, column: 1,
                                        message: "expected the header \"\(header)\" or \"\(gemmHeader)\", found \"\(line)\"")
                }
                continue
            }
            if layers.count == maximumLayers {
                throw TopologyError(file: file, line: lineNumber, column: 1,
                                    message: "expected at most \(maximumLayers) layer rows, found more")
            }
            let layer = try isGEMM ? parseGEMMRow(line, file: file, lineNumber: lineNumber)
                                   : parseRow(line, file: file, lineNumber: lineNumber)
            // Sizes beyond what the simulator counts (more than 2^40 MACs), named by line.
            if let problem = layer.problem { throw TopologyError(file: file, line: lineNumber, column: 1, message: problem) }
            layers.append(layer)
        }
        if layers.isEmpty {
            throw TopologyError(file: file, line: max(1, lines.count), column: 1,
                                message: "expected at least one layer row after the header, found none")
        }
        return layers
    }

    /// Reads a topology file.
    public static func read(path: String) throws -> [LayerShape] {
        let data = try RegularFile.data(atPath: path, what: "topology file")
        guard let text = String(data: data, encoding: .utf8) else {
            throw FSBError("\(path): topology file is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// A row split into its name and positive integer fields (named `fieldNames`), with
    /// the trailing comma required; `starts` are the 1-based columns of the fields.
    private static func fields(of line: String, fieldNames: [String], what: String, file: String,
                               lineNumber: Int) throws -> (name: String, values: [Int], starts: [Int]) {
        var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        // Column (1-based) of each field's first non-blank character.
        var starts: [Int] = []
        var offset = 1
        for field in fields {
            starts.append(offset + field.prefix(while: { $0 == " " || $0 == "\t" }).count)
            offset += field.count + 1
        }
        guard fields.count >= 2, fields.last?.trimmingCharacters(in: .whitespaces).isEmpty == true else {
            throw TopologyError(file: file, line: lineNumber, column: line.count + 1,
                                message: "expected a trailing comma after the last field, found end of line")
        }
        fields.removeLast()
        guard fields.count == fieldNames.count + 1 else {
            throw TopologyError(file: file, line: lineNumber, column: 1,
                                message: "expected \(fieldNames.count + 1) fields (\(what)), found \(fields.count)")
        }
        let name = fields[0].trimmingCharacters(in: .whitespaces)
        if name.isEmpty {
            throw TopologyError(file: file, line: lineNumber, column: 1, message: "expected a layer name, found an empty field")
        }
        var values: [Int] = []
        for (i, fieldName) in fieldNames.enumerated() {
            let raw = fields[i + 1].trimmingCharacters(in: .whitespaces)
            guard let value = Int(raw), LayerShape.dimensionRange.contains(value) else {
                throw TopologyError(file: file, line: lineNumber, column: starts[i + 1],
                                    message: "\(fieldName): expected an integer in \(LayerShape.dimensionRange.text), found \"\(raw)\"")
            }
            values.append(value)
        }
        return (name, values, starts)
    }

    /// A GEMM row `name, M, N, K,` as SCALE-Sim maps it: MxK IFMAP, 1 channel, N filters of 1xK.
    private static func parseGEMMRow(_ line: String, file: String, lineNumber: Int) throws -> LayerShape {
        let (name, values, _) = try fields(of: line, fieldNames: ["M", "N", "K"], what: "name, M, N, K", file: file, lineNumber: lineNumber)
        let (m, n, k) = (values[0], values[1], values[2])
        return LayerShape(name: name, kind: .conv, inputChannels: 1, inputHeight: m, inputWidth: k, outputChannels: n,
                          kernelHeight: 1, kernelWidth: k, stride: 1, padding: 0)
    }

    private static func parseRow(_ line: String, file: String, lineNumber: Int) throws -> LayerShape {
        let (name, values, starts) = try fields(of: line, fieldNames: fieldNames, what: "name, 6 sizes, stride",
                                                file: file, lineNumber: lineNumber)
        if name.contains("DP") {
            throw TopologyError(file: file, line: lineNumber, column: 1,
                                message: "layer names containing \"DP\" mean depthwise in SCALE-Sim, which is not modelled; found \"\(name)\"")
        }
        var (height, width) = (values[0], values[1])
        let (kernelHeight, kernelWidth, channels, filters, stride) = (values[2], values[3], values[4], values[5], values[6])
        if kernelHeight > height || kernelWidth > width {
            throw TopologyError(file: file, line: lineNumber, column: starts[3],
                                message: "expected a filter no larger than the IFMAP \(height)x\(width), found \(kernelHeight)x\(kernelWidth)")
        }
        // SCALE-Sim's output size ceil((H - F + s) / s) implies F + s*(out-1) input rows.
        height = kernelHeight + stride * ceilDiv(height - kernelHeight, stride)
        width = kernelWidth + stride * ceilDiv(width - kernelWidth, stride)
        let isLinear = height == 1 && width == 1 && kernelHeight == 1 && kernelWidth == 1
        let layer = LayerShape(name: name, kind: isLinear ? .linear : .conv, inputChannels: channels,
                               inputHeight: height, inputWidth: width, outputChannels: filters,
                               kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: 0)
        if let problem = layer.problem {
            throw TopologyError(file: file, line: lineNumber, column: 1, message: "layer \(problem)")
        }
        return layer
    }

    /// Renders layers in SCALE-Sim's format (padding folded into the IFMAP, trimmed to the
    /// rows and columns used). Layers with different vertical and horizontal strides do not
    /// exist in `LayerShape`, so every layer fits the single `Strides` column.
    public static func render(_ layers: [LayerShape]) -> String {
        var text = header + "\n"
        for layer in layers {
            let height = (layer.outputHeight - 1) * layer.stride + layer.kernelHeight
            let width = (layer.outputWidth - 1) * layer.stride + layer.kernelWidth
            let name = layer.name.replacingOccurrences(of: ",", with: "_")
            text += "\(name), \(height), \(width), \(layer.kernelHeight), \(layer.kernelWidth), "
                + "\(layer.inputChannels), \(layer.outputChannels), \(layer.stride),\n"
        }
        return text
    }
}
