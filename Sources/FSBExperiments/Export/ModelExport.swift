import FSBCore
import Foundation

/// `fsb export`: writes a trained checkpoint in a deployment format. Every file is written
/// to a temporary file and renamed into place, so a failed export leaves nothing behind.
public enum ModelExport {
    /// The formats `fsb export --format` writes.
    public enum Format: String, CaseIterable, Sendable {
        /// One `.onnx` file (float inference graph, opset 13).
        case onnx
    }

    /// What an export wrote, for the command's report.
    public struct Report: Equatable {
        public var files: [String]
        public var bytes: Int
        public var summary: String
    }

    /// Exports `checkpoint` as `format` to `output`.
    public static func run(checkpoint: String, format: Format, output: String) throws -> Report {
        let model = try TrainedModel(path: checkpoint)
        switch format {
        case .onnx:
            let onnx = try ONNXExporter.export(model)
            let bytes = onnx.encoded()
            try writeFile(Data(bytes), to: output)
            return Report(files: [output], bytes: bytes.count,
                          summary: "\(output): ONNX opset \(ONNXModel.opsetVersion), \(onnx.nodes.count) nodes, \(onnx.initializers.count) initializers, \(bytes.count) bytes (\(model.config.model.architecture.rawValue), \(model.config.model.method.rawValue), \(model.config.dataset.name.rawValue))")
        }
    }

    /// Writes one output file atomically; the error names the path and what is wrong.
    static func writeFile(_ data: Data, to path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw FSBError("--output \(path): expected a file path, found a folder")
        }
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), !isFolder.boolValue {
            throw FSBError("--output \(path): cannot write: \(parent) is a file, not a folder")
        }
        do {
            try AtomicFile.write(data, to: url)
        } catch let error as UserFacingError {
            throw FSBError("--output \(path): \(error.description)")
        } catch {
            throw FSBError("--output \(path): cannot write: \(error.localizedDescription)")
        }
    }
}
