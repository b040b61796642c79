import FSBCore
@testable import FSBExperiments
import XCTest

/// A tiny grid (two methods x two seeds, one epoch on the shipped sample) end to end.
final class CompareTests: XCTestCase {
    private func writeSpec(in folder: String) throws -> String {
        let samples = TrainerTests.repositoryRoot.appendingPathComponent("datasets/samples/mnist").path
        let spec = """
        {"name": "tiny",
         "base": {"dataset": {"name": "mnist", "path": "\(samples)", "trainLimit": 200, "testLimit": 50},
                  "model": {"architecture": "lenet5", "batchNorm": true},
                  "training": {"epochs": 1, "batchSize": 50, "threads": 2, "optimizer": {"kind": "adam", "learningRate": 0.002}}},
         "axes": [{"path": "model.method", "values": ["bwn", "fsb"]}, {"path": "seed", "values": [1, 2]}],
         "hardware": ["\(TrainerTests.repositoryRoot.appendingPathComponent("configs/hw/fsb-int8-os.json").path)"]}
        """
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/spec.json"
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fsb-compare-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// runs.csv without the wall-time column, the only one that differs between two trainings.
    private func runsWithoutWallTime(_ folder: String) throws -> [String] {
        let lines = try String(contentsOfFile: folder + "/runs.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let wall = try XCTUnwrap(header.firstIndex(of: "wall_seconds"))
        return lines.map { line in
            var cells = line.split(separator: ",", omittingEmptySubsequences: false)
            cells.remove(at: wall)
            return cells.joined(separator: ",")
        }
    }

    func testGridTablesResumeAndShards() throws {
        let folder = temporaryFolder()
        let spec = try writeSpec(in: folder)
        let output = folder + "/out"
        let runner = try CompareRunner(specFile: spec, output: output, dataRoot: nil, quiet: true)
        let cells = try runner.cells()
        XCTAssertEqual(cells.map(\.folderName), ["model.method-bwn__seed-1", "model.method-bwn__seed-2",
                                                 "model.method-fsb__seed-1", "model.method-fsb__seed-2"])
        XCTAssertEqual(cells[2].config.model.method.name, "fsb")
        XCTAssertEqual(cells[3].config.seed, 2)

        let rows = try runner.run()
        XCTAssertEqual(rows.map(\.status), ["done", "done", "done", "done"])
        let runs = try String(contentsOfFile: output + "/runs.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(runs.count, 5)
        XCTAssertTrue(runs[0].hasPrefix("model.method,seed,folder,status,error,name,dataset,model,method,"), String(runs[0]))
        XCTAssertEqual(runs[0].split(separator: ",").filter { $0 == "seed" }.count, 1, String(runs[0]))
        XCTAssertTrue(runs[0].hasSuffix("fsb-int8-os_total_cycles,fsb-int8-os_energy_uj"), String(runs[0]))
        let table = try String(contentsOfFile: output + "/table.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(table.count, 3) // header + bwn + fsb, grouped over seeds
        XCTAssertTrue(table[0].hasPrefix("model.method,n,failed,best_test_acc_mean,best_test_acc_std,final_test_acc_mean,final_test_acc_std,params,trainable_params,model_kib,update_kib"), String(table[0]))
        XCTAssertTrue(table[1].hasPrefix("bwn,2,0,"), String(table[1]))
        XCTAssertFalse(table.joined().contains("±"))
        let markdown = try String(contentsOfFile: output + "/table.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("| fsb | 2 |"), markdown)
        let verdicts = try String(contentsOfFile: output + "/verdicts.txt", encoding: .utf8)
        XCTAssertTrue(verdicts.hasPrefix("model.method=fsb vs bwn: "), verdicts)
        XCTAssertTrue(verdicts.contains("(2 seeds)"), verdicts)

        // Re-running does not repeat finished cells: their summaries stay byte-identical.
        let before = try String(contentsOfFile: output + "/runs/model.method-fsb__seed-2/summary.json", encoding: .utf8)
        try FileManager.default.removeItem(atPath: output + "/runs/model.method-bwn__seed-1")
        let again = try runner.run()
        XCTAssertEqual(again.map(\.status), ["done", "done", "done", "done"])
        XCTAssertEqual(try String(contentsOfFile: output + "/runs/model.method-fsb__seed-2/summary.json", encoding: .utf8), before)

        // Two shards, then collect: the same runs.csv (but for wall time).
        let sharded = folder + "/sharded"
        for index in 1...2 {
            try CompareRunner(specFile: spec, output: sharded + "-\(index)", dataRoot: nil, quiet: true).run(shard: (index, 2))
        }
        try CompareRunner(specFile: spec, output: sharded, dataRoot: nil, quiet: true).writeTables(from: [sharded + "-1", sharded + "-2"])
        XCTAssertEqual(try runsWithoutWallTime(sharded), try runsWithoutWallTime(output))

        // An axis reference turns the verdicts around (collect only: nothing is trained).
        let referenced = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: #""values": ["bwn", "fsb"]"#, with: #""values": ["bwn", "fsb"], "reference": "fsb""#)
        let referencedSpec = folder + "/referenced.json"
        try referenced.write(toFile: referencedSpec, atomically: true, encoding: .utf8)
        try CompareRunner(specFile: referencedSpec, output: folder + "/referenced", dataRoot: nil, quiet: true).writeTables(from: [output])
        let turned = try String(contentsOfFile: folder + "/referenced/verdicts.txt", encoding: .utf8)
        XCTAssertTrue(turned.hasPrefix("model.method=bwn vs fsb: "), turned)
        XCTAssertFalse(turned.contains("fsb vs bwn"), turned)

        // Labels name the values in the tables and verdicts; the run folders keep the values.
        let labelled = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: #""values": ["bwn", "fsb"]"#,
                                  with: #""values": ["bwn", "fsb"], "labels": ["binary weights", "fixed signs"], "reference": "fsb""#)
        let labelledSpec = folder + "/labelled.json"
        try labelled.write(toFile: labelledSpec, atomically: true, encoding: .utf8)
        let labelledRows = try CompareRunner(specFile: labelledSpec, output: folder + "/labelled", dataRoot: nil, quiet: true)
            .writeTables(from: [output])
        XCTAssertEqual(labelledRows.map { $0.settings["model.method"] }, ["binary weights", "binary weights", "fixed signs", "fixed signs"])
        XCTAssertEqual(labelledRows.map(\.folder), rows.map(\.folder))
        let labelledVerdicts = try String(contentsOfFile: folder + "/labelled/verdicts.txt", encoding: .utf8)
        XCTAssertTrue(labelledVerdicts.hasPrefix("model.method=binary weights vs fixed signs: "), labelledVerdicts)
        let labelledTable = try String(contentsOfFile: folder + "/labelled/table.md", encoding: .utf8)
        XCTAssertTrue(labelledTable.contains("| fixed signs | 2 |"), labelledTable)
        XCTAssertTrue(try String(contentsOfFile: folder + "/labelled/runs.csv", encoding: .utf8)
            .contains("\nbinary weights,1,model.method-bwn__seed-1,done,"))

        // Cells exported without checkpoints (as in results/) give the same tables: the
        // simulator totals come from each run's config.json.
        let exported = folder + "/exported"
        try FileManager.default.copyItem(atPath: output, toPath: exported)
        for cell in try FileManager.default.contentsOfDirectory(atPath: exported + "/runs") {
            for name in ["last.fsbckpt", "best.fsbckpt"] { try? FileManager.default.removeItem(atPath: "\(exported)/runs/\(cell)/\(name)") }
        }
        try CompareRunner(specFile: spec, output: exported, dataRoot: nil, quiet: true).writeTables(from: [exported])
        XCTAssertEqual(try runsWithoutWallTime(exported), try runsWithoutWallTime(output))
        XCTAssertEqual(try String(contentsOfFile: exported + "/table.csv", encoding: .utf8),
                       try String(contentsOfFile: output + "/table.csv", encoding: .utf8))
    }

    func testReferenceMustBeOneOfTheValues() throws {
        let folder = temporaryFolder()
        let spec = try writeSpec(in: folder)
        let text = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: #""values": ["bwn", "fsb"]"#, with: #""values": ["bwn", "fsb"], "reference": "fp""#)
        try text.write(toFile: spec, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompareRunner(specFile: spec, output: folder + "/out", dataRoot: nil, quiet: true)) { error in
            XCTAssertTrue("\(error)".contains("reference"), "\(error)")
            XCTAssertTrue("\(error)".contains("must be one of the axis' values [bwn, fsb], got fp"), "\(error)")
        }
    }

    func testLabelsNameEachValueOnce() throws {
        let folder = temporaryFolder()
        let spec = try writeSpec(in: folder)
        let original = try String(contentsOfFile: spec, encoding: .utf8)
        for (labels, message) in [(#"["one"]"#, "axes[0].labels: must name each of the 2 values, got 1 labels"),
                                  (#"["same", "same"]"#, #"axes[0].labels: labels must differ, got "same" twice"#),
                                  (#"["", "b"]"#, #"axes[0].labels: each label must be non-empty text without control characters, got """#),
                                  (#"["a\tb", "b"]"#, #"axes[0].labels: each label must be non-empty text without control characters, got "a\tb""#)] {
            try original.replacingOccurrences(of: #""values": ["bwn", "fsb"]"#, with: #""values": ["bwn", "fsb"], "labels": \#(labels)"#)
                .write(toFile: spec, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try CompareRunner(specFile: spec, output: folder + "/out", dataRoot: nil, quiet: true), labels) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
    }

    func testFailedCellIsRecordedAndTheGridGoesOn() throws {
        let folder = temporaryFolder()
        let spec = try writeSpec(in: folder)
        var text = try String(contentsOfFile: spec, encoding: .utf8)
        text = text.replacingOccurrences(of: #""values": [1, 2]"#, with: #""values": [1]"#)
            .replacingOccurrences(of: #""learningRate": 0.002"#, with: #""learningRate": 1e9"#)
        try text.write(toFile: spec, atomically: true, encoding: .utf8)
        let rows = try CompareRunner(specFile: spec, output: folder + "/out", dataRoot: nil, quiet: true).run()
        XCTAssertEqual(rows.count, 2)
        for row in rows {
            XCTAssertEqual(row.status, "failed")
            XCTAssertTrue(row.error.contains("training diverged"), row.error)
        }
    }

    func testInvalidAxisValueNamesTheCell() throws {
        let folder = temporaryFolder()
        let spec = try writeSpec(in: folder)
        let text = try String(contentsOfFile: spec, encoding: .utf8).replacingOccurrences(of: #"["bwn", "fsb"]"#, with: #"["bwn", "xnor"]"#)
        try text.write(toFile: spec, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompareRunner(specFile: spec, output: folder + "/out", dataRoot: nil, quiet: true).cells()) { error in
            XCTAssertTrue("\(error)".contains("cell model.method=xnor,seed=1 is not a valid config: model.method: expected one of"), "\(error)")
        }
    }

    func testSpecPathsAreRelativeToTheSpecAndSetAppliesToTheBase() throws {
        let folder = URL(fileURLWithPath: temporaryFolder())
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: folder.appendingPathComponent("configs/compare"), withIntermediateDirectories: true)
        try fileManager.createDirectory(at: folder.appendingPathComponent("hw"), withIntermediateDirectories: true)
        try fileManager.copyItem(at: TrainerTests.repositoryRoot.appendingPathComponent("configs/hw/fsb-int8-os.json"),
                                 to: folder.appendingPathComponent("hw/fsb.json"))
        try #"{"dataset": {"name": "mnist", "path": "../data/mnist"}, "model": {"architecture": "lenet5"}}"#
            .write(to: folder.appendingPathComponent("configs/base.json"), atomically: true, encoding: .utf8)
        let spec = folder.appendingPathComponent("configs/compare/spec.json").path
        try #"{"name": "rel", "base": "../base.json", "axes": [{"path": "model.method", "values": ["bwn", "fsb"]}], "hardware": ["../../hw/fsb.json"], "output": "../../out"}"#
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let overrides = try ["training.epochs=2", "model.fsb.signCodebook=4"].map { try ConfigOverride(parsing: $0) }
        let runner = try CompareRunner(specFile: spec, output: nil, dataRoot: nil, quiet: true, overrides: overrides)
        XCTAssertEqual(runner.outputDirectory, folder.appendingPathComponent("out").standardizedFileURL.path)
        XCTAssertEqual(runner.spec.hardware, [folder.appendingPathComponent("hw/fsb.json").standardizedFileURL.path])
        let cells = try runner.cells()
        XCTAssertEqual(cells.map(\.folderName), ["model.method-bwn", "model.method-fsb"])
        XCTAssertEqual(cells.map(\.config.dataset.path), Array(repeating: folder.appendingPathComponent("data/mnist").standardizedFileURL.path, count: 2))
        XCTAssertEqual(cells.map(\.config.training.epochs), [2, 2])
        XCTAssertEqual(cells.map(\.config.model.fsb.signCodebook), [4, 4])
        let script = try runner.prepareSlurm(shards: 2, executable: "/bin/fsb", time: "1:00:00", memory: "4G")
        let out = folder.appendingPathComponent("out").standardizedFileURL.path
        XCTAssertTrue(FileManager.default.fileExists(atPath: out), "the folder of the Slurm logs must exist before sbatch")
        XCTAssertTrue(script.contains("#SBATCH --output=\(out)/slurm-%A_%a.out\n"), script)
        XCTAssertTrue(script.contains("#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)\n"), script)
        XCTAssertTrue(script.contains("#SBATCH --cpus-per-task=2\n#SBATCH --chdir"), script) // no threads in the cells: 2
        XCTAssertTrue(script.contains("#SBATCH --time=1:00:00\n#SBATCH --mem=4G\n"), script)
        XCTAssertTrue(script.contains("'/bin/fsb' compare --spec '\(spec)' --output '\(out)' --shard \"${SLURM_ARRAY_TASK_ID}/2\""
                                      + " --set 'training.epochs=2' --set 'model.fsb.signCodebook=4' --set training.threads=2 --quiet"), script)
        let threaded = try CompareRunner(specFile: spec, output: nil, dataRoot: nil, quiet: true,
                                         overrides: [try ConfigOverride(parsing: "training.threads=8")])
        let eight = try threaded.prepareSlurm(shards: 1, executable: "/bin/fsb")
        XCTAssertTrue(eight.contains("#SBATCH --cpus-per-task=8\n"), eight)
        XCTAssertFalse(eight.contains("--set training.threads=8 --quiet"), eight)

        let overlapping = try CompareRunner(specFile: spec, output: nil, dataRoot: nil, quiet: true,
                                            overrides: [try ConfigOverride(parsing: "model.method=fp")])
        XCTAssertThrowsError(try overlapping.cells()) { error in
            XCTAssertEqual("\(error)", #"--set model.method=fp: overlaps the spec's axis "model.method" (\#(spec)); an axis sets that field in every cell"#)
        }
        let invalid = try CompareRunner(specFile: spec, output: nil, dataRoot: nil, quiet: true,
                                        overrides: [try ConfigOverride(parsing: "training.epochs=0")])
        XCTAssertThrowsError(try invalid.cells()) { error in
            XCTAssertEqual("\(error)", "--set training.epochs=0: training.epochs: must be in 1...100000, got 0")
        }

        try #"{"name": "rel", "base": "base.json"}"#.write(toFile: spec, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CompareRunner(specFile: spec, output: nil, dataRoot: nil, quiet: true)) { error in
            XCTAssertTrue("\(error)".hasPrefix(#"\#(spec): base: cannot read base config "base.json" (looked for \#(folder.path)/configs/compare/base.json"#), "\(error)")
        }
    }

    func testTablesForOneSeedAndVerdictWording() throws {
        func row(_ method: String, accuracy: Double, updateBits: Int, energy: Double) -> CompareRow {
            let summary = RunSummary(name: "x", dataset: "mnist", model: "lenet5", method: method, granularity: "-", alphaSign: "-",
                                     signInit: "-", signCodebook: "-", firstLayerMethod: "fp", lastLayerMethod: "fp", seed: 1, epochs: 1,
                                     params: 10, trainableParams: 10, modelBits: 8192, updateBits: updateBits,
                                     bestTestAccuracy: accuracy, bestEpoch: 1, finalTestAccuracy: accuracy, finalTestLoss: 0.1, wallSeconds: 1)
            return CompareRow(settings: ["model.method": method, "seed": "1"], folder: method, status: "done", error: "",
                              summary: summary, hardware: ["hw": .init(totalCycles: 100, energyMicrojoules: energy)])
        }
        let tables = CompareTables(rows: [row("bwn", accuracy: 78.6, updateBits: 1000, energy: 4), row("fp", accuracy: 80.25, updateBits: 15900, energy: 2)],
                                   axes: ["model.method", "seed"], hardware: ["hw"], references: ["model.method": "bwn"])
        let csv = tables.csv().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(csv[0], "model.method,n,failed,best_test_acc_mean,best_test_acc_std,final_test_acc_mean,final_test_acc_std,params,trainable_params,model_kib,update_kib,hw_total_cycles,hw_energy_uj")
        XCTAssertEqual(csv[1], "bwn,1,0,78.6000,,78.6000,,10,10,1.0,0.1,100,4.00")
        let markdown = tables.markdown()
        XCTAssertTrue(markdown.contains("| bwn | 1 | 78.60 | 78.60 | 10 |"), markdown)
        XCTAssertFalse(markdown.contains("±"), markdown)
        XCTAssertEqual(tables.verdicts(), "model.method=fp vs bwn: +1.65 points final test accuracy (1 seed); update 15.9x larger; hw energy 2x lower\n")
    }
}

