import FSBCore
@testable import FSBExperiments
import FSBHardware
import XCTest

/// The simulator fed from experiment configs and trained checkpoints.
final class HardwareIntegrationTests: XCTestCase {
    static let root = TrainerTests.repositoryRoot

    private func train(codebook: Int?) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-hw-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        let samples = Self.root.appendingPathComponent("datasets/samples/mnist").path
        let config = try ExperimentConfig.decode(json: """
        {"seed": 3, "dataset": {"name": "mnist", "path": "\(samples)", "trainLimit": 256, "testLimit": 40},
         "model": {"architecture": "lenet5", "batchNorm": true, "method": "fsb", "fsb": {"signCodebook": \(codebook.map(String.init) ?? "null")}},
         "training": {"epochs": 1, "batchSize": 64, "threads": 2, "optimizer": {"kind": "adam", "learningRate": 0.002}}}
        """)
        _ = try Trainer(config: config, options: .init(runDirectory: folder, quiet: true)).run()
        return folder + "/last.fsbckpt"
    }

    func testBitAccurateDatapathOnATinyTrainedNetwork() throws {
        for codebook in [nil, 4] {
            let checkpoint = try train(codebook: codebook)
            let check = try DatapathVerification(checkpointPath: checkpoint,
                                                 hardwareConfig: Self.root.appendingPathComponent("configs/hw/fsb-int8-os.json").path,
                                                 count: 20, dataRoot: nil)
            XCTAssertEqual(check.layers.map(\.layer), ["conv2", "fc1", "fc2"])
            XCTAssertTrue(check.bitExact, check.render())
            XCTAssertEqual(check.layers.map(\.images), [20, 20, 20])
            XCTAssertEqual(check.layers[0].outputs, 20 * 16 * 10 * 10)
            XCTAssertEqual(check.layers[0].sharedCodebook, codebook != nil)
            XCTAssertEqual(check.images, 20)
            // predictions.csv: one row per image, the end-to-end integer model's classes.
            XCTAssertEqual(check.predictions.count, 20)
            let correct = check.predictions.filter { $0.label == $0.predicted }.count
            let integerAccuracy = try XCTUnwrap(check.integerAccuracy, check.integerProblem ?? "")
            XCTAssertEqual(accuracyPercent(correct: correct, total: 20), integerAccuracy)
            XCTAssertEqual(check.integerOverflows, 0)
            XCTAssertLessThanOrEqual(abs(integerAccuracy - check.floatAccuracy), 15, check.render())
            XCTAssertTrue(check.render().contains("end-to-end integer model"), check.render())
            // The report names predictions.csv only when the file is written (with --output).
            XCTAssertFalse(check.render().contains("predictions.csv"), check.render())
            XCTAssertTrue(check.render(predictionsFile: "predictions.csv")
                .hasSuffix("predictions.csv: the end-to-end integer model's classes\n"), check.render(predictionsFile: "predictions.csv"))
            let rows = check.predictionsCSV().split(separator: "\n")
            XCTAssertEqual(rows.first, "index,label,predicted")
            XCTAssertEqual(rows.count, 21)
            XCTAssertEqual(rows[1], "0,\(check.predictions[0].label),\(check.predictions[0].predicted)")
            // 8-bit activations and factors cost at most a few images of 20.
            XCTAssertLessThanOrEqual(abs(check.fixedPointAccuracy - check.floatAccuracy), 15, check.render())
        }
    }

    /// A model without fsb layers still gets the end-to-end integer run; widths the
    /// integer model does not take (fp32) are reported, not fatal.
    func testIntegerRunWithoutFSBLayersAndWithFloatWidths() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let samples = Self.root.appendingPathComponent("datasets/samples/mnist").path
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: "fp", dataset: "mnist",
            modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "fp"}"#, in: folder, datasetPath: samples)
        let check = try DatapathVerification(checkpointPath: checkpoint,
                                             hardwareConfig: Self.root.appendingPathComponent("configs/hw/mac-int8-os.json").path,
                                             count: 10, dataRoot: nil, calibration: 16)
        XCTAssertTrue(check.layers.isEmpty)
        XCTAssertTrue(check.bitExact)
        XCTAssertNotNil(check.integerAccuracy, check.integerProblem ?? "")
        XCTAssertTrue(check.render().contains("no fsb layers"), check.render())
        let float = try DatapathVerification(checkpointPath: checkpoint,
                                             hardwareConfig: Self.root.appendingPathComponent("configs/hw/mac-fp32-os.json").path,
                                             count: 10, dataRoot: nil, calibration: 16)
        XCTAssertNil(float.integerAccuracy)
        XCTAssertTrue(float.render().contains("end-to-end integer model: not run: integer model: activations of 32 bits"), float.render())
    }

    /// Element granularity (one factor per weight) is no computation of the FSB datapath: such
    /// layers are listed and left in float, the 1x1 ones (where element is kernel granularity)
    /// are checked, and the end-to-end integer model still runs.
    func testElementGranularityLayersAreListedNotChecked() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let samples = Self.root.appendingPathComponent("datasets/samples/mnist").path
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: "element", dataset: "mnist",
            modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb", "fsb": {"granularity": "element"}}"#,
            in: folder, datasetPath: samples)
        let check = try DatapathVerification(checkpointPath: checkpoint,
                                             hardwareConfig: Self.root.appendingPathComponent("configs/hw/fsb-int8-os.json").path,
                                             count: 10, dataRoot: nil, calibration: 16)
        XCTAssertEqual(check.uncheckedLayers, ["conv2"])
        XCTAssertEqual(check.layers.map(\.layer), ["fc1", "fc2"])
        XCTAssertTrue(check.bitExact, check.render())
        XCTAssertNotNil(check.integerAccuracy, check.integerProblem ?? "")
        XCTAssertTrue(check.render().contains("not on the FSB datapath (element granularity: one factor per weight), kept in float: conv2"),
                      check.render())
    }

    func testLayerShapesOfAConfig() throws {
        let shapes = try NetworkShapes.layerShapes(ofConfigOrCheckpoint: Self.root.appendingPathComponent("configs/mnist-lenet5-fsb.json").path).layers
        XCTAssertEqual(shapes.map(\.name), ["conv1", "conv2", "fc1", "fc2", "fc"])
        // conv1: 1 -> 6, 5x5, pad 2 on 28x28; conv2: 6 -> 16, 5x5 on 14x14; fc1: 400 -> 120.
        XCTAssertEqual(shapes[0].outputHeight, 28)
        XCTAssertEqual(shapes[0].padding, 2)
        XCTAssertEqual(shapes[1].inputHeight, 14)
        XCTAssertEqual(shapes[1].outputHeight, 10)
        XCTAssertEqual(shapes[1].macs, 16 * 6 * 25 * 100)
        XCTAssertEqual(shapes[2].kind, .linear)
        XCTAssertEqual(shapes[2].inputChannels, 400)
        let resnet = try NetworkShapes.layerShapes(ofConfigOrCheckpoint: Self.root.appendingPathComponent("configs/cifar10-resnet20-fsb.json").path).layers
        XCTAssertEqual(resnet.count, 20) // 19 convolutions (option A has no shortcut convs) + fc
        XCTAssertEqual(resnet.reduce(0) { $0 + $1.macs }, 40_551_040) // same as the shipped SCALE-Sim-style topology
        // Each shape carries its method and weight encoding: fp first and last layers, fsb between.
        XCTAssertEqual(resnet.map { $0.method ?? "-" }, ["fp"] + Array(repeating: "fsb", count: 18) + ["fp"])
        XCTAssertEqual(resnet.first?.weights, .dense)
        XCTAssertEqual(resnet[1].weights, .fixedSigns(codebook: nil))
        // On the shipped FSB accelerator the fp conv1 (3 -> 16, 3x3 on 32x32) runs on its mac
        // unit: 16*3*9*1024 = 442,368 MACs, not as an FSB layer.
        let fsb = try Accelerator.load(configPath: Self.root.appendingPathComponent("configs/hw/fsb-int8-os.json").path)
        let conv1 = try HardwareSimulation.run(layers: resnet, accelerators: [fsb], mode: .inference).reports[0].layers[0]
        XCTAssertEqual([conv1.unit, String(conv1.mults), String(conv1.addsubs)], ["mac", "442368", "0"])
    }

    func testHardwareEstimateOfARunWithoutItsCheckpointReadsItsConfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-estimate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = Self.root.appendingPathComponent("configs/mnist-lenet5-fsb.json")
        try FileManager.default.copyItem(at: config, to: folder.appendingPathComponent("config.json"))
        let hardware = Self.root.appendingPathComponent("configs/hw/fsb-int8-os.json").path
        let estimate = try HardwareEstimate.totals(checkpoint: folder.appendingPathComponent("last.fsbckpt").path,
                                                   hardwareConfig: hardware)
        let direct = try HardwareSimulation.run(layers: NetworkShapes.layerShapes(ofConfigOrCheckpoint: config.path).layers,
                                                accelerators: [Accelerator.load(configPath: hardware)], mode: .inference)
        XCTAssertEqual(estimate.totalCycles, direct.reports[0].total.totalCycles)
        XCTAssertEqual(estimate.energyMicrojoules, direct.reports[0].total.energyPJ / 1e6)
    }
}
