import FSBCore
import FSBData
@testable import FSBExperiments
import FSBHardware
import FSBNN
import Foundation
import XCTest

/// Every architecture and weight method `fsb` trains (and the fsb options that change the
/// exported form), through every export path, on tiny untrained checkpoints: ONNX (graph
/// structure, the effective weights bit for bit, the graph's logits by a reference
/// interpreter), the integer model and its C module (packed; regenerated signs where they
/// come from the seed, refused by name otherwise), and a model update. The lists must name
/// every architecture and method the config decoder accepts, so a new one that breaks an
/// export fails here. One small convolutional network per method is also compiled and run
/// against the Swift integer model (`CModuleFixtures.exportAndCompare`).
final class ExportMatrixTests: XCTestCase {
    typealias F = CModuleFixtures

    /// Every architecture, small, with a dataset it runs on (the ResNets differ in depth
    /// and shortcut; the MLP reads a flattened image).
    private static let architectures: [(name: String, dataset: DatasetName, model: String)] = [
        ("mlp", .mnist, #""architecture": "mlp", "hidden": [16, 8], "batchNorm": true"#),
        ("lenet5", .mnist, #""architecture": "lenet5", "batchNorm": true, "widthMultiplier": 0.5"#),
        ("vgg-small", .cifar10, #""architecture": "vgg-small", "widthMultiplier": 0.0625"#),
        ("resnet20", .cifar10, #""architecture": "resnet20", "widthMultiplier": 0.125"#),
        ("resnet32", .cifar10, #""architecture": "resnet32", "widthMultiplier": 0.125, "shortcut": "B""#),
        ("resnet56", .cifar10, #""architecture": "resnet56", "widthMultiplier": 0.125"#),
    ]

    /// A method (or fsb variant) of the matrix: the model fields, and whether every sign of
    /// the model is drawn from the seed (so that `--signs regenerate` works).
    private struct Method {
        var name: String
        var method: String
        var fields: String
        var regenerable: Bool
    }

    /// `%FP%` stands for the fp checkpoint of the same architecture (sign initialisation).
    private static let methods: [Method] = [
        Method(name: "fp", method: "fp", fields: #""method": "fp""#, regenerable: true),
        Method(name: "binaryconnect", method: "binaryconnect", fields: #""method": "binaryconnect""#, regenerable: false),
        Method(name: "bwn", method: "bwn", fields: #""method": "bwn""#, regenerable: false),
        Method(name: "twn", method: "twn", fields: #""method": "twn""#, regenerable: false),
        Method(name: "twn-first-last", method: "twn", fields: #""method": "twn", "firstLayerMethod": "twn", "lastLayerMethod": "twn""#,
               regenerable: false),
        Method(name: "fsb", method: "fsb", fields: #""method": "fsb""#, regenerable: true),
        Method(name: "fsb-filter", method: "fsb", fields: #""method": "fsb", "fsb": {"granularity": "filter"}"#, regenerable: true),
        Method(name: "fsb-element", method: "fsb", fields: #""method": "fsb", "fsb": {"granularity": "element", "alphaSign": "free"}"#,
               regenerable: true),
        Method(name: "fsb-codebook", method: "fsb", fields: #""method": "fsb", "fsb": {"signCodebook": 4}"#, regenerable: true),
        Method(name: "fsb-first-last", method: "fsb", fields: #""method": "fsb", "firstLayerMethod": "fsb", "lastLayerMethod": "fsb""#,
               regenerable: true),
        Method(name: "fsb-sign-checkpoint", method: "fsb",
               fields: #""method": "fsb", "fsb": {"signInit": "checkpoint", "signCheckpoint": "%FP%"}"#, regenerable: false),
    ]

    func testTheMatrixNamesEveryArchitectureAndMethod() {
        XCTAssertEqual(Self.architectures.map(\.name), ModelConfig.Architecture.allCases.map(\.rawValue))
        XCTAssertEqual(Set(Self.methods.map(\.method)), Set(WeightMethod.allCases.map(\.name)))
    }

    /// The integer form each method must get (fsb element granularity: multiply-accumulates
    /// where `K > 1`; a bwn/binaryconnect first layer on a multi-channel image: the fsb form).
    private func assertForm(_ compute: IntegerNetwork.Compute, _ label: String) {
        let form: String
        switch compute.kernel {
        case .multiplyAccumulate: form = "mac"
        case .signs: form = "signs"
        case .ternary: form = "ternary"
        case .fsb: form = "fsb"
        }
        let allowed: [String: Set<String>] = ["fp": ["mac"], "binaryconnect": ["signs", "fsb"], "bwn": ["signs", "fsb"],
                                              "twn": ["ternary"], "fsb": ["fsb", "mac"]]
        XCTAssertTrue(allowed[compute.method]?.contains(form) == true, "\(label): layer \(compute.name) (\(compute.method)) as \(form)")
    }

    /// The cases of the sweep: every method variant on LeNet-5 (convolutions, pooling,
    /// linear layers), every base method on the MLP (a linear layer on the flattened image)
    /// and ResNet-20 (residual sums, global pooling), VGG-small with fsb and twn, ResNet-32
    /// (shortcut B) with twn and ResNet-56 with fsb — a checkpoint load of the deep ResNets
    /// takes seconds in a debug build, so not every method runs on every architecture.
    private static var sweep: [(architecture: (name: String, dataset: DatasetName, model: String), method: Method)] {
        let byName = Dictionary(uniqueKeysWithValues: architectures.map { ($0.name, $0) })
        let base = methods.filter { $0.name == $0.method }
        let method = Dictionary(uniqueKeysWithValues: methods.map { ($0.name, $0) })
        return methods.map { (byName["lenet5"]!, $0) } + base.map { (byName["mlp"]!, $0) } + base.map { (byName["resnet20"]!, $0) }
            + [("vgg-small", "fsb"), ("vgg-small", "twn"), ("resnet32", "twn"), ("resnet56", "fsb")].map { (byName[$0.0]!, method[$0.1]!) }
    }

    func testEveryArchitectureAndMethodExportsToONNXCAndUpdates() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        XCTAssertEqual(Set(Self.sweep.map(\.architecture.name)), Set(Self.architectures.map(\.name)))
        var fpCheckpoints: [String: String] = [:]
        for (architecture, method) in Self.sweep {
            let label = "\(architecture.name) \(method.name)"
            let name = "\(architecture.name)-\(method.name)"
            let (images, _) = try F.testImages(architecture.dataset, count: 1)
            let fields = method.fields.replacingOccurrences(of: "%FP%", with: fpCheckpoints[architecture.name] ?? "")
            let (checkpoint, network) = try ExportFixtures.checkpoint(name: name, dataset: architecture.dataset.rawValue,
                                                                      modelJSON: "{\(architecture.model), \(fields)}", in: folder)
            if method.name == "fp" { fpCheckpoints[architecture.name] = checkpoint }
            let trained = try TrainedModel(path: checkpoint)

            // ONNX: well formed, every weight the layer's What bit for bit, and the graph's
            // logits those of the network.
            let onnx = try DecodedONNX(ONNXExporter.export(trained).encoded())
            ONNXExportTests.assertWellFormed(onnx)
            XCTAssertEqual(onnx.metadata["fsb.method"], method.method, label)
            let computes = network.allLayers.compactMap { $0 as? ComputeLayer }
            XCTAssertFalse(computes.isEmpty, label)
            for layer in computes {
                XCTAssertEqual(onnx.initializers["\(layer.name).weight"]?.floats, layer.weight.effectiveWeight.storage,
                               "\(label): \(layer.name).weight")
            }
            let shape = [1] + network.inputShape
            let pixels = images[0].map { Float($0) / 255 }
            let plane = shape[2] * shape[3]
            let normalized = pixels.enumerated().map { i, p in
                (p - architecture.dataset.channelMean[i / plane]) / architecture.dataset.channelStd[i / plane]
            }
            let expected = network.forward(Tensor(shape: shape, storage: normalized), training: false)
            let logits = try ONNXReferenceInterpreter(model: onnx).run(images: .init(shape: shape, data: pixels))
            XCTAssertEqual(logits.shape, expected.shape, label)
            for (a, b) in zip(logits.data, expected.storage) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "\(label): logits")
            }

            // The integer model (every layer in its method's form), its C module, and an
            // update (here to itself: same identity, same parameters).
            let integer = try IntegerModel(model: trained, widths: .init(), calibration: 1, dataRoot: F.samples)
            for compute in integer.computes { assertForm(compute, label) }
            XCTAssertEqual(Set(integer.computes.map(\.method)).subtracting(["fp"]).isEmpty, method.method == "fp", label)
            XCTAssertEqual(try integer.network.classify(images[0]).scores.count, network.classCount, label)
            let module = try CModule(model: integer, signs: .packed, origin: name)
            XCTAssertTrue(module.source.contains("int fsb_model_classify(const uint8_t *pixels, int32_t *scores)"), label)
            if method.regenerable {
                XCTAssertNoThrow(try CModule(model: integer, signs: .regenerate, origin: name), label)
            } else {
                XCTAssertThrowsError(try CModule(model: integer, signs: .regenerate, origin: name), label) { error in
                    XCTAssertTrue("\(error)".hasPrefix("--signs regenerate: layer '"), "\(label): \(error)")
                    XCTAssertFalse("\(error)".contains("\n"), "\(label): \(error)")
                }
            }
            let update = try ModelUpdate.make(base: integer, new: integer)
            XCTAssertEqual(update.count, ModelUpdate.headerSize + module.parameterBytes + 4, label)
        }
    }

    /// One small convolutional network per method (and the fsb and twn forms with C code of
    /// their own), compiled and run on sample images: the scores and class of the Swift
    /// integer model on every image. twn also as a first layer on one image channel
    /// (LeNet-5) and on three (a ResNet's convolution, an MLP's linear layer on the
    /// flattened image: one factor per image channel).
    func testOneConvolutionalNetworkPerMethodMatchesTheIntegerModelInC() throws {
        try F.requireCompiler()
        let lenet = #""architecture": "lenet5", "batchNorm": true, "widthMultiplier": 0.5"#
        let compiled = ["fp", "binaryconnect", "bwn", "twn-first-last", "fsb", "fsb-element"]
        XCTAssertEqual(Set(Self.methods.filter { compiled.contains($0.name) }.map(\.method)), Set(WeightMethod.allCases.map(\.name)))
        for method in Self.methods where compiled.contains(method.name) {
            try F.exportAndCompare(self, "lenet-\(method.name)", dataset: .mnist, model: "{\(lenet), \(method.fields)}",
                                   count: 3, flags: ["-O0"])
        }
        try F.exportAndCompare(self, "resnet-twn-first-last", dataset: .cifar10,
                               model: #"{"architecture": "resnet20", "widthMultiplier": 0.125, "method": "twn", "firstLayerMethod": "twn", "lastLayerMethod": "twn"}"#,
                               count: 3, flags: ["-O0"])
        try F.exportAndCompare(self, "mlp-twn-first-rgb", dataset: .cifar10,
                               model: #"{"architecture": "mlp", "hidden": [8], "batchNorm": true, "method": "twn", "firstLayerMethod": "twn"}"#,
                               count: 3, flags: ["-O0"])
    }
}
