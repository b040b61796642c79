import FSBCore
import FSBData
@testable import FSBExperiments
import FSBHardware
import FSBNN
import Foundation
import XCTest

/// `fsb export --format c`: the module compiled with `cc -std=c99 -Wall -Wextra -Werror`,
/// run by a harness on the shipped sample images, gives every image the scores and class
/// of the Swift integer model (`IntegerModel`), bit for bit.
final class CModuleTests: XCTestCase {
    typealias F = CModuleFixtures

    /// `CModuleFixtures.exportAndCompare` for this test.
    @discardableResult
    private func exportAndCompare(_ name: String, dataset: DatasetName, model modelJSON: String,
                                  signs: [CModule.SignStorage] = [.packed], count: Int = 12, viaCommand: Bool = false,
                                  flags: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try F.exportAndCompare(self, name, dataset: dataset, model: modelJSON, signs: signs, count: count,
                               viaCommand: viaCommand, flags: flags, file: file, line: line)
    }

    func testQuickstartLeNet5MatchesTheIntegerModelBitForBit() throws {
        // configs/quickstart.json's model: LeNet-5 with BatchNorm, fsb (fp first and last).
        try exportAndCompare("quickstart", dataset: .mnist, model: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#,
                             signs: [.packed, .regenerate], count: 40, viaCommand: true)
        // Buffers on the stack (reentrant build): the same integers.
        try exportAndCompare("quickstart-stack", dataset: .mnist, model: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#,
                             count: 10, flags: ["-DFSB_MODEL_STATIC_BUFFERS=0"])
    }

    func testSmallResNetMatchesTheIntegerModelBitForBit() throws {
        try exportAndCompare("resnet", dataset: .cifar10, model: #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "fsb"}"#,
                             signs: [.packed, .regenerate], count: 16)
    }

