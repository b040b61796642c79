import FSBCore
import FSBData
import FSBHardware
import FSBNN
import Foundation

/// `fsb simulate-hw --verify N`: runs N test images through a trained checkpoint twice —
/// in float, and with every FSB convolution computed by the integer model of the FSB
/// datapath (activations and factors quantized to the hardware config's widths; sign
/// add/sub, factor multiply, accumulate; codebook sharing when the layer has a codebook) —
/// and checks, image by image, that the FSB datapath's integers equal those of a plain
/// integer convolution with the same quantized weights `A_q * S`.
///
/// Everything between FSB convolutions (BatchNorm, ReLU, pooling, the fp first and last
/// layers) stays in float: this measures the effect of the FSB layers' fixed-point
/// arithmetic, which is what the accelerator replaces.
///
/// It also runs the same images through the whole network in integer arithmetic
/// (`IntegerModel`, the arithmetic of the C module of `fsb export --format c`: raw pixel
/// bytes in, int8 activations, every layer and BatchNorm, pooling and residual sum in
/// integers, activation scales calibrated on the first training images) and reports its
/// accuracy; `predictions` are that run's, so the C module can be checked image by image.
public struct DatapathVerification {
    /// The range of the number of test images checked (`--verify N`).
    public static let countRange = ValueRange(1...10_000_000)

    /// What one FSB layer's integer runs showed.
    public struct LayerCheck: Sendable {
        public var layer: String
        public var images = 0
        public var outputs = 0
        /// Accumulators where the FSB path and the plain integer convolution differ.
        public var mismatches = 0
        /// Saturations of the accumulator (after one, the paths may legitimately differ).
        public var overflows = 0
        public var sharedCodebook = false
    }

    /// One image's run through one FSB layer: the datapath's result and how many of its
    /// accumulators differ from the plain integer convolution's.
    private struct ImageCheck {
        var fsb: FixedPointDatapath.Result
        var mismatches: Int
    }

    public var layers: [LayerCheck]
    /// fsb layers with element granularity (one factor per weight, kernels larger than 1x1):
    /// not a computation of the FSB datapath, so left in float in the fixed-point run.
    public var uncheckedLayers: [String]
    public var images: Int
    public var floatAccuracy: Double
    public var fixedPointAccuracy: Double
    public var widths: FixedPointDatapath.Widths
    /// The widths of the end-to-end integer run (with the weights' width for fp layers).
    public var integerWidths: IntegerNetwork.Widths
    /// Accuracy of the end-to-end integer model, or nil with `integerProblem` saying why it
    /// was not run (widths it does not take, a layer with no integer form).
    public var integerAccuracy: Double?
    public var integerProblem: String?
    /// Accumulator saturations in the integer run (all images).
    public var integerOverflows = 0
    public var calibrationImages: Int
    /// Per verified image, in test-set order: its label and the class the end-to-end integer
    /// model predicted (the first largest score), or, when it was not run, the class of the
    /// run with fixed-point fsb layers.
    public var predictions: [(label: Int, predicted: Int)]

    /// True when every FSB layer gave identical integers on both paths (vacuously for a
    /// model without fsb layers).
    public var bitExact: Bool { layers.allSatisfy { $0.mismatches == 0 } }

