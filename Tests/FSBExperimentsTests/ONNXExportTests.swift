import FSBCore
import FSBData
@testable import FSBExperiments
import FSBNN
import XCTest

/// `fsb export --format onnx`: the written file decoded with an independent reader
/// (`ProtobufMessage`), its nodes, shapes, initialisers and metadata checked.
final class ONNXExportTests: XCTestCase {
    private func export(_ name: String, dataset: String, model: String) throws -> (onnx: DecodedONNX, network: Network, checkpoint: String) {
        let folder = try ExportFixtures.temporaryFolder(self)
        let (checkpoint, network) = try ExportFixtures.checkpoint(name: name, dataset: dataset, modelJSON: model, in: folder)
        let output = folder.appendingPathComponent("\(name).onnx").path
        let report = try ModelExport.run(checkpoint: checkpoint, format: .onnx, output: output)
        XCTAssertEqual(report.files, [output])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        XCTAssertEqual(bytes.count, report.bytes)
        return (try DecodedONNX(bytes), network, checkpoint)
    }

    /// Every node input is the graph input, an initialiser or an earlier node's output,
    /// every output is produced once, and every produced value has a declared shape.
    static func assertWellFormed(_ onnx: DecodedONNX, file: StaticString = #filePath, line: UInt = #line) {
        var available = Set(onnx.inputs.keys).union(onnx.initializers.keys)
        for node in onnx.nodes {
            for input in node.inputs where !available.contains(input) {
                XCTFail("node \(node.name) (\(node.opType)) reads \(input) before it exists", file: file, line: line)
            }
            for output in node.outputs {
                XCTAssertFalse(available.contains(output), "\(output) produced twice", file: file, line: line)
                XCTAssertNotNil(onnx.shape(output), "\(output) has no declared shape", file: file, line: line)
                available.insert(output)
            }
        }
        XCTAssertTrue(available.contains("logits"), "no node produces logits", file: file, line: line)
        XCTAssertEqual(onnx.irVersion, 7, file: file, line: line)
        XCTAssertEqual(onnx.opsets.map(\.domain), [""], file: file, line: line)
        XCTAssertEqual(onnx.opsets.map(\.version), [13], file: file, line: line)
        XCTAssertEqual(onnx.producer, "fsb", file: file, line: line)
    }

