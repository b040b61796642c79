import FSBCore
import Foundation

/// One row of `metrics.csv`: what an epoch of training measured.
/// Accuracies are percentages; losses are means over images.
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var testLoss: Double
    public var testAccuracy: Double
    public var epochSeconds: Double
    public var imagesPerSecond: Double
    /// The products' arithmetic this epoch was trained in (`fp32`, `bf16 (amx)`): a run
    /// resumed in the other precision shows where it switched. nil in checkpoints written
    /// before precision was recorded, which were all fp32.
    public var precision: String?

    /// The columns of `metrics.csv`, declared once. `val_*` columns appear only when a
    /// validation split is configured. Timing columns are the only ones that differ
    /// between two runs with the same seed and thread count; they stay last.
    public static func table(withValidation: Bool) -> CSVTable<EpochMetrics> {
        typealias Column = CSVTable<EpochMetrics>.Column
        var columns: [Column] = [
            Column("epoch") { String($0.epoch) },
            Column("lr") { format($0.learningRate, 8) },
            Column("train_loss") { format($0.trainLoss, 6) },
            Column("train_acc") { format($0.trainAccuracy, 4) },
        ]
        if withValidation {
            columns += [
                Column("val_loss") { $0.validationLoss.map { format($0, 6) } ?? "" },
                Column("val_acc") { $0.validationAccuracy.map { format($0, 4) } ?? "" },
            ]
        }
        columns += [
            Column("test_loss") { format($0.testLoss, 6) },
            Column("test_acc") { format($0.testAccuracy, 4) },
            Column("precision") { $0.precision ?? "fp32" },
            Column("epoch_seconds") { format($0.epochSeconds, 3) },
            Column("images_per_second") { format($0.imagesPerSecond, 1) },
        ]
        return CSVTable(columns: columns)
    }

    /// Fixed-point rendering used in every CSV of a run.
    public static func format(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }
}

/// Accuracy in percent from counts, the single definition used by train and eval.
public func accuracyPercent(correct: Int, total: Int) -> Double {
    total == 0 ? 0 : 100 * Double(correct) / Double(total)
}
