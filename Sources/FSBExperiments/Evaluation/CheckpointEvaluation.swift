import FSBCore
import FSBData
import FSBNN
import Foundation

/// `fsb eval`: loads a checkpoint, rebuilds its model, evaluates it on a split, and
/// renders loss, accuracy, per-class accuracy and the confusion matrix.
public struct CheckpointEvaluation {
    public let checkpointPath: String
    public let split: DatasetSplit
    public let result: Evaluator.Result
    public let config: ExperimentConfig
    /// The convolutions that ran on the FSB sign path (`signPath: true`), with their
    /// distinct sign patterns; empty on the plain GEMM path.
    public let signPathLayers: [(name: String, patterns: Int)]
    /// The products' arithmetic of this evaluation.
    public let precision: ComputePrecision
    /// With `keepLogits`: every image's logits, `[images * classes]` row-major, and labels.
    public let logits: [Float]?
    public let labels: [Int32]

    /// Evaluates `checkpointPath` on `split` with the data found under `dataRoot`. With
    /// `signPath`, every fsb kernel-granularity convolution runs on the sign path (sign
    /// convolutions, then factors; `SignConvolutionPlan`) instead of the GEMM. With
    /// `keepLogits`, `logits` holds every image's logits (for `writeLogits(to:)`).
    /// `precision` (nil: the one the checkpoint was trained in) sets the products' arithmetic;
    /// a model trained in either precision evaluates in either.
    public init(checkpointPath: String, split: DatasetSplit, dataRoot: String?, signPath: Bool = false,
                keepLogits: Bool = false, precision: TrainingConfig.Precision? = nil) throws {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: checkpointPath))
        config = checkpoint.header.config
        if let threads = config.training.threads { Kernels.threadCount = threads }
        let requested = precision ?? config.training.precision
        self.precision = try PrecisionResolution.resolve(requested, field: precision == nil ? "\(checkpointPath): training.precision" : "--precision")
        let data = try DataPipeline(config, dataRoot: dataRoot)
        let network = try ModelBuilder.build(config, inputShape: data.inputShape, classCount: data.classCount)
        try CheckpointState.restore(checkpoint, into: network, optimizer: nil, file: checkpointPath)
        network.setPrecision(self.precision)
        if signPath {
            let plans = try network.useSignPathForInference()
            guard !plans.isEmpty else {
                throw FSBError("\(checkpointPath): the sign path needs fsb convolutions with kernel granularity; this \(config.model.method.rawValue) model has none")
            }
            signPathLayers = plans.map { ($0.layerName, $0.patternCount) }
        } else {
            signPathLayers = []
        }
        self.checkpointPath = checkpointPath
        self.split = split
        let dataset = split == .test ? data.test : data.train
        var kept = keepLogits ? [Float](repeating: 0, count: dataset.count * dataset.classCount) : nil
        let classes = dataset.classCount
        result = Evaluator.evaluate(network, on: dataset, batchSize: config.training.evalBatchSize) { start, batch in
            guard kept != nil else { return }
            for i in 0..<batch.count { kept![start * classes + i] = batch.storage[i] }
        }
        logits = kept
        labels = dataset.labels
    }

    /// The headline line, with the same rounding as `metrics.csv`.
    public var headline: String {
        "\(split.rawValue) accuracy: \(EpochMetrics.format(result.accuracy, 4))% (\(result.correct)/\(result.count)), loss \(EpochMetrics.format(result.loss, 6))"
    }

    /// Per-class table and confusion matrix as readable text.
    public func renderText() -> String {
        var text = "checkpoint: \(checkpointPath)\n\(headline)\n"
        if precision != .float32 { text += "precision: \(PrecisionResolution.describe(precision))\n" }
        if !signPathLayers.isEmpty {
            text += "FSB sign path on " + signPathLayers.map { "\($0.name) (\($0.patterns) patterns)" }.joined(separator: ", ") + "\n"
        }
        text += "\n"
        let perClass = result.perClassAccuracy
        text += TextTable.render(header: ["class", "images", "correct", "accuracy_pct"], rows: result.confusion.enumerated().map { label, row in
            [String(label), String(row.reduce(0, +)), String(row[label]), perClass[label].map { EpochMetrics.format($0, 2) } ?? "-"]
        })
        text += "\nconfusion matrix (rows: true label, columns: predicted)\n"
        text += TextTable.render(header: ["label"] + (0..<result.confusion.count).map(String.init),
                                 rows: result.confusion.enumerated().map { [String($0)] + $1.map(String.init) })
        return text
    }

    /// Writes the kept logits as CSV, one row per image in dataset order:
    /// `index,label,predicted,logit_0,...` (logits with 9 significant digits, which
    /// round-trip float32 exactly; `predicted` is the first largest logit).
    public func writeLogits(to path: String) throws {
        try AtomicFile.writeGroup([try logitsFile(at: path)])
    }

    /// The logits CSV of `writeLogits(to:)` as a file to write (with others, in one group).
    public func logitsFile(at path: String) throws -> (url: URL, data: Data) {
        guard let logits else { throw FSBError("\(path): no logits were kept (evaluation ran without keepLogits)") }
        let classes = labels.isEmpty ? 0 : logits.count / labels.count
        var text = "index,label,predicted," + (0..<classes).map { "logit_\($0)" }.joined(separator: ",") + "\n"
        logits.withUnsafeBufferPointer { z in
            for (index, label) in labels.enumerated() {
                let predicted = Evaluator.predictedClass(z, row: index, classes: classes)
                let row = z[(index * classes)..<((index + 1) * classes)]
                text += "\(index),\(label),\(predicted)," + row.map { String(format: "%.9g", $0) }.joined(separator: ",") + "\n"
            }
        }
        return (URL(fileURLWithPath: path), Data(text.utf8))
    }

    /// `eval.csv`, `per_class.csv` and `confusion.csv` (`outputFileNames`) in `directory`,
    /// to write in one group (`fsb eval --output`, with `--logits`).
    public func csvFiles(in directory: String) -> [(url: URL, data: Data)] {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        let summary = CSVTable<CheckpointEvaluation>(columns: [
            .init("checkpoint") { $0.checkpointPath },
            .init("split") { $0.split.rawValue },
            .init("images") { String($0.result.count) },
            .init("correct") { String($0.result.correct) },
            .init("loss") { EpochMetrics.format($0.result.loss, 6) },
            .init("accuracy_pct") { EpochMetrics.format($0.result.accuracy, 4) },
        ])

        let perClass = result.perClassAccuracy
        let classTable = CSVTable<Int>(columns: [
            .init("class") { String($0) },
            .init("images") { self.result.confusion[$0].reduce(0, +).description },
            .init("correct") { String(self.result.confusion[$0][$0]) },
            .init("accuracy_pct") { perClass[$0].map { EpochMetrics.format($0, 4) } ?? "" },
        ])

        var confusion = "label," + (0..<result.confusion.count).map { "pred_\($0)" }.joined(separator: ",") + "\n"
        for (label, row) in result.confusion.enumerated() {
            confusion += String(label) + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        let contents = [summary.render([self]), classTable.render(Array(0..<result.confusion.count)), confusion]
        return zip(Self.outputFileNames, contents).map { (folder.appendingPathComponent($0), Data($1.utf8)) }
    }

    /// The names of the files of `csvFiles(in:)`.
    public static let outputFileNames = ["eval.csv", "per_class.csv", "confusion.csv"]
}
