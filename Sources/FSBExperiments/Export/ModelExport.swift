import FSBCore
import FSBHardware
import Foundation

/// `fsb export`: writes a trained checkpoint in a deployment format. Every file is written
/// to a temporary file and renamed into place, so a failed export leaves nothing behind.
public enum ModelExport {
    /// The formats `fsb export --format` writes.
    public enum Format: String, CaseIterable, Sendable {
        /// One `.onnx` file (float inference graph, opset 13).
        case onnx
        /// A folder with `fsb_model.h` and `fsb_model.c` (integer-only C99).
        case c
    }

    /// Options of the integer exports (`--format c`, `--update`).
    public struct IntegerOptions: Sendable {
        public var signs: CModule.SignStorage
        /// A hardware config whose bit widths to use; nil: 8-bit operands, 32-bit accumulators.
        public var hardwareConfig: String?
        public var calibration: Int
        public var dataRoot: String?

        public init(signs: CModule.SignStorage = .packed, hardwareConfig: String? = nil,
                    calibration: Int = IntegerModel.defaultCalibration, dataRoot: String? = nil) {
            self.signs = signs
            self.hardwareConfig = hardwareConfig
            self.calibration = calibration
            self.dataRoot = dataRoot
        }

        /// The widths of the integer model.
        public func widths() throws -> IntegerNetwork.Widths {
            guard let hardwareConfig else { return IntegerNetwork.Widths() }
            let bits = try Accelerator.load(configPath: hardwareConfig).config.bits
            let widths = IntegerNetwork.Widths(activationBits: bits.activations, weightBits: bits.weights,
                                               factorBits: bits.factors, accumulatorBits: bits.accumulators)
            if let problem = widths.problem { throw FSBError("--hardware \(hardwareConfig): \(problem)") }
            return widths
        }

        /// Where `widths()` takes the bit widths from, for errors.
        public var widthsOrigin: String {
            hardwareConfig.map { "bits.accumulators of --hardware \($0)" } ?? "the default widths: no --hardware given"
        }
    }

    /// What an export wrote, for the command's report.
    public struct Report: Equatable {
        public var files: [String]
        public var bytes: Int
        public var summary: String
    }

    /// Exports `checkpoint` as `format` to `output`.
    public static func run(checkpoint: String, format: Format, output: String,
                           options: IntegerOptions = IntegerOptions()) throws -> Report {
        try RegularFile.refuseOverwriting(inputs: [("--checkpoint", checkpoint)], with: output, option: "--output")
        let model = try TrainedModel(path: checkpoint)
        switch format {
        case .c:
            try checkFolderTarget(output)
            let widths = try options.widths()
            let integer = try IntegerModel(model: model, widths: widths, calibration: options.calibration, dataRoot: options.dataRoot)
            return try writeC(integer, of: model, signs: options.signs, widthsOrigin: options.widthsOrigin, to: output)
        case .onnx:
            let onnx = try ONNXExporter.export(model)
            let bytes = onnx.encoded()
            try writeFile(Data(bytes), to: output)
            return Report(files: [output], bytes: bytes.count,
                          summary: "\(output): ONNX opset \(ONNXModel.opsetVersion), \(onnx.nodes.count) nodes, \(onnx.initializers.count) initializers, \(bytes.count) bytes (\(model.config.model.architecture.rawValue), \(model.config.model.method.rawValue), \(model.config.dataset.name.rawValue))")
        }
    }

    /// Writes the C module of `integer` (the integer model of `model`) into the folder `output`.
    static func writeC(_ integer: IntegerModel, of model: TrainedModel, signs: CModule.SignStorage,
                       widthsOrigin: String = IntegerOptions().widthsOrigin, to output: String) throws -> Report {
        let config = model.config
        let module = try CModule(model: integer, signs: signs,
                                 origin: "\((model.path as NSString).lastPathComponent) (sha256 \(model.sha256.prefix(16)), \(config.model.architecture.rawValue), \(config.model.method.rawValue), \(config.dataset.name.rawValue)), calibrated on \(integer.calibrationImages) training images",
                                 widthsOrigin: widthsOrigin)
        let files = [("fsb_model.h", module.header), ("fsb_model.c", module.source)]
        try writeFolder(files.map { ($0.0, Data($0.1.utf8)) }, to: output)
        let bytes = files.reduce(0) { $0 + $1.1.utf8.count }
        return Report(files: files.map { (output as NSString).appendingPathComponent($0.0) }, bytes: bytes,
                      summary: "\(output): fsb_model.h, fsb_model.c (\(bytes) bytes of C; \(config.model.architecture.rawValue), \(config.model.method.rawValue), \(config.dataset.name.rawValue)): parameters \(module.parameterBytes) bytes, signs \(module.signBytes) bytes (\(signs.rawValue)), activations \(module.arenaBytes) + scratch \(module.scratchBytes) bytes, identity \(String(module.identity, radix: 16))")
    }

