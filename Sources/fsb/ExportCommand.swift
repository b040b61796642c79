import ArgumentParser
import FSBCore
import FSBExperiments
import Foundation

/// `fsb export`: writes a trained checkpoint in a deployment format. Argument handling
/// only; the work is `ModelExport.run`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained checkpoint for deployment (ONNX).",
        usage: """
        fsb export --checkpoint FILE --format onnx --output MODEL.onnx
        """,
        discussion: """
        --format onnx writes one ONNX file (opset 13) for float inference: input \
        "images" float32 [N, C, H, W] holding raw pixels / 255 (the dataset \
        normalisation is the graph's first nodes), output "logits" [N, classes]. \
        Weights are each layer's effective weights (fsb: A*S); BatchNorm layers are \
        BatchNormalization nodes (not folded). Metadata (fsb.*) names the dataset, \
        methods, FSB options and the checkpoint. The file is written to a temporary \
        file and renamed, so a failed export leaves nothing.

        Examples:
          fsb export --checkpoint runs/quickstart/last.fsbckpt --format onnx \\
            --output lenet5.onnx
          fsb export --checkpoint runs/resnet20/best.fsbckpt --format onnx \\
            --output models/resnet20-fsb.onnx
          scripts/check_onnx.py --model lenet5.onnx \\
            --checkpoint runs/quickstart/last.fsbckpt --data datasets/samples/mnist
        """)

    @Option(name: .long, help: "Trained checkpoint (.fsbckpt).")
    var checkpoint: String

    @Option(name: .long, help: "Output format: onnx.")
    var format: String

    @Option(name: .long, help: "Output file (.onnx).")
    var output: String

    func validate() throws {
        guard ModelExport.Format(rawValue: format) != nil else {
            throw ValidationError("--format: expected one of \(ModelExport.Format.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(format)\"")
        }
    }

    func run() throws {
        do {
            let report = try ModelExport.run(checkpoint: checkpoint, format: ModelExport.Format(rawValue: format) ?? .onnx,
                                             output: output)
            print(report.summary)
        } catch let error as UserFacingError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
