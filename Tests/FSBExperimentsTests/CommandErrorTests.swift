import FSBCore
@testable import FSBExperiments
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What a user sees from the `fsb` binary for bad input: one line on stderr naming the file,
/// option or override and the field, a non-zero exit (64 for a bad option, 1 otherwise), and
/// nothing written — for one input of each class of the hardening issue (the in-process
/// tests of each class check the messages in detail; signals: `CompareSignalTests`).
final class CommandErrorTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// The fixture base config, edited by `edit`, written to `name` in the test's folder.
    private func config(_ name: String, _ edit: (String) -> String = { $0 }) throws -> String {
        let path = folder + "/" + name
        try edit(HardeningFixtures.baseJSON).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func assertRefused(_ arguments: [String], status: Int32, _ message: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = HardeningFixtures.listing(folder)
        let result = try CModuleFixtures.run([try HardeningFixtures.fsbExecutable()] + arguments)
        XCTAssertEqual(result.status, status, arguments.joined(separator: " "), file: file, line: line)
        XCTAssertEqual(result.stderr, "Error: \(message)\n", file: file, line: line)
        XCTAssertEqual(HardeningFixtures.listing(folder), before, "nothing may be written", file: file, line: line)
    }

    func testLateConfigErrorsNameTheFileOrTheOverride() throws {
        let layers = try config("layers.json") {
            $0.replacingOccurrences(of: #""method": "fsb"}"#, with: #""method": "fsb", "layerMethods": {"conv9": "bwn"}}"#)
        }
        let noSuchLayer = "model.layerMethods.conv9: no such layer; layers are: fc1, fc2, fc"
        try assertRefused(["profile", "--config", layers], status: 1, "\(layers): \(noSuchLayer)")
        try assertRefused(["simulate-hw", "--config", layers, "--hardware", HardeningFixtures.root.path + "/configs/hw/fsb-int8-os.json"],
                          status: 1, "\(layers): \(noSuchLayer)")
        let base = try config("base.json")
        try assertRefused(["profile", "--config", base, "--set", "model.layerMethods.conv9=bwn"], status: 1,
                          "--set model.layerMethods.conv9=bwn: \(noSuchLayer)")
        try assertRefused(["train", "--config", base, "--set", "model.layerMethods.conv9=bwn", "--output", folder + "/run",
                           "--data-root", HardeningFixtures.dataRoot], status: 1,
                          "--set model.layerMethods.conv9=bwn: \(noSuchLayer)")
        let holdOut = try config("hold-out.json") {
            $0.replacingOccurrences(of: #""trainLimit": 200"#, with: #""trainLimit": 200, "validationFraction": 0.001"#)
        }
        try assertRefused(["train", "--config", holdOut, "--output", folder + "/run", "--data-root", HardeningFixtures.dataRoot], status: 1,
                          "\(holdOut): dataset.validationFraction: 0.001 of the 200 training images (dataset.trainLimit 200) holds out 0; expected at least 1 validation image and 1 training image")
    }

    func testBadOptionsAreOneLine() throws {
        let spec = HardeningFixtures.root.path + "/configs/compare/mnist-methods.json"
        try assertRefused(["compare", "--spec", spec, "--output", folder + "/grid", "--jobs", "65"], status: 64,
                          "--jobs must be in 1...64, got 65 (see 'fsb compare --help')")
        try assertRefused(["compare", "--spec", spec, "--output", folder + "/grid", "--emit", "slurm", "--mem", "1G\n#SBATCH --x"], status: 64,
                          #"--mem: expected a size as sbatch takes it (digits with an optional K, M, G or T), got "1G\n#SBATCH --x" (see 'fsb compare --help')"#)
        try assertRefused(["compare", "--spec", spec, "--output", folder + "/grid", "--emit", "slurm", "--time", "soon"], status: 64,
                          #"--time: expected a time limit as sbatch takes it (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED), got "soon" (see 'fsb compare --help')"#)
        try assertRefused(["compare", "--spec", spec, "--output", folder + "/grid", "--emit", "slurm", "--cpus-per-task", "4097"], status: 64,
                          "--cpus-per-task must be in 1...4096, got 4097 (see 'fsb compare --help')")
        try assertRefused(["simulate-hw", "--topology", "x.csv", "--hardware", "y.json", "--batch-size", "0"], status: 64,
                          "--batch-size must be in 1...65536, got 0 (see 'fsb simulate-hw --help')")
    }

    func testAFileThatIsNotARegularFileIsNamedByKind() throws {
        // Not in `folder`: listing it reads every file, and reading a FIFO waits for a writer.
        let fifoFolder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: fifoFolder, withIntermediateDirectories: true)
        let fifo = fifoFolder + "/config.json"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        try assertRefused(["train", "--config", fifo, "--output", folder + "/run"], status: 1,
                          "\(fifo): cannot read file: expected a regular file, found a FIFO")
        try assertRefused(["eval", "--checkpoint", folder + "/missing.fsbckpt"], status: 1,
                          "\(folder)/missing.fsbckpt: cannot read checkpoint: no such file")
    }

    /// A finished two-epoch run of the tiny MLP in `folder/name`.
    private func finishedRun(_ name: String) throws -> String {
        let run = folder + "/" + name
        _ = try Trainer(config: try HardeningFixtures.tinyConfig(), options: .init(runDirectory: run, dataRoot: HardeningFixtures.dataRoot, quiet: true)).run()
        return run
    }

    func testOneInputOfEachClassThroughTheBinary() throws {
        let data = ["--data-root", HardeningFixtures.dataRoot]
        // Ranges.
        let epochs = try config("epochs.json") { $0.replacingOccurrences(of: #""epochs": 2"#, with: #""epochs": 9223372036854775807"#) }
        try assertRefused(["train", "--config", epochs, "--output", folder + "/new"] + data, status: 1,
                          "\(epochs): training.epochs: must be in 1...100000, got 9223372036854775807")
        // Strict JSON.
        let duplicate = try config("duplicate.json") { $0.replacingOccurrences(of: #""epochs": 2,"#, with: #""epochs": 2, "epochs": 3,"#) }
        try assertRefused(["train", "--config", duplicate, "--output", folder + "/new"] + data, status: 1,
                          "\(duplicate): line 3, column 28 (training): duplicate key \"epochs\" (first at line 3, column 15)")
        // Names.
        let name = try config("name.json") { $0.replacingOccurrences(of: #""name": "format-v1""#, with: #""name": "../../x""#) }
        try assertRefused(["train", "--config", name] + data, status: 1,
                          #"\#(name): name: must be a single folder name (no "/", not "." or "..", at most 255 bytes), got "../../x""#)
        // Checkpoint integrity: one flipped byte in the data section.
        let run = try finishedRun("run")
        let checkpoint = URL(fileURLWithPath: run + "/last.fsbckpt")
        var bytes = [UInt8](try Data(contentsOf: checkpoint))
        bytes[bytes.count - 5] ^= 0x01
        try Data(bytes).write(to: checkpoint)
        let flipped = try CModuleFixtures.run([try HardeningFixtures.fsbExecutable(), "eval", "--checkpoint", checkpoint.path] + data)
        XCTAssertEqual(flipped.status, 1)
        XCTAssertTrue(flipped.stderr.hasPrefix("Error: \(checkpoint.path): bytes ") && flipped.stderr.hasSuffix("; the file is corrupt\n")
                      && flipped.stderr.split(separator: "\n").count == 1, flipped.stderr)
        // Resume of a run whose config.json was edited afterwards.
        let edited = try finishedRun("edited")
        let configFile = edited + "/config.json"
        try String(contentsOfFile: configFile, encoding: .utf8).replacingOccurrences(of: "\"seed\" : 1", with: "\"seed\" : 5")
            .write(toFile: configFile, atomically: true, encoding: .utf8)
        try assertRefused(["train", "--resume", edited] + data, status: 1,
                          "\(edited)/last.fsbckpt: does not belong to the run in \(edited): its config differs from config.json at seed: config.json has 5, the checkpoint 1; refusing to resume")
        // Two writers: a folder whose lock another writer holds.
        let locked = folder + "/locked"
        let lock = try DirectoryLock(directory: locked)
        let base = try config("base.json")
        try assertRefused(["train", "--config", base, "--output", locked] + data, status: 1,
                          "\(locked): another fsb process is writing to this folder (it holds the lock \(locked)/.fsb.lock); wait for it to finish or choose another output folder")
        lock.release()
        // Compare inputs: two axis values that share a cell folder.
        let spec = folder + "/spec.json"
        try #"{"name": "g", "base": \#(HardeningFixtures.baseJSON), "axes": [{"path": "seed", "values": [1, 1.0]}]}"#
            .write(toFile: spec, atomically: true, encoding: .utf8)
        try assertRefused(["compare", "--spec", spec, "--output", folder + "/grid"] + data, status: 1,
                          #"\#(spec): axes: cells seed=1 and seed=1 map to the same run folder "seed-1"; give axis values that differ after rounding to a folder name"#)
        // Data: a FIFO where a data file should be (outside `folder`: listing it would read the FIFO).
        let root = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: root + "/mnist", withIntermediateDirectories: true)
        for file in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(atPath: HardeningFixtures.dataRoot + "/mnist/" + file, toPath: root + "/mnist/" + file)
        }
        XCTAssertEqual(mkfifo(root + "/mnist/t10k-images-idx3-ubyte.gz", 0o600), 0)
        try assertRefused(["train", "--config", base, "--output", folder + "/new", "--data-root", root], status: 1,
                          "\(root)/mnist/t10k-images-idx3-ubyte.gz: expected a regular file, found a FIFO")
    }

    /// Outputs never replace what is not a plain file, nor the input they are made from, and
    /// simulate-hw writes its files all or none.
    func testOutputsDoNotDestroyWhatIsInTheirWay() throws {
        let run = try finishedRun("run")
        let checkpoint = run + "/last.fsbckpt"
        let data = ["--data-root", HardeningFixtures.dataRoot]
        try assertRefused(["export", "--checkpoint", checkpoint, "--format", "onnx", "--output", checkpoint], status: 1,
                          "--output \(checkpoint): is the --checkpoint file \(checkpoint); writing it would destroy its input, choose another path")
        try assertRefused(["eval", "--checkpoint", checkpoint, "--logits", run + "/../run/last.fsbckpt"] + data, status: 1,
                          "--logits \(run)/../run/last.fsbckpt: is the --checkpoint file \(checkpoint); writing it would destroy its input, choose another path")
        try assertRefused(["eval", "--checkpoint", checkpoint, "--output", folder + "/eval", "--logits", folder + "/eval/eval.csv"] + data, status: 1,
                          "--logits \(folder)/eval/eval.csv: is the --output file \(folder)/eval/eval.csv; writing it would destroy its input, choose another path")
        // --output and --logits are one group: a --logits that cannot be written leaves no eval files (nor their folder).
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/plain"))
        try assertRefused(["eval", "--checkpoint", checkpoint, "--output", folder + "/eval", "--logits", folder + "/plain/logits.csv"] + data,
                          status: 1, "\(folder)/plain: cannot create folder: a file of that name is in the way")
        try FileManager.default.createDirectory(atPath: folder + "/sim/totals.csv/x", withIntermediateDirectories: true)
        try assertRefused(["simulate-hw", "--config", checkpoint, "--hardware", HardeningFixtures.root.path + "/configs/hw/fsb-int8-os.json",
                           "--output", folder + "/sim"], status: 1,
                          "\(folder)/sim/totals.csv: cannot write: expected a file or nothing there, found a folder")
        // A FIFO (outside `folder`: listing it would read the FIFO) is not replaced by a file.
        let fifoFolder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: fifoFolder, withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(fifoFolder + "/model.onnx", 0o600), 0)
        try assertRefused(["export", "--checkpoint", checkpoint, "--format", "onnx", "--output", fifoFolder + "/model.onnx"], status: 1,
                          "--output \(fifoFolder)/model.onnx: cannot write: expected a file or nothing there, found a FIFO")
        var info = stat()
        XCTAssertEqual(lstat(fifoFolder + "/model.onnx", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still there")
    }

    /// An empty argument (an unset shell variable) is refused before anything runs, rather
    /// than taken as the working directory.
    func testEmptyArgumentsAreRefused() throws {
        let topology = HardeningFixtures.root.path + "/configs/hw/topologies/lenet5.csv"
        let hardware = HardeningFixtures.root.path + "/configs/hw/fsb-int8-os.json"
        try assertRefused(["simulate-hw", "--topology", topology, "--hardware", hardware, "--output", ""], status: 64,
                          "argument 7 (after --output) is empty: expected a value, found an empty string (an unset shell variable?) (see 'fsb simulate-hw --help')")
        try assertRefused(["eval", "--checkpoint", folder + "/x.fsbckpt", "--logits="], status: 64,
                          #"the value of --logits is empty: expected a value after "=", found nothing (an unset shell variable?) (see 'fsb eval --help')"#)
        try assertRefused(["datasets", ""], status: 64,
                          "argument 2 is empty: expected a value, found an empty string (an unset shell variable?) (see 'fsb datasets --help')")
    }

    /// Errors of the hardware side name the file that chose the value: two accelerators of
    /// one name, a topology row too large to count, accumulators too narrow for the C module.
    func testHardwareErrorsNameTheirFile() throws {
        let hardware = HardeningFixtures.root.path + "/configs/hw/fsb-int8-os.json"
        let copy = folder + "/copy.json"
        try String(contentsOfFile: hardware, encoding: .utf8).replacingOccurrences(of: #""energyTable": ""#, with: #""energyTable": "\#(HardeningFixtures.root.path)/configs/hw/"#)
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let topology = folder + "/gemm.csv"
        try "Layer, M, N, K,\ng1, 65536, 65536, 65536,\n".write(toFile: topology, atomically: true, encoding: .utf8)
        try assertRefused(["simulate-hw", "--topology", topology, "--hardware", hardware], status: 1,
                          "\(topology):2:1: g1: multiply-accumulates must be at most \(LayerShape.elementLimit) per input, got 281474976710656")
        try assertRefused(["simulate-hw", "--topology", HardeningFixtures.root.path + "/configs/hw/topologies/lenet5.csv",
                           "--hardware", hardware, "--hardware", copy], status: 1,
                          #"\#(copy): name: expected a name no other --hardware config has, found "fsb-int8-os", the name of \#(hardware)"#)
        let narrow = folder + "/narrow.json"
        try String(contentsOfFile: copy, encoding: .utf8).replacingOccurrences(of: #""accumulators": 32"#, with: #""accumulators": 16"#)
            .write(toFile: narrow, atomically: true, encoding: .utf8)
        let run = try finishedRun("run")
        let result = try CModuleFixtures.run([try HardeningFixtures.fsbExecutable(), "export", "--checkpoint", run + "/last.fsbckpt", "--format", "c",
                                              "--output", folder + "/c", "--hardware", narrow, "--data-root", HardeningFixtures.dataRoot])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("Error: layer 'fc1': its sums can reach ") && result.stderr.contains("beyond the 16-bit accumulators (bits.accumulators of --hardware \(narrow))")
                      && result.stderr.split(separator: "\n").count == 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/c"), "nothing written")
    }

    /// simulate-hw without --verify into a folder that holds an earlier --verify run's
    /// files removes them with the new tables: a folder never mixes two runs.
    func testSimulateHWReplacesAnEarlierRunsVerifyFiles() throws {
        let run = try finishedRun("run")
        let hardware = HardeningFixtures.root.path + "/configs/hw/fsb-int8-os.json"
        let output = folder + "/sim"
        let simulate = [try HardeningFixtures.fsbExecutable(), "simulate-hw", "--config", run + "/last.fsbckpt", "--hardware", hardware,
                        "--output", output, "--data-root", HardeningFixtures.dataRoot]
        XCTAssertEqual(try CModuleFixtures.run(simulate + ["--verify", "2", "--calibration", "8"]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(),
                       ["layers.csv", "predictions.csv", "summary.txt", "totals.csv", "verify.txt"])
        XCTAssertEqual(try CModuleFixtures.run(simulate).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["layers.csv", "summary.txt", "totals.csv"])
    }
}
