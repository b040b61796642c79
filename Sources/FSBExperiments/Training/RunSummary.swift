import FSBCore
import Foundation

/// One row of `summary.csv`: the run's identity, model size and results.
public struct RunSummary: Codable, Equatable, Sendable {
    public var name: String
    public var dataset: String
    public var model: String
    public var method: String
    public var granularity: String
    public var alphaSign: String
    public var signInit: String
    public var signCodebook: String
    public var firstLayerMethod: String
    public var lastLayerMethod: String
    public var seed: UInt64
    public var epochs: Int
    public var params: Int
    public var trainableParams: Int
    public var modelBits: Int
    public var updateBits: Int
    /// Test accuracy (percent) at the best epoch: chosen by validation accuracy when a
    /// validation split is configured, else by test accuracy.
    public var bestTestAccuracy: Double
    public var bestEpoch: Int
    public var finalTestAccuracy: Double
    public var finalTestLoss: Double
    public var wallSeconds: Double
    /// The products' arithmetic as run (`fp32`, `bf16 (amx)`, `fp32 + bf16 (amx)` for a run
    /// resumed in the other precision); nil in summaries written
    /// before precision was recorded, which were all fp32.
    public var precision: String?

    /// The columns of `summary.csv`, declared once.
    public static var table: CSVTable<RunSummary> { CSVTable<RunSummary>(columns: [
        .init("name") { $0.name },
        .init("dataset") { $0.dataset },
        .init("model") { $0.model },
        .init("method") { $0.method },
        .init("granularity") { $0.granularity },
        .init("alpha_sign") { $0.alphaSign },
        .init("sign_init") { $0.signInit },
        .init("sign_codebook") { $0.signCodebook },
        .init("first_layer_method") { $0.firstLayerMethod },
        .init("last_layer_method") { $0.lastLayerMethod },
        .init("seed") { String($0.seed) },
        .init("epochs") { String($0.epochs) },
        .init("params") { String($0.params) },
        .init("trainable_params") { String($0.trainableParams) },
        .init("model_bits") { String($0.modelBits) },
        .init("update_bits") { String($0.updateBits) },
        .init("best_test_acc") { EpochMetrics.format($0.bestTestAccuracy, 4) },
        .init("best_epoch") { String($0.bestEpoch) },
        .init("final_test_acc") { EpochMetrics.format($0.finalTestAccuracy, 4) },
        .init("final_test_loss") { EpochMetrics.format($0.finalTestLoss, 6) },
        .init("wall_seconds") { EpochMetrics.format($0.wallSeconds, 1) },
        .init("precision") { $0.precision ?? "fp32" },
    ]) }
}