    /// `fsb export --update --base OLD --checkpoint NEW --output U.fsbupd`.
    public static func runUpdate(base: String, checkpoint: String, output: String,
                                 options: IntegerOptions = IntegerOptions()) throws -> Report {
        try checkFileTarget(output)
        try RegularFile.refuseOverwriting(inputs: [("--base", base), ("--checkpoint", checkpoint)], with: output, option: "--output")
        let widths = try options.widths()
        let old = try TrainedModel(path: base), new = try TrainedModel(path: checkpoint)
        let oldModel = try IntegerModel(model: old, widths: widths, calibration: options.calibration, dataRoot: options.dataRoot)
        let newModel = try IntegerModel(model: new, widths: widths, calibration: options.calibration, dataRoot: options.dataRoot)
        let bytes = try ModelUpdate.make(base: oldModel, new: newModel, names: (base, checkpoint))
        try writeFile(Data(bytes), to: output)
        return Report(files: [output], bytes: bytes.count,
                      summary: "\(output): update of \(bytes.count) bytes from \((base as NSString).lastPathComponent) to \((checkpoint as NSString).lastPathComponent) (model identity \(String(CModuleLayout(newModel).identity, radix: 16)))")
    }

    /// Fails early (before any work) when `path` cannot be an output file.
    static func checkFileTarget(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw FSBError("--output \(path): expected a file path, found a folder")
        }
    }

    /// Fails early when `path` cannot be an output folder.
    static func checkFolderTarget(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
            throw FSBError("--output \(path): expected a folder, found a file")
        }
    }

    /// Writes `files` into the folder `path`: into a new folder beside it that is renamed
    /// into place when `path` does not exist, else each to a temporary renamed together,
    /// so a failure leaves nothing half-written.
    static func writeFolder(_ files: [(name: String, data: Data)], to path: String) throws {
        try checkFolderTarget(path)
        var isFolder: ObjCBool = false
        do {
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                try AtomicFile.writeGroup(files.map { (URL(fileURLWithPath: path).appendingPathComponent($0.name), $0.data) })
                return
            }
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let parent = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: parent.path, isDirectory: &isFolder), !isFolder.boolValue {
                throw FSBError("--output \(path): cannot write: \(parent.path) is a file, not a folder")
            }
            try Folders.create(parent.path)
            let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
            try? FileManager.default.removeItem(at: temporary)
            defer { try? FileManager.default.removeItem(at: temporary) }
            guard mkdir(temporary.path, 0o777) == 0 else {
                throw FSBError("--output \(path): cannot create a folder in \(parent.path): \(String(cString: strerror(errno)))")
            }
            for file in files { try file.data.write(to: temporary.appendingPathComponent(file.name)) }
            guard rename(temporary.path, url.path) == 0 else {
                throw FSBError("--output \(path): cannot rename the temporary folder into place: \(String(cString: strerror(errno)))")
            }
        } catch let error as UserFacingError {
            if error.description.hasPrefix("--output") { throw error }
            throw FSBError("--output \(path): \(error.description)")
        } catch {
            throw FSBError("--output \(path): cannot write: \((error as NSError).localizedDescription)")
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
            // AtomicFile names the absolute path; the option names the path as given.
            let description = error.description
            let named = "\(url.path): "
            throw FSBError("--output \(path): \(description.hasPrefix(named) ? String(description.dropFirst(named.count)) : description)")
        } catch {
            throw FSBError("--output \(path): cannot write: \(error.localizedDescription)")
        }
    }
}
