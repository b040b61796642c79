import FSBCore
import FSBData
import FSBHardware
import FSBNN
import Foundation

/// A trained network in integer arithmetic only (`IntegerNetwork`), built from its
/// `InferenceGraph` and calibrated on training images: the reference that the C module of
/// `fsb export --format c` reproduces bit for bit, and the end-to-end integer run of
/// `fsb simulate-hw --verify`. The integer form and its rounding rules are in
/// `docs/integer-inference.md`.
///
/// Per compute layer, by method: `fp` -> int8 multiply-accumulates (weights quantized with a
/// power-of-two scale per tensor); `bwn`, `binaryconnect` -> sign additions/subtractions
/// and one multiply per output by `alpha[o]` (1 for binaryconnect); `twn` -> the same with
/// ternary codes, zero weights skipped; `fsb` -> the `FixedPointDatapath` (sign sums per
/// kernel slice, one multiply by the slice's factor, the codebook form when the layer has a
/// sign codebook), or with element granularity (one factor per weight) multiply-
/// accumulates. BatchNorm folds into the requantisation of the layer before it; ReLU, max pooling, average pooling, residual sums
/// (option-A subsampled shortcuts read in place) follow as in `IntegerNetwork`. Activation
/// scales are per tensor: the largest |value| a calibration image reaches, over the
/// largest activation integer.
public struct IntegerModel {
    /// Where a sign-carrying layer's signs come from, for `--signs regenerate`.
    public struct SignSource: Equatable, Sendable {
        public var seed: UInt64
        public var stream: String
        /// The codebook size when the signs were drawn as patterns (`K > 1`).
        public var codebook: Int?
    }

    public var network: IntegerNetwork
    /// Per compute layer name: the seeded sign stream its signs are (nil when they are not
    /// regenerable: bwn/binaryconnect signs are trained, fsb signs may come from a checkpoint).
    public var signSources: [String: SignSource]
    public var dataset: DatasetName
    public var calibrationImages: Int
    /// Per compute layer name, the method of the network's layer.
    public var methods: [String: String]

    /// Builds the integer model of `graph` with `widths`, calibrating activation scales on
    /// `calibration` (raw images of the graph's input shape, at least one).
    public init(graph: InferenceGraph, widths: IntegerNetwork.Widths, calibration: [[UInt8]]) throws {
        if let problem = widths.problem { throw FSBError("integer model: \(problem)") }
        guard !calibration.isEmpty else { throw FSBError("integer model: no calibration images") }
        var builder = try Builder(graph: graph, widths: widths, calibration: calibration)
        try builder.build()
        network = builder.network
        signSources = builder.signSources
        methods = builder.methods
        dataset = graph.dataset
        calibrationImages = calibration.count
    }

    /// The integer model of a trained checkpoint, calibrated on the first `calibration`
    /// training images of its dataset.
    public init(model: TrainedModel, widths: IntegerNetwork.Widths, calibration: Int, dataRoot: String?) throws {
        let graph = try InferenceGraph(network: model.network, dataset: model.config.dataset.name)
        let images = try Self.calibrationImages(model.config, count: calibration, dataRoot: dataRoot)
        try self.init(graph: graph, widths: widths, calibration: images)
    }

    /// The number of calibration images `fsb export` and `fsb simulate-hw --verify` use.
    public static let defaultCalibration = 256
    public static let calibrationRange = ValueRange(1...100_000)

    /// The first `count` training images of the config's dataset, as raw bytes.
    public static func calibrationImages(_ config: ExperimentConfig, count: Int, dataRoot: String?) throws -> [[UInt8]] {
        let dataset = config.dataset
        let location = try DataLocation.resolve(dataset.name, explicitPath: dataset.path, dataRoot: dataRoot)
        let limit = min(count, dataset.trainLimit ?? count)
        let raw = try DatasetLoader.load(dataset.name, split: .train, from: location, labels: dataset.cifar100Labels, limit: limit)
        return images(of: raw)
    }

    /// The images of a raw split, one byte array each.
    public static func images(of raw: RawDataset) -> [[UInt8]] {
        let size = raw.imageBytes
        return (0..<raw.count).map { Array(raw.pixels[($0 * size)..<(($0 + 1) * size)]) }
    }

    /// Scores and predicted class of each image (in parallel; same results in any order).
    public func classify(_ images: [[UInt8]]) throws -> [(scores: [Int32], predicted: Int, overflows: Int)] {
        let network = self.network
        return try parallelMap(images.count) { try network.classify(images[$0]) }
    }

    /// The compute layers in execution order.
    public var computes: [IntegerNetwork.Compute] {
        network.steps.compactMap { if case .compute(let c) = $0 { return c } else { return nil } }
    }
}
