import ArgumentParser
import FSBCore
import FSBData
import FSBExperiments
import Foundation

/// `fsb eval`: evaluates a checkpoint on the test or training split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: loss, accuracy, per-class accuracy, confusion matrix.",
        usage: """
        fsb eval --checkpoint FILE [--split test|train] [--precision fp32|bf16]
          [--sign-path] [--data-root DIR] [--output DIR] [--logits FILE.csv]
        """,
        discussion: """
        Examples:
          fsb eval --checkpoint runs/quickstart/last.fsbckpt
          fsb eval --checkpoint runs/fsb1/best.fsbckpt --data-root ../shared/datasets \\
            --split train --output runs/fsb1/eval
          fsb eval --checkpoint runs/quickstart/last.fsbckpt --sign-path
          fsb eval --checkpoint runs/quickstart/last.fsbckpt --precision bf16
          fsb eval --checkpoint runs/quickstart/last.fsbckpt --logits logits.csv
        """)

    @Option(name: .long, help: "Checkpoint file (.fsbckpt).", completion: .file(extensions: ["fsbckpt"]))
    var checkpoint: String

    @OptionGroup var data: DataRootOption

    @Option(name: .long, help: "Which split to evaluate: test or train.", completion: .list(["test", "train"]))
    var split: String = "test"

    @Option(name: .long, help: "Folder for eval.csv, per_class.csv and confusion.csv.", completion: .directory)
    var output: String?

    @Option(name: .long, help: "Also write every image's logits to this CSV (index,label,predicted,logit_0,...).")
    var logits: String?

    @Flag(name: .long, help: "Run fsb kernel-granularity convolutions on the sign path (sign convolutions, then factors) instead of the GEMM; fastest with a small sign codebook.")
    var signPath = false

    @Option(name: .long, help: "Arithmetic of the conv/linear products: fp32 or bf16 (default: the precision the checkpoint was trained in).")
    var precision: String?

    func validate() throws {
        guard DatasetSplit(rawValue: split) != nil else {
            throw ValidationError("--split must be \"test\" or \"train\", got \"\(split)\"")
        }
        if let precision, TrainingConfig.Precision(rawValue: precision) == nil {
            throw ValidationError("--precision must be \"fp32\" or \"bf16\", got \"\(precision)\"")
        }
    }

    func run() throws {
        if let logits {
            // Neither the checkpoint nor a file of --output may be overwritten by --logits.
            let evalFiles = output.map { folder in
                CheckpointEvaluation.outputFileNames.map { ("--output", URL(fileURLWithPath: folder).appendingPathComponent($0).path) }
            } ?? []
            try RegularFile.refuseOverwriting(inputs: [("--checkpoint", checkpoint)] + evalFiles, with: logits, option: "--logits")
        }
        let evaluation = try CheckpointEvaluation(checkpointPath: checkpoint, split: DatasetSplit(rawValue: split) ?? .test,
                                                  dataRoot: data.dataRoot, signPath: signPath, keepLogits: logits != nil,
                                                  precision: precision.flatMap(TrainingConfig.Precision.init(rawValue:)))
        print(evaluation.renderText(), terminator: "")
        // The CSV files and the logits as one unit: all of them or none.
        var files = output.map(evaluation.csvFiles(in:)) ?? []
        if let logits { files.append(try evaluation.logitsFile(at: logits)) }
        if !files.isEmpty { try AtomicFile.writeGroup(files) }
    }
}