    func testLeNet5FSBGraphWeightsAndMetadata() throws {
        let (onnx, network, checkpoint) = try export("lenet", dataset: "mnist",
                                                     model: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#)
        Self.assertWellFormed(onnx)
        XCTAssertEqual(onnx.nodes.map(\.opType), [
            "Sub", "Div",
            "Conv", "BatchNormalization", "Relu", "MaxPool",
            "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten",
            "Gemm", "BatchNormalization", "Relu", "Gemm", "BatchNormalization", "Relu", "Gemm",
        ])
        XCTAssertEqual(onnx.inputs["images"], ["N", "1", "28", "28"])
        XCTAssertEqual(onnx.outputs["logits"], ["N", "10"])
        XCTAssertEqual(onnx.shape("conv2"), ["N", "16", "10", "10"])
        XCTAssertEqual(onnx.shape("pool2"), ["N", "16", "5", "5"])
        XCTAssertEqual(onnx.shape("flatten"), ["N", "400"])
        XCTAssertEqual(onnx.shape("fc1"), ["N", "120"])

        // Normalisation first: (pixels/255 - mean) / std with MNIST's values.
        XCTAssertEqual(onnx.nodes[0].inputs, ["images", "normalization.mean"])
        XCTAssertEqual(onnx.initializers["normalization.mean"]?.floats, DatasetName.mnist.channelMean)
        XCTAssertEqual(onnx.initializers["normalization.std"]?.floats, DatasetName.mnist.channelStd)
        XCTAssertEqual(onnx.initializers["normalization.std"]?.dims, [1, 1, 1, 1])
        XCTAssertEqual(onnx.nodes[2].inputs[0], "normalization")

        // Convolution attributes and the effective FSB weight A*S, bit for bit.
        let conv1 = try XCTUnwrap(onnx.nodes.first { $0.name == "conv1" })
        XCTAssertEqual(conv1.ints["kernel_shape"], [5, 5])
        XCTAssertEqual(conv1.ints["pads"], [2, 2, 2, 2])
        XCTAssertEqual(conv1.ints["strides"], [1, 1])
        XCTAssertEqual(conv1.inputs.count, 2, "no conv bias with BatchNorm")
        let conv2 = try XCTUnwrap(network.allLayers.first { $0.name == "conv2" } as? Conv2D)
        let weight = try XCTUnwrap(onnx.initializers["conv2.weight"])
        XCTAssertEqual(weight.dims, [16, 6, 5, 5])
        XCTAssertEqual(weight.dataType, 1)
        XCTAssertEqual(weight.floats, conv2.weight.effectiveWeight.storage)
        let signs = try XCTUnwrap(conv2.weight.signs), factors = try XCTUnwrap(conv2.weight.scale).value
        for slice in 0..<(16 * 6) {
            for k in 0..<25 {
                XCTAssertEqual(weight.floats[slice * 25 + k], factors[slice] * signs[slice * 25 + k])
            }
        }
        XCTAssertTrue(weight.floats.contains { $0 < 0 } && weight.floats.contains { $0 > 0 })

        // Linear layers: Gemm with transB and a bias; BatchNorm with its running statistics.
        let fc = try XCTUnwrap(onnx.nodes.last)
        XCTAssertEqual(fc.opType, "Gemm")
        XCTAssertEqual(fc.int["transB"], 1)
        XCTAssertEqual(fc.inputs, ["relu4", "fc.weight", "fc.bias"])
        XCTAssertEqual(fc.outputs, ["logits"])
        XCTAssertEqual(onnx.initializers["fc.weight"]?.dims, [10, 84])
        let state = Dictionary(uniqueKeysWithValues: network.stateTensors().map { ($0.name, $0.tensor) })
        let bn3 = try XCTUnwrap(onnx.nodes.first { $0.name == "bn3" })
        XCTAssertEqual(bn3.inputs, ["fc1", "bn3.weight", "bn3.bias", "bn3.running_mean", "bn3.running_var"])
        XCTAssertEqual(bn3.floats["epsilon"], 1e-5)
        for name in ["bn3.running_mean", "bn3.running_var", "bn1.running_mean", "bn1.weight", "bn1.bias"] {
            XCTAssertEqual(onnx.initializers[name]?.floats, state[name]?.storage, name)
        }
        XCTAssertNotEqual(state["bn3.running_mean"]?.storage, [Float](repeating: 0, count: 120), "fixture should move the statistics")

        // Metadata names where the model came from.
        XCTAssertEqual(onnx.metadata["fsb.dataset"], "mnist")
        XCTAssertEqual(onnx.metadata["fsb.architecture"], "lenet5")
        XCTAssertEqual(onnx.metadata["fsb.method"], "fsb")
        XCTAssertEqual(onnx.metadata["fsb.layer_methods"], "conv1=fp,conv2=fsb,fc1=fsb,fc2=fsb,fc=fp")
        XCTAssertEqual(onnx.metadata["fsb.fsb_options"], "granularity=kernel,alphaSign=nonnegative,signInit=random,signCodebook=none")
        XCTAssertEqual(onnx.metadata["fsb.checkpoint"], checkpoint)
        let checkpointBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: checkpoint)))
        XCTAssertEqual(onnx.metadata["fsb.checkpoint_sha256"], SHA256.hexDigest(checkpointBytes))
        XCTAssertEqual(onnx.metadata["fsb.batchnorm"], "BatchNormalization nodes with running statistics, not folded")
    }

    func testResNet20OptionAShortcutsAreSliceAndPad() throws {
        let (onnx, _, _) = try export("resnet", dataset: "cifar-10", model: #"{"architecture": "resnet20", "method": "bwn"}"#)
        Self.assertWellFormed(onnx)
        let count = { (op: String) in onnx.nodes.filter { $0.opType == op }.count }
        XCTAssertEqual(count("Conv"), 19)
        XCTAssertEqual(count("BatchNormalization"), 19)
        XCTAssertEqual(count("Add"), 9)
        XCTAssertEqual(count("Relu"), 19)
        XCTAssertEqual(count("Slice"), 2)
        XCTAssertEqual(count("Pad"), 2)
        XCTAssertEqual(count("GlobalAveragePool"), 1)
        XCTAssertEqual(onnx.inputs["images"], ["N", "3", "32", "32"])
        XCTAssertEqual(onnx.initializers["normalization.mean"]?.dims, [1, 3, 1, 1])
        // layer2.0: 16 -> 32 channels at stride 2: x[:, :, ::2, ::2] into channels 8..<24.
        let slice = try XCTUnwrap(onnx.nodes.first { $0.name == "layer2.0.shortcut.slice" })
        XCTAssertEqual(slice.inputs[0], "layer1.2.relu")
        XCTAssertEqual(onnx.initializers["layer2.0.shortcut.steps"]?.int64s, [2, 2])
        XCTAssertEqual(onnx.initializers["layer2.0.shortcut.axes"]?.int64s, [2, 3])
        XCTAssertEqual(onnx.initializers["layer2.0.shortcut.steps"]?.dataType, 7)
        XCTAssertEqual(onnx.initializers["layer2.0.shortcut.pads"]?.int64s, [0, 8, 0, 0, 0, 8, 0, 0])
        XCTAssertEqual(onnx.shape("layer2.0.shortcut.subsampled"), ["N", "16", "16", "16"])
        XCTAssertEqual(onnx.shape("layer2.0.shortcut"), ["N", "32", "16", "16"])
        let add = try XCTUnwrap(onnx.nodes.first { $0.name == "layer2.0.add" })
        XCTAssertEqual(add.inputs, ["layer2.0.bn2", "layer2.0.shortcut"])
        // Identity shortcuts add the block input itself.
        XCTAssertEqual(onnx.nodes.first { $0.name == "layer1.1.add" }?.inputs, ["layer1.1.bn2", "layer1.0.relu"])
        XCTAssertEqual(onnx.shape("layer3.2.relu"), ["N", "64", "8", "8"])
        XCTAssertEqual(onnx.shape("avgpool"), ["N", "64"])
        XCTAssertEqual(onnx.initializers["layer3.0.conv1.weight"]?.dims, [64, 32, 3, 3])
        // BWN's effective weight: alpha[o] * sign(W), one magnitude per filter.
        let weight = try XCTUnwrap(onnx.initializers["layer1.0.conv1.weight"]).floats
        for o in 0..<16 {
            let filter = weight[(o * 144)..<((o + 1) * 144)]
            XCTAssertEqual(Set(filter.map { abs($0) }).count, 1, "filter \(o)")
        }
        XCTAssertEqual(onnx.metadata["fsb.method"], "bwn")
    }

    func testResNetOptionBProjectionAndMLPWithoutFlattenOfVectors() throws {
        let resnet = try export("resnetB", dataset: "cifar-10",
                                model: #"{"architecture": "resnet20", "method": "fsb", "shortcut": "B", "fsb": {"signCodebook": 4}}"#).onnx
        Self.assertWellFormed(resnet)
        XCTAssertEqual(resnet.nodes.filter { $0.opType == "Conv" }.count, 21)
        XCTAssertEqual(resnet.nodes.filter { $0.opType == "Slice" }.count, 0)
        XCTAssertEqual(resnet.nodes.first { $0.name == "layer3.0.add" }?.inputs, ["layer3.0.bn2", "layer3.0.shortcut.1"])
        XCTAssertEqual(resnet.nodes.first { $0.name == "layer3.0.shortcut.0" }?.ints["strides"], [2, 2])
        XCTAssertEqual(resnet.metadata["fsb.fsb_options"], "granularity=kernel,alphaSign=nonnegative,signInit=random,signCodebook=4")

        let mlp = try export("mlp", dataset: "fashion-mnist",
                             model: #"{"architecture": "mlp", "hidden": [32, 16], "method": "binaryconnect", "dropout": 0.3, "batchNorm": false}"#).onnx
        Self.assertWellFormed(mlp)
        XCTAssertEqual(mlp.nodes.map(\.opType), ["Sub", "Div", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"],
                       "dropout is the identity")
        // fc1 (first layer) and fc (last) stay fp; fc2 is binaryconnect: What = sign(W).
        XCTAssertTrue(Set(try XCTUnwrap(mlp.initializers["fc2.weight"]).floats) == [-1, 1], "binaryconnect: sign(W)")
        XCTAssertGreaterThan(Set(try XCTUnwrap(mlp.initializers["fc1.weight"]).floats).count, 2, "fp: W")
        XCTAssertEqual(mlp.metadata["fsb.layer_methods"], "fc1=fp,fc2=binaryconnect,fc=fp")
        XCTAssertEqual(mlp.shape("flatten"), ["N", "784"])
    }

    /// The exported graph, run by an independent interpreter on pixels / 255, gives the
    /// network's own logits (normalisation, every operator and the shortcuts included).
    func testExportedGraphComputesTheNetworksLogits() throws {
        let models: [(String, String, String)] = [
            ("lenet", "mnist", #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#),
            ("resnetA", "cifar-10", #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "fsb"}"#),
            ("resnetB", "cifar-10", #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "bwn", "shortcut": "B"}"#),
            ("mlp", "fashion-mnist", #"{"architecture": "mlp", "hidden": [24, 12], "batchNorm": true, "method": "binaryconnect"}"#),
        ]
        for (name, dataset, modelJSON) in models {
            let (onnx, network, _) = try export(name, dataset: dataset, model: modelJSON)
            let datasetName = try XCTUnwrap(DatasetName(rawValue: dataset))
            let shape = [2] + network.inputShape
            let plane = shape[2] * shape[3]
            var generator = SeededGenerator(seed: 4, stream: "pixels")
            let pixels = (0..<shape.reduce(1, *)).map { _ in Float(generator.nextInt(below: 256)) / 255 }
            let normalized = pixels.enumerated().map { i, p in
                let c = (i / plane) % shape[1]
                return (p - datasetName.channelMean[c]) / datasetName.channelStd[c]
            }
            let expected = network.forward(Tensor(shape: shape, storage: normalized), training: false)
            let logits = try ONNXReferenceInterpreter(model: onnx).run(images: .init(shape: shape, data: pixels))
            XCTAssertEqual(logits.shape, expected.shape, name)
            for (a, b) in zip(logits.data, expected.storage) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), name)
            }
            XCTAssertGreaterThan(Set(expected.storage).count, 10, "\(name): logits should not be constant")
        }
    }

    func testBadInputIsOneLineAndLeavesNothing() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let notACheckpoint = folder.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: notACheckpoint, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("out.onnx").path
        XCTAssertThrowsError(try ModelExport.run(checkpoint: notACheckpoint, format: .onnx, output: output)) { error in
            XCTAssertEqual("\(error)", "\(notACheckpoint): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")
        }
        XCTAssertThrowsError(try ModelExport.run(checkpoint: folder.path, format: .onnx, output: output)) { error in
            XCTAssertEqual("\(error)", "\(folder.path): expected an fsb checkpoint file (.fsbckpt), found a folder")
        }
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: "m", dataset: "mnist", modelJSON: #"{"architecture": "mlp", "hidden": [8]}"#, in: folder)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .onnx, output: folder.path)) { error in
            XCTAssertEqual("\(error)", "--output \(folder.path): expected a file path, found a folder")
        }
        let underAFile = notACheckpoint + "/model.onnx"
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .onnx, output: underAFile)) { error in
            XCTAssertEqual("\(error)", "--output \(underAFile): cannot write: \(notACheckpoint) is a file, not a folder")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["m.fsbckpt", "notes.txt"], "nothing half-written")
        XCTAssertNil(ModelExport.Format(rawValue: "tflite"))
    }
}
