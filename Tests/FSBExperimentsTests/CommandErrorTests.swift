import FSBCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// What a user sees from the `fsb` binary for bad input: one line on stderr naming the file,
/// option or override and the field, a non-zero exit (64 for a bad option, 1 otherwise), and
/// nothing written.
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
}
