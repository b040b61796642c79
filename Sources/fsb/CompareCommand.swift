import ArgumentParser
import FSBExperiments
import Foundation

/// `fsb compare`: runs an ablation grid and writes its results tables.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run an ablation grid (compare spec) and write runs.csv, table.csv, table.md and verdicts.txt.",
        usage: """
        fsb compare --spec FILE [--set PATH=VALUE ...] [--output DIR] [--jobs N]
          [--shard I/N] [--data-root DIR] [--quiet]
        fsb compare --spec FILE [--output DIR] --collect DIR ...
        fsb compare --spec FILE [--output DIR] [--shard I/N] --status
        fsb compare --spec FILE [--output DIR] --emit slurm [--shards N]
          [--cpus-per-task N] [--time D-HH:MM:SS] [--mem SIZE] [--data-root DIR]
        """,
        discussion: """
        Finished cells are skipped, so re-running an interrupted compare resumes it.
        --status prints each cell's state (done, in progress at epoch E, failed, not
        started) while the grid runs or after it stopped; it trains and writes nothing.

        Examples:
          fsb compare --spec configs/compare/mnist-methods.json \\
            --data-root ../shared/datasets --jobs 2
          fsb compare --spec configs/compare/mnist-methods.json \\
            --set training.epochs=2 --output runs/quick-grid
          # one of 4 disjoint slices, then merge the slices into tables:
          fsb compare --spec S.json --output out1 --shard 1/4
          fsb compare --spec S.json --output merged --collect out1 out2 out3 out4
          fsb compare --spec S.json --output out --emit slurm --shards 8 \\
            --time 0-04:00:00 --mem 8G > grid.sbatch
        """)

    @Option(name: .long, help: "Compare spec (JSON).", completion: .file(extensions: ["json"]))
    var spec: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a field of the base config (dotted path, JSON value), as fsb train --set; repeatable.",
        valueName: "path=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Output folder (default: the spec's output, else runs/compare/<name>).", completion: .directory)
    var output: String?

    @Option(name: .long, help: "Cells to train at once, as separate processes.")
    var jobs: Int = 1

    @Option(name: .long, help: "Run only slice I of N of the grid, written I/N (1-based).")
    var shard: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Merge the runs found in these compare output folders into the tables; trains nothing.", completion: .directory)
    var collect: [String] = []

    @Flag(name: .long, help: "Print each cell's state and accuracy so far; trains and writes nothing.")
    var status = false

    @Option(name: .long, help: "Print a cluster script instead of running: slurm.", completion: .list(["slurm"]))
    var emit: String?

    @Option(name: .long, help: "Number of array tasks for --emit slurm.")
    var shards: Int = 4

    @Option(name: .customLong("cpus-per-task"), help: "--emit slurm: CPUs per task (default: the largest training.threads of the cells, else 2).")
    var cpusPerTask: Int?

    @Option(name: .long, help: ArgumentHelp("--emit slurm: time limit per task, as sbatch --time takes it.", valueName: "D-HH:MM:SS"))
    var time: String?

    @Option(name: .long, help: ArgumentHelp("--emit slurm: memory per node, as sbatch --mem takes it.", valueName: "size"))
    var mem: String?

    @OptionGroup var data: DataRootOption

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    /// This executable's absolute path (cells run with `--jobs N` are `fsb train` processes).
    static var executablePath: String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        if link != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: link) { return link }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    func validate() throws {
        if let problem = CompareRunner.jobsRange.problem(jobs) { throw ValidationError("--jobs \(problem), got \(jobs)") }
        if let shard, parsedShard(shard) == nil {
            throw ValidationError("--shard must be I/N with 1 <= I <= N and N in \(CompareRunner.shardCountRange.text), got \"\(shard)\"")
        }
        if status && (emit != nil || !collect.isEmpty) { throw ValidationError("--status does not combine with --emit or --collect") }
        if let emit, emit != "slurm" { throw ValidationError("--emit supports \"slurm\", got \"\(emit)\"") }
        if let problem = CompareRunner.shardCountRange.problem(shards) { throw ValidationError("--shards \(problem), got \(shards)") }
        if emit == nil && (cpusPerTask != nil || time != nil || mem != nil) {
            throw ValidationError("--cpus-per-task, --time and --mem apply to --emit slurm")
        }
        do {
            try SlurmOptions.check(cpusPerTask: cpusPerTask, time: time, memory: mem)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    private func parsedShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, CompareRunner.shardCountRange.contains(parts[1]), (1...parts[1]).contains(parts[0]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let runner = try CompareRunner(specFile: spec, output: output, dataRoot: data.dataRoot, quiet: quiet,
                                       overrides: try overrides.map { try ConfigOverride(parsing: $0) })
        if status {
            print(CellStatus.report(try runner.status(shard: shard.flatMap(parsedShard)), grid: runner.spec.name,
                                    output: runner.outputDirectory), terminator: "")
            return
        }
        if emit != nil {
            print(try runner.prepareSlurm(shards: shards, executable: Self.executablePath, cpusPerTask: cpusPerTask,
                                          time: time, memory: mem), terminator: "")
            return
        }
        let rows: [CompareRow]
        if !collect.isEmpty {
            rows = try runner.writeTables(from: collect)
        } else {
            do {
                rows = try runner.run(shard: shard.flatMap(parsedShard), jobs: jobs, executable: Self.executablePath)
            } catch let interrupted as CompareInterrupted {
                FileHandle.standardError.write(Data((interrupted.description + "\n").utf8))
                throw ExitCode(130)
            }
        }
        let failed = rows.filter { $0.status != "done" }.count
        print("\(rows.count) runs (\(failed) failed or not run) -> \(runner.outputDirectory)/table.md")
        print(try String(contentsOfFile: runner.outputDirectory + "/table.md", encoding: .utf8), terminator: "")
    }
}
