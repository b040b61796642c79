import FSBCore
import FSBHardware
@testable import FSBExperiments
import XCTest

/// Compare inputs refused before anything runs: axis values that share a cell folder,
/// `--collect` of folders without this grid's output, names that are not one folder name.
final class CompareInputTests: XCTestCase {
    private func spec(axes: String, name: String = "format-v1") throws -> String {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = #"{"name": "\#(name)", "base": \#(HardeningFixtures.baseJSON), "axes": \#(axes)}"#
        try text.write(toFile: folder + "/spec.json", atomically: true, encoding: .utf8)
        return folder + "/spec.json"
    }

    func testAxisValuesThatShareAFolderAreRefusedBeforeRunning() throws {
        let cases: [(String, String)] = [
            (#"[{"path": "training.optimizer.learningRate", "values": [0.05, 0.050]}]"#,
             "cells training.optimizer.learningRate=0.05 and training.optimizer.learningRate=0.05 map to the same run folder \"training.optimizer.learningRate-0.05\""),
            (#"[{"path": "seed", "values": [1, 1.0]}]"#, "cells seed=1 and seed=1 map to the same run folder \"seed-1\""),
            (#"[{"path": "dataset.path", "values": ["x/y", "x_y"]}]"#, "cells dataset.path=x/y and dataset.path=x_y map to the same run folder \"dataset.path-x_y\""),
        ]
        for (axes, expected) in cases {
            let path = try spec(axes: axes)
            let output = HardeningFixtures.temporaryFolder(self)
            let runner = try CompareRunner(specFile: path, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
            XCTAssertThrowsError(try runner.run(), axes) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("\(path): axes: " + expected), message)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing may be written")
        }
    }

    func testCollectOfAFolderWithoutThisGridsOutputIsRefused() throws {
        let path = try spec(axes: #"[{"path": "seed", "values": [1, 2]}]"#)
        let output = HardeningFixtures.temporaryFolder(self)
        let runner = try CompareRunner(specFile: path, output: output, dataRoot: HardeningFixtures.dataRoot, quiet: true)
        let empty = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let plainRun = HardeningFixtures.formatV1Compare + "/runs/seed-1"
        let otherGrid = try HardeningFixtures.copy(HardeningFixtures.formatV1Compare, self)
        try FileManager.default.moveItem(atPath: otherGrid + "/runs/seed-1", toPath: otherGrid + "/runs/model.method-fp")
        try FileManager.default.moveItem(atPath: otherGrid + "/runs/seed-2", toPath: otherGrid + "/runs/model.method-bwn")
        let expected: [(String, String)] = [
            (empty + "/missing", "\(empty)/missing: --collect: no such folder"),
            (empty, "\(empty): --collect: holds no output of compare grid \"format-v1\" (expected \(empty)/runs/<cell>/cell.json for one of its 2 cells, e.g. seed-1)"),
            (plainRun, "\(plainRun): --collect: holds no output of compare grid \"format-v1\""),
            (otherGrid, "\(otherGrid): --collect: holds no output of compare grid \"format-v1\""),
        ]
        for (folder, message) in expected {
            XCTAssertThrowsError(try runner.writeTables(from: [HardeningFixtures.formatV1Compare, folder]), folder) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing may be written")
        }
        let rows = try runner.writeTables(from: [HardeningFixtures.formatV1Compare])
        XCTAssertEqual(rows.map(\.status), ["done", "failed"])
    }

    func testNamesMustBeOneFolderName() throws {
        for name in ["../../x", "a/b", "..", ".", "", String(repeating: "n", count: 256)] {
            let json = HardeningFixtures.baseJSON.replacingOccurrences(of: #""name": "format-v1""#, with: #""name": "\#(name)""#)
            XCTAssertThrowsError(try ExperimentConfig.decode(json: json, file: "n.json"), name) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("n.json: name: must "), message)
                XCTAssertTrue(message.hasSuffix("got \"\(name)\""), message)
            }
            XCTAssertThrowsError(try CompareRunner(specFile: try spec(axes: "[]", name: name), output: nil, dataRoot: nil, quiet: true), name) { error in
                XCTAssertTrue("\(error)".contains(": name: must "), "\(error)")
            }
        }
        XCTAssertEqual(try ExperimentConfig.decode(json: HardeningFixtures.baseJSON).name, "format-v1")
    }

    /// Every shipped compare spec and hardware config decodes under the strict parser
    /// (axis values include null, objects and arrays).
    func testShippedSpecsAndHardwareConfigsAreValid() throws {
        let configs = HardeningFixtures.root.appendingPathComponent("configs")
        let specs = try FileManager.default.contentsOfDirectory(atPath: configs.path + "/compare").filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThan(specs.count, 5)
        for name in specs {
            let path = configs.path + "/compare/" + name
            XCTAssertNoThrow(try CompareSpec.load(path: path).cells(specFile: path), name)
        }
        let hardware = try FileManager.default.contentsOfDirectory(atPath: configs.path + "/hw").filter { $0.hasSuffix(".json") && !$0.hasPrefix("energy") }
        XCTAssertGreaterThan(hardware.count, 3)
        for name in hardware {
            XCTAssertNoThrow(try HardwareConfig.decode(Data(contentsOf: URL(fileURLWithPath: configs.path + "/hw/" + name)), file: name), name)
        }
    }
}