    func testEveryArchitectureAndMethod() throws {
        let cases: [(String, DatasetName, String)] = [
            ("lenet-fp-nobn", .mnist, #"{"architecture": "lenet5", "method": "fp"}"#),
            ("lenet-bwn", .fashionMNIST, #"{"architecture": "lenet5", "batchNorm": true, "method": "bwn"}"#),
            ("lenet-bwn-first-rgb", .cifar10, #"{"architecture": "lenet5", "batchNorm": true, "method": "bwn", "firstLayerMethod": "bwn", "lastLayerMethod": "bwn"}"#),
            ("mlp-bc", .fashionMNIST, #"{"architecture": "mlp", "hidden": [32, 16], "batchNorm": true, "dropout": 0.1, "method": "binaryconnect"}"#),
            ("mlp-fsb-filter", .mnist, #"{"architecture": "mlp", "hidden": [24], "method": "fsb", "fsb": {"granularity": "filter"}, "firstLayerMethod": "fsb"}"#),
            ("mlp-bwn-first-rgb", .cifar10, #"{"architecture": "mlp", "hidden": [16], "batchNorm": true, "method": "bwn", "firstLayerMethod": "bwn"}"#),
            ("resnet-bwn-B", .cifar10, #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "bwn", "shortcut": "B"}"#),
            ("vgg-bc", .cifar10, #"{"architecture": "vgg-small", "widthMultiplier": 0.0625, "method": "binaryconnect", "dropout": 0.2}"#),
            ("resnet-fp", .cifar10, #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "fp"}"#),
        ]
        for (name, dataset, model) in cases {
            try exportAndCompare(name, dataset: dataset, model: model, count: 6)
        }
        // A sign codebook (the shared form) with fsb first and last layers and filter
        // factors, packed and regenerated.
        try exportAndCompare("resnet-fsb-codebook", dataset: .cifar10,
                             model: #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "fsb", "shortcut": "B", "fsb": {"signCodebook": 4, "granularity": "filter"}, "firstLayerMethod": "fsb", "lastLayerMethod": "fsb"}"#,
                             signs: [.packed, .regenerate], count: 6)
    }

    func testSignsThatCannotBeRegeneratedAreRefused() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let output = folder.appendingPathComponent("out").path
        let (twn, _) = try ExportFixtures.checkpoint(name: "twn", dataset: "mnist",
                                                     modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "twn"}"#, in: folder)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: twn, format: .c, output: output, options: F.options(signs: .regenerate))) { error in
            XCTAssertEqual("\(error)", "--signs regenerate: layer 'conv2' cannot regenerate its signs (twn ternary codes are trained, not drawn from a seed); use --signs packed")
        }
        let (bwn, _) = try ExportFixtures.checkpoint(name: "bwn", dataset: "mnist",
                                                     modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "bwn"}"#, in: folder)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: bwn, format: .c, output: output, options: F.options(signs: .regenerate))) { error in
            XCTAssertEqual("\(error)", "--signs regenerate: layer 'conv2' cannot regenerate its signs (bwn signs are trained, not drawn from a seed); use --signs packed")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing written")
        // fsb signs set from a trained fp checkpoint: packed works, regenerate cannot.
        let (fp, _) = try ExportFixtures.checkpoint(name: "fp", dataset: "mnist",
                                                    modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "fp"}"#, in: folder)
        let (fromSigns, _) = try ExportFixtures.checkpoint(name: "signs", dataset: "mnist",
            modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb", "fsb": {"signInit": "checkpoint", "signCheckpoint": "\#(fp)"}}"#,
            in: folder)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: fromSigns, format: .c, output: output, options: F.options(signs: .regenerate))) { error in
            XCTAssertEqual("\(error)", "--signs regenerate: layer 'conv2' cannot regenerate its signs (its signs were set from a checkpoint, not drawn from the seed); use --signs packed")
        }
        XCTAssertNoThrow(try ModelExport.run(checkpoint: fromSigns, format: .c, output: output, options: F.options()))
    }

    /// Widths without an integer form: float operands, and 16-bit operands whose sums could
    /// overflow 32-bit accumulators. One line naming the config or the layer; nothing written.
    func testWidthsWithoutAnIntegerFormAreRefused() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: "m", dataset: "mnist",
            modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "widthMultiplier": 0.5, "method": "twn"}"#, in: folder)
        let output = folder.appendingPathComponent("out").path
        let float = F.root.appendingPathComponent("configs/hw/mac-fp32-os.json").path
        var options = F.options()
        options.hardwareConfig = float
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .c, output: output, options: options)) { error in
            XCTAssertEqual("\(error)", "--hardware \(float): activations of 32 bits (the integer model takes 2...16)")
        }
        let int16 = folder.appendingPathComponent("int16.json").path
        let shipped = try String(contentsOf: F.root.appendingPathComponent("configs/hw/fsb-int8-os.json"), encoding: .utf8)
        try shipped.replacingOccurrences(of: #""arithmetic": "int8""#, with: #""arithmetic": "int16""#)
            .replacingOccurrences(of: #""activations": 8, "weights": 8, "factors": 8"#, with: #""activations": 16, "weights": 16, "factors": 16"#)
            .replacingOccurrences(of: #""energy-horowitz-45nm.json""#, with: "\"\(F.root.appendingPathComponent("configs/hw/energy-horowitz-45nm.json").path)\"")
            .write(toFile: int16, atomically: true, encoding: .utf8)
        options.hardwareConfig = int16
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .c, output: output, options: options)) { error in
            // conv1 (fp) reads 9-bit pixels over 25 taps; conv2 (twn) sums 16-bit activations
            // times 16-bit factors over 3 * 25 taps: 75 * 32768 * 32768 = 80530636800.
            XCTAssertEqual("\(error)", "layer 'conv2': its sums can reach 80530636800, beyond the 32-bit accumulators (bits.accumulators of --hardware \(int16)); the C module needs accumulators that cannot overflow (wider accumulators or narrower operands)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing written")
    }

    func testBadInputIsOneLineAndLeavesNothing() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let notACheckpoint = folder.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: notACheckpoint, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("module").path
        XCTAssertThrowsError(try ModelExport.run(checkpoint: notACheckpoint, format: .c, output: output, options: F.options())) { error in
            XCTAssertEqual("\(error)", "\(notACheckpoint): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")
        }
        let (checkpoint, _) = try ExportFixtures.checkpoint(name: "m", dataset: "mnist", modelJSON: #"{"architecture": "mlp", "hidden": [8]}"#, in: folder)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .c, output: notACheckpoint, options: F.options())) { error in
            XCTAssertEqual("\(error)", "--output \(notACheckpoint): expected a folder, found a file")
        }
        let underAFile = notACheckpoint + "/module"
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .c, output: underAFile, options: F.options())) { error in
            XCTAssertEqual("\(error)", "--output \(underAFile): cannot write: \(notACheckpoint) is a file, not a folder")
        }
        let update = folder.appendingPathComponent("u.fsbupd").path
        XCTAssertThrowsError(try ModelExport.runUpdate(base: notACheckpoint, checkpoint: checkpoint, output: update, options: F.options())) { error in
            XCTAssertEqual("\(error)", "\(notACheckpoint): not an fsb checkpoint: file is 5 bytes, shorter than the 20-byte preamble")
        }
        XCTAssertThrowsError(try ModelExport.runUpdate(base: checkpoint, checkpoint: checkpoint, output: folder.path, options: F.options())) { error in
            XCTAssertEqual("\(error)", "--output \(folder.path): expected a file path, found a folder")
        }
        // Without data for the calibration: one line naming where it looked.
        let noData = ModelExport.IntegerOptions(dataRoot: folder.appendingPathComponent("no-such-root").path)
        XCTAssertThrowsError(try ModelExport.run(checkpoint: checkpoint, format: .c, output: output, options: noData)) { error in
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            XCTAssertTrue("\(error)".contains("no-such-root"), "\(error)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["m.fsbckpt", "notes.txt"], "nothing half-written")
        XCTAssertNil(ModelExport.Format(rawValue: "tflite"))
        // An existing folder keeps its other files.
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        try "mine".write(toFile: output + "/main.c", atomically: true, encoding: .utf8)
        _ = try ModelExport.run(checkpoint: checkpoint, format: .c, output: output, options: F.options())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["fsb_model.c", "fsb_model.h", "main.c"])
    }

    /// The module compiled with AddressSanitizer and UndefinedBehaviorSanitizer, run once:
    /// no report, same output. Skipped when the sanitizer runtimes are not installed.
    func testUnderAddressAndUndefinedBehaviourSanitizers() throws {
        try F.requireCompiler()
        let flags = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
        let probeFolder = try ExportFixtures.temporaryFolder(self).path
        let probe = (probeFolder as NSString).appendingPathComponent("probe.c")
        try "int main(void) { return 0; }\n".write(toFile: probe, atomically: true, encoding: .utf8)
        let built = try F.run(["cc"] + flags + ["-o", probe + ".out", probe])
        guard built.status == 0, try F.run([probe + ".out"]).status == 0 else {
            throw XCTSkip("cc cannot build with -fsanitize=address,undefined here (sanitizer runtime missing): \(built.stderr.prefix(200))")
        }
        try exportAndCompare("quickstart-asan", dataset: .mnist, model: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#,
                             signs: [.packed, .regenerate], count: 8, flags: flags)
        try exportAndCompare("resnet-codebook-asan", dataset: .cifar10,
                             model: #"{"architecture": "resnet20", "widthMultiplier": 0.25, "method": "fsb", "fsb": {"signCodebook": 4}, "firstLayerMethod": "fsb"}"#,
                             signs: [.packed, .regenerate], count: 4, flags: flags)
    }
}
