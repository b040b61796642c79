import ArgumentParser
import FSBCore
import FSBExperiments
import Foundation

/// `fsb export`: writes a trained checkpoint in a deployment format, or a model update.
/// Argument handling only; the work is `ModelExport`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained checkpoint for deployment (ONNX, C module, update).",
        usage: """
        fsb export --checkpoint FILE --format onnx|c --output PATH
          [--signs packed|regenerate] [--hardware HW.json] [--calibration N]
          [--data-root DIR]
        fsb export --update --base OLD.fsbckpt --checkpoint NEW.fsbckpt
          --output U.fsbupd [--hardware HW.json] [--calibration N]
          [--data-root DIR]
        """,
        discussion: """
        --format onnx writes one ONNX file (opset 13) for float inference: input \
        "images" float32 [N, C, H, W] holding raw pixels / 255 (the dataset \
        normalisation is the graph's first nodes), output "logits" [N, classes]. \
        Weights are each layer's effective weights (fsb: A*S); BatchNorm layers are \
        BatchNormalization nodes (not folded). Metadata (fsb.*) names the dataset, \
        methods, FSB options and the checkpoint.

        --format c writes the folder PATH with fsb_model.h and fsb_model.c: C99, \
        no heap, integer arithmetic only (the end-to-end integer model of \
        fsb simulate-hw --verify, bit for bit): fp layers as int8 multiply-\
        accumulates, bwn/binaryconnect as sign add/sub and one multiply per \
        output, twn as add/sub of its non-zero ternary weights and one multiply \
        per output, fsb as sign sums per kernel slice and one multiply per slice \
        (element granularity: multiply-accumulates). \
        Input: raw pixel bytes. Widths: --hardware's bits (default 8-bit \
        operands, 32-bit accumulators); activation scales are calibrated on the \
        first --calibration training images (default 256, at most the run's trainLimit; data as for fsb eval). \
        --signs packed (default: works for every method and sign source, costs \
        1 bit per weight of flash and no time) or regenerate (fsb signs drawn \
        from the model seed at every inference by the training's generator: no \
        sign storage, some time per inference).

        --update writes what a device with the C module of --base needs to \
        classify like that of --checkpoint: the new parameters (fp weights, \
        factors, biases, requantisation) with identity, sizes and CRC-32, for \
        fsb_model_apply_update. Refused when the signs (twn: ternary codes) or \
        the architecture differ. Missing folders of --output are created; every \
        output is written to a temporary and renamed, so a failed export leaves \
        nothing.

        Examples:
          fsb export --checkpoint runs/quickstart/last.fsbckpt --format onnx \\
            --output lenet5.onnx
          fsb export --checkpoint runs/quickstart/last.fsbckpt --format c \\
            --output lenet5-c --data-root datasets/samples
          fsb export --checkpoint runs/resnet20/best.fsbckpt --format c \\
            --output resnet20-c --signs regenerate \\
            --hardware configs/hw/fsb-int8-os.json
          fsb export --update --base runs/v1/last.fsbckpt \\
            --checkpoint runs/v2/last.fsbckpt --output v1-to-v2.fsbupd
          scripts/check_onnx.py --model lenet5.onnx \\
            --checkpoint runs/quickstart/last.fsbckpt --data datasets/samples/mnist
        """)

    @Option(name: .long, help: "Trained checkpoint (.fsbckpt); with --update the new one.")
    var checkpoint: String

    @Option(name: .long, help: "Output format: onnx or c.")
    var format: String?

    @Option(name: .long, help: "Output: a file (.onnx, .fsbupd) or, for --format c, a folder.")
    var output: String

    @Flag(name: .long, help: "Write a model update from --base to --checkpoint.")
    var update = false

    @Option(name: .long, help: "With --update: the checkpoint the device's module was exported from.")
    var base: String?

    @Option(name: .long, help: "C module signs: packed (default) or regenerate.")
    var signs: String?

    @Option(name: .long, help: "Hardware config whose bit widths the integer model uses.")
    var hardware: String?

    @Option(name: .long, help: "Training images that calibrate the activation scales (default 256).")
    var calibration: Int?

    @OptionGroup var data: DataRootOption

    func validate() throws {
        if update {
            if format != nil { throw ValidationError("--update writes an update; leave out --format") }
            if base == nil { throw ValidationError("--update needs --base OLD.fsbckpt") }
            if signs != nil { throw ValidationError("--signs is for --format c; an update carries no signs") }
        } else {
            guard let format else { throw ValidationError("give --format onnx or --format c (or --update)") }
            guard let kind = ModelExport.Format(rawValue: format) else {
                throw ValidationError("--format: expected one of \(ModelExport.Format.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(format)\"")
            }
            if base != nil { throw ValidationError("--base is for --update") }
            if kind == .onnx && (signs != nil || hardware != nil || calibration != nil) {
                throw ValidationError("--signs, --hardware and --calibration are for --format c and --update")
            }
        }
        if let signs, CModule.SignStorage(rawValue: signs) == nil {
            throw ValidationError("--signs: expected packed or regenerate, found \"\(signs)\"")
        }
        if let calibration, let problem = IntegerModel.calibrationRange.problem(calibration) {
            throw ValidationError("--calibration \(problem), got \(calibration)")
        }
    }

    /// The export the options ask for; a `UserFacingError` (one line) on bad input.
    func perform() throws -> ModelExport.Report {
        let options = ModelExport.IntegerOptions(
            signs: signs.flatMap(CModule.SignStorage.init(rawValue:)) ?? .packed, hardwareConfig: hardware,
            calibration: calibration ?? IntegerModel.defaultCalibration, dataRoot: data.dataRoot)
        if update {
            return try ModelExport.runUpdate(base: base ?? "", checkpoint: checkpoint, output: output, options: options)
        }
        return try ModelExport.run(checkpoint: checkpoint, format: ModelExport.Format(rawValue: format ?? "") ?? .onnx,
                                   output: output, options: options)
    }

    func run() throws {
        print(try perform().summary)
    }
}
