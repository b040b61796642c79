import FSBCore
import FSBData
@testable import FSBExperiments
import FSBHardware
import FSBNN
import Foundation
import XCTest

/// `fsb export --update` and `fsb_model_apply_update`: the module exported from OLD, given
/// the update OLD -> NEW, classifies exactly like the module exported from NEW; a damaged,
/// misdirected or out-of-range update is refused and changes nothing.
final class ModelUpdateTests: XCTestCase {
    typealias F = CModuleFixtures

    private let lenet = #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb"}"#

    /// OLD (a tiny checkpoint) and NEW (OLD's network with every trainable tensor and
    /// BatchNorm statistic changed, signs kept).
    private func oldAndNew(_ folder: URL, model: String) throws -> (old: String, new: String) {
        let (old, _) = try ExportFixtures.checkpoint(name: "old", dataset: "mnist", modelJSON: model, in: folder)
        let network = try TrainedModel(path: old).network
        F.perturb(network, seed: 11)
        let new = folder.appendingPathComponent("new.fsbckpt").path
        try F.rewrite(old, network: network, to: new)
        return (old, new)
    }

    private func classify(_ binary: String, _ images: String, update: String? = nil) throws -> (update: Int?, rows: [[Int32]]) {
        let result = try F.run([binary, images] + (update.map { ["--update", $0] } ?? []))
        XCTAssertEqual(result.status, 0, result.stderr)
        let parsed = F.parse(result.stdout)
        return (parsed.update, parsed.rows.map { [Int32($0.predicted)] + $0.scores })
    }