    /// Runs the check for `checkpointPath` on the first `count` test images, calibrating the
    /// integer model on the first `calibration` training images.
    public init(checkpointPath: String, hardwareConfig: String, count: Int, dataRoot: String?,
                calibration: Int = IntegerModel.defaultCalibration) throws {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: checkpointPath))
        var config = checkpoint.header.config
        config.dataset.testLimit = min(count, config.dataset.testLimit ?? count)
        let accelerator = try Accelerator.load(configPath: hardwareConfig)
        let bits = accelerator.config.bits
        widths = .init(activationBits: bits.activations, factorBits: bits.factors, accumulatorBits: bits.accumulators)
        integerWidths = .init(activationBits: bits.activations, weightBits: bits.weights, factorBits: bits.factors,
                              accumulatorBits: bits.accumulators)
        calibrationImages = calibration
        let data = try DataPipeline(config, dataRoot: dataRoot)
        let network = try ModelBuilder.build(config, inputShape: data.inputShape, classCount: data.classCount)
        try CheckpointState.restore(checkpoint, into: network, optimizer: nil, file: checkpointPath)
        images = data.test.count
        floatAccuracy = Evaluator.evaluate(network, on: data.test, batchSize: 100).accuracy

        // The end-to-end integer model, before the fsb layers are overridden.
        var integerPredicted: [Int]?
        do {
            let graph = try InferenceGraph(network: network, dataset: config.dataset.name)
            let images = try IntegerModel.calibrationImages(config, count: calibration, dataRoot: dataRoot)
            // The training split may hold fewer images than asked for (a run's trainLimit).
            calibrationImages = images.count
            let model = try IntegerModel(graph: graph, widths: integerWidths, calibration: images)
            let location = try DataLocation.resolve(config.dataset.name, explicitPath: config.dataset.path, dataRoot: dataRoot)
            let rawTest = try DatasetLoader.load(config.dataset.name, split: .test, from: location,
                                                 labels: config.dataset.cifar100Labels, limit: config.dataset.testLimit)
            let results = try model.classify(IntegerModel.images(of: rawTest))
            integerPredicted = results.map(\.predicted)
            integerOverflows = results.reduce(0) { $0 + $1.overflows }
            let correct = zip(results, rawTest.labels).filter { $0.predicted == Int($1) }.count
            integerAccuracy = accuracyPercent(correct: correct, total: rawTest.count)
        } catch let error as UserFacingError {
            integerProblem = error.description
        }

        var checks: [LayerCheck] = []
        var uncheckedLayers: [String] = []
        var failure: Error?
        let shapes = Dictionary(network.layerShapes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for layer in network.allLayers {
            guard let compute = layer as? any ComputeLayer, let shape = shapes[layer.name] else { continue }
            let target = (weight: compute.weight, bias: compute.bias, stride: shape.stride, padding: shape.padding)
            guard let options = target.weight.fsbOptions, let signs = target.weight.signs, let scale = target.weight.scale else { continue }
            let (outputs, inputs) = (target.weight.outputChannels, target.weight.inputChannels)
            let factors: Tensor
            switch options.granularity {
            case .kernel:
                factors = scale.value.reshaped([outputs, inputs])
            case .filter:
                factors = Tensor(shape: [outputs, inputs], storage: (0..<(outputs * inputs)).map { scale.value[$0 / inputs] })
            case .element where target.weight.kernelSize == 1:
                factors = scale.value.reshaped([outputs, inputs])
            case .element:
                // One factor per weight: the FSB datapath (one multiply per kernel slice) does
                // not compute this layer; it stays in float here (the integer model and the
                // C module run it as multiply-accumulates).
                uncheckedLayers.append(layer.name)
                continue
            }
            let signShape = signs.rank == 4 ? signs.shape : [outputs, inputs, 1, 1]
            let datapath = try FixedPointDatapath(signs: signs.reshaped(signShape), factors: factors, bias: target.bias?.value,
                                                  stride: target.stride, padding: target.padding, widths: widths)
            let index = checks.count
            let shared = options.signCodebook != nil
            checks.append(LayerCheck(layer: layer.name, sharedCodebook: shared))
            let override: (Tensor) -> Tensor = { input in
                // A linear layer's input [N, Ci] is a 1x1 image per example.
                let batch = input.shape[0]
                let imageShape = input.rank == 4 ? Array(input.shape.dropFirst()) : [input.shape[1], 1, 1]
                let imageSize = imageShape.reduce(1, *)
                // The images of a batch are checked on every core; the integers do not depend
                // on the schedule, and the results are gathered in image order.
                let results: [ImageCheck]
                do {
                    results = try parallelMap(batch) { b in
                        let image = Tensor(shape: imageShape, storage: Array(input.storage[(b * imageSize)..<((b + 1) * imageSize)]))
                        let quantized = datapath.quantizeInput(image)
                        let fsb = shared ? try datapath.runFSBShared(quantized) : try datapath.runFSB(quantized)
                        let plain = try datapath.runPlain(quantized)
                        return ImageCheck(fsb: fsb, mismatches: zip(fsb.accumulators, plain.accumulators).filter { $0 != $1 }.count)
                    }
                } catch {
                    failure = error
                    return Tensor(shape: input.rank == 4 ? [batch, outputs, 1, 1] : [batch, outputs])
                }
                var values: [Float] = []
                for result in results {
                    checks[index].images += 1
                    checks[index].outputs += result.fsb.accumulators.count
                    checks[index].overflows += result.fsb.overflows
                    checks[index].mismatches += result.mismatches
                    values += result.fsb.accumulators.map { Float($0) * result.fsb.scale }
                }
                let outputShape = results.first?.fsb.shape ?? []
                return Tensor(shape: input.rank == 4 ? [batch] + outputShape : [batch, outputs], storage: values)
            }
            compute.inferenceOverride = override
        }
        var predicted = [Int](repeating: 0, count: data.test.count)
        let classes = data.classCount
        fixedPointAccuracy = Evaluator.evaluate(network, on: data.test, batchSize: 100) { start, logits in
            logits.storage.withUnsafeBufferPointer { z in
                for row in 0..<(z.count / classes) { predicted[start + row] = Evaluator.predictedClass(z, row: row, classes: classes) }
            }
        }.accuracy
        if let failure { throw failure }
        predictions = zip(data.test.labels, integerPredicted ?? predicted).map { (label: Int($0), predicted: $1) }
        layers = checks
        self.uncheckedLayers = uncheckedLayers
    }

    /// `predictions.csv`: `index,label,predicted`, one row per verified image.
    public func predictionsCSV() -> String {
        "index,label,predicted\n" + predictions.enumerated().map { "\($0),\($1.label),\($1.predicted)\n" }.joined()
    }

    /// The report printed by `fsb simulate-hw --verify`; `predictionsFile` names the file that
    /// `predictionsCSV()` goes to, when it is written (with `--output`).
    public func render(predictionsFile: String? = nil) -> String {
        var text = "bit-accurate FSB datapath check: \(images) test images, activations \(widths.activationBits)-bit, factors \(widths.factorBits)-bit, accumulators \(widths.accumulatorBits)-bit\n"
        if !uncheckedLayers.isEmpty {
            text += "not on the FSB datapath (element granularity: one factor per weight), kept in float: \(uncheckedLayers.joined(separator: ", "))\n"
        }
        if layers.isEmpty {
            text += uncheckedLayers.isEmpty ? "no fsb layers: nothing to compare with the plain integer convolution\n"
                                            : "no fsb layer on the FSB datapath: nothing to compare with the plain integer convolution\n"
        } else {
            text += TextTable.render(header: ["layer", "images", "outputs", "mismatches", "overflows", "codebook_shared"], rows: layers.map {
                [$0.layer, String($0.images), String($0.outputs), String($0.mismatches), String($0.overflows), $0.sharedCodebook ? "yes" : "no"]
            })
            text += bitExact ? "fsb datapath == plain integer convolution: identical integers in every layer\n"
                             : "fsb datapath != plain integer convolution in some layer (see mismatches)\n"
        }
        text += String(format: "accuracy on these images: float %.2f%%, fixed-point fsb layers (rest float) %.2f%%\n", floatAccuracy, fixedPointAccuracy)
        if let integerAccuracy {
            text += String(format: "end-to-end integer model (the C module's arithmetic; weights %d-bit, calibrated on %d training images): %.2f%%, %d accumulator saturations\n",
                           integerWidths.weightBits, calibrationImages, integerAccuracy, integerOverflows)
            if let predictionsFile { text += "\(predictionsFile): the end-to-end integer model's classes\n" }
        } else {
            text += "end-to-end integer model: not run: \(integerProblem ?? "?")\n"
            if let predictionsFile { text += "\(predictionsFile): the classes of the fixed-point fsb layers (rest float)\n" }
        }
        return text
    }
}