    func testUpdatedModuleClassifiesLikeTheNewModuleAndBadUpdatesChangeNothing() throws {
        try F.requireCompiler()
        let folder = try ExportFixtures.temporaryFolder(self)
        let (old, new) = try oldAndNew(folder, model: lenet)
        let options = F.options()
        let oldC = folder.appendingPathComponent("old-c").path, newC = folder.appendingPathComponent("new-c").path
        _ = try ModelExport.run(checkpoint: old, format: .c, output: oldC, options: options)
        _ = try ModelExport.run(checkpoint: new, format: .c, output: newC, options: options)
        let oldBinary = try F.compile(oldC), newBinary = try F.compile(newC)
        let images = try F.writeImages(try F.testImages(.mnist, count: 30).images, in: folder.path)
        let before = try classify(oldBinary, images).rows, after = try classify(newBinary, images).rows
        XCTAssertNotEqual(before, after, "NEW must classify differently for the test to mean anything")

        let update = folder.appendingPathComponent("old-to-new.fsbupd").path
        let report = try ModelExport.runUpdate(base: old, checkpoint: new, output: update, options: options)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: update)))
        XCTAssertEqual(report.bytes, bytes.count)
        XCTAssertEqual(Array(bytes[0..<4]), Array("FSBU".utf8))

        // The update applied to OLD's module: NEW's scores, image by image.
        let applied = try classify(oldBinary, images, update: update)
        XCTAssertEqual(applied.update, 0)
        XCTAssertEqual(applied.rows, after)

        // Refused, and the model unchanged: a flipped payload byte (CRC), a truncation, a
        // base that is not the current parameters, another model, a value out of range.
        func refused(_ damaged: [UInt8], _ code: Int, _ what: String) throws {
            let path = folder.appendingPathComponent("bad.fsbupd").path
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            let result = try classify(oldBinary, images, update: path)
            XCTAssertEqual(result.update, code, what)
            XCTAssertEqual(result.rows, before, "\(what): the model changed")
        }
        var flipped = bytes
        flipped[ModelUpdate.headerSize + 17] ^= 0x40
        try refused(flipped, -4, "corrupted payload")
        try refused(Array(bytes.dropLast(1)), -3, "truncated")
        try refused(Array(bytes[0..<20]), -1, "shorter than a header")
        var notUpdate = bytes
        notUpdate[0] = UInt8(ascii: "X")
        try refused(notUpdate, -1, "bad magic")

        let newToNew = folder.appendingPathComponent("new-to-new.fsbupd").path
        _ = try ModelExport.runUpdate(base: new, checkpoint: new, output: newToNew, options: options)
        try refused(try [UInt8](Data(contentsOf: URL(fileURLWithPath: newToNew))), -5, "made for NEW's parameters")

        var otherModel = bytes
        otherModel[8] ^= 1 // model identity
        Self.resealCRC(&otherModel)
        try refused(otherModel, -2, "another model's identity")

        // A shift of 61 (beyond 60) with a valid CRC.
        let layout = CModuleLayout(try IntegerModel(model: TrainedModel(path: new), widths: .init(), calibration: F.calibration,
                                                    dataRoot: F.samples))
        let shift = try XCTUnwrap(layout.slots.first { $0.name.hasSuffix(".shift") })
        XCTAssertEqual(shift.storage, .p8)
        var outOfRange = bytes
        outOfRange[ModelUpdate.headerSize + shift.offset] = 61
        Self.resealCRC(&outOfRange)
        try refused(outOfRange, -6, "shift out of range")
    }

    func testApplyingTheSameUpdateTwiceIsRefusedTheSecondTime() throws {
        try F.requireCompiler()
        let folder = try ExportFixtures.temporaryFolder(self)
        let (old, new) = try oldAndNew(folder, model: lenet)
        let oldC = folder.appendingPathComponent("old-c").path
        _ = try ModelExport.run(checkpoint: old, format: .c, output: oldC, options: F.options())
        let update = folder.appendingPathComponent("u.fsbupd").path
        _ = try ModelExport.runUpdate(base: old, checkpoint: new, output: update, options: F.options())
        // A harness that applies it twice.
        let twice = folder.appendingPathComponent("twice.c").path
        try """
        #include <stdio.h>
        #include <stdlib.h>
        #include "fsb_model.h"
        int main(int argc, char **argv) {
            static unsigned char buffer[1 << 22];
            FILE *f = fopen(argv[argc - 1], "rb");
            size_t n = f ? fread(buffer, 1, sizeof buffer, f) : 0;
            uint32_t before;
            int first, second;
            if (f) fclose(f);
            before = fsb_model_parameters_crc();
            first = fsb_model_apply_update(buffer, n);
            second = fsb_model_apply_update(buffer, n);
            printf("%d %d %d\\n", first, second, before != fsb_model_parameters_crc());
            return 0;
        }

        """.write(toFile: twice, atomically: true, encoding: .utf8)
        let binary = folder.appendingPathComponent("twice").path
        let built = try F.run(["cc"] + F.strictFlags + ["-I", oldC, "-o", binary, twice, oldC + "/fsb_model.c"])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertEqual(try F.run([binary, update]).stdout, "0 -5 1\n")
        // Built read-only, the module refuses every update.
        let readOnly = folder.appendingPathComponent("readonly").path
        let builtReadOnly = try F.run(["cc"] + F.strictFlags + ["-DFSB_MODEL_UPDATABLE=0", "-I", oldC, "-o", readOnly, twice, oldC + "/fsb_model.c"])
        XCTAssertEqual(builtReadOnly.status, 0, builtReadOnly.stderr)
        XCTAssertEqual(try F.run([readOnly, update]).stdout, "-7 -7 0\n")
    }

    func testUpdatesBetweenDifferentSignsOrArchitecturesAreRefused() throws {
        let folder = try ExportFixtures.temporaryFolder(self)
        let (old, _) = try ExportFixtures.checkpoint(name: "old", dataset: "mnist", modelJSON: lenet, in: folder)
        let otherSeed = try ExportFixtures.checkpoint(name: "seed", dataset: "mnist", modelJSON: lenet, in: folder, seed: 6).path
        let wider = try ExportFixtures.checkpoint(name: "wide", dataset: "mnist",
            modelJSON: #"{"architecture": "lenet5", "batchNorm": true, "method": "fsb", "widthMultiplier": 2}"#, in: folder).path
        let output = folder.appendingPathComponent("u.fsbupd").path
        XCTAssertThrowsError(try ModelExport.runUpdate(base: old, checkpoint: otherSeed, output: output, options: F.options())) { error in
            XCTAssertEqual("\(error)", "--update: \(old) and \(otherSeed) have different signs (bwn and binaryconnect signs and twn ternary codes are retrained; fsb signs come from the model seed or a sign checkpoint); a device cannot get new signs from an update, export the new model instead")
        }
        XCTAssertThrowsError(try ModelExport.runUpdate(base: old, checkpoint: wider, output: output, options: F.options())) { error in
            XCTAssertTrue("\(error)".hasPrefix("--update: \(old) and \(wider) differ in architecture, widths or layer methods (first difference: "), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    /// twn: an update carries new alphas, biases and requantisation while the ternary codes
    /// stay (every latent tensor scaled by one factor keeps them); retrained codes are refused.
    func testTWNUpdateAppliesWhileTheCodesStayAndIsRefusedWhenTheyChange() throws {
        try F.requireCompiler()
        let folder = try ExportFixtures.temporaryFolder(self)
        let twn = #"{"architecture": "lenet5", "batchNorm": true, "widthMultiplier": 0.5, "method": "twn", "firstLayerMethod": "twn"}"#
        let (old, _) = try ExportFixtures.checkpoint(name: "old", dataset: "mnist", modelJSON: twn, in: folder)
        let network = try TrainedModel(path: old).network
        F.perturb(network, seed: 12, perElement: false)
        let new = folder.appendingPathComponent("new.fsbckpt").path
        try F.rewrite(old, network: network, to: new)
        let options = F.options()
        let oldC = folder.appendingPathComponent("old-c").path, newC = folder.appendingPathComponent("new-c").path
        _ = try ModelExport.run(checkpoint: old, format: .c, output: oldC, options: options)
        _ = try ModelExport.run(checkpoint: new, format: .c, output: newC, options: options)
        let oldBinary = try F.compile(oldC, flags: ["-O0"]), newBinary = try F.compile(newC, flags: ["-O0"])
        let images = try F.writeImages(try F.testImages(.mnist, count: 8).images, in: folder.path)
        let before = try classify(oldBinary, images).rows, after = try classify(newBinary, images).rows
        XCTAssertNotEqual(before, after, "NEW must classify differently for the test to mean anything")
        let update = folder.appendingPathComponent("old-to-new.fsbupd").path
        _ = try ModelExport.runUpdate(base: old, checkpoint: new, output: update, options: options)
        let applied = try classify(oldBinary, images, update: update)
        XCTAssertEqual(applied.update, 0)
        XCTAssertEqual(applied.rows, after)

        // Latent weights changed one by one: other codes, no update.
        F.perturb(network, seed: 13)
        let retrained = folder.appendingPathComponent("retrained.fsbckpt").path
        try F.rewrite(old, network: network, to: retrained)
        let refused = folder.appendingPathComponent("refused.fsbupd").path
        XCTAssertThrowsError(try ModelExport.runUpdate(base: old, checkpoint: retrained, output: refused, options: options)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--update: \(old) and \(retrained) have different signs (bwn and binaryconnect signs and twn ternary codes are retrained;"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: refused))
    }

    /// Rewrites the trailing CRC-32 after a deliberate change.
    static func resealCRC(_ bytes: inout [UInt8]) {
        let crc = CRC32.checksum(Array(bytes.dropLast(4)))
        for b in 0..<4 { bytes[bytes.count - 4 + b] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * b)) }
    }
}
