import FSBCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `fsb compare`: runs every cell of a grid (or one shard of it), skipping finished
/// cells so an interrupted compare resumes where it stopped, records failures without
/// stopping the grid, and writes `runs.csv`, `table.csv`, `table.md` and `verdicts.txt`.
///
/// Layout of the output folder:
///
///     <out>/runs/<cell>/            one run folder per cell (as `fsb train` writes)
///     <out>/runs/<cell>/cell.json   the cell's axis values
///     <out>/runs.csv, table.csv, table.md, verdicts.txt
public struct CompareRunner {
    /// The ranges of `--jobs` and of the shard count N (`--shard I/N`, `--shards N`).
    public static let jobsRange = ValueRange(1...64)
    public static let shardCountRange = ValueRange(1...100_000)

    public let spec: CompareSpec
    public let specFile: String
    public let outputDirectory: String
    public let dataRoot: String?
    public let quiet: Bool
    /// `--set` overrides applied to the base config of every cell.
    public let overrides: [ConfigOverride]

    public init(specFile: String, output: String?, dataRoot: String?, quiet: Bool, overrides: [ConfigOverride] = []) throws {
        spec = try CompareSpec.load(path: specFile)
        self.specFile = specFile
        outputDirectory = output ?? spec.output ?? "runs/compare/\(spec.name)"
        self.dataRoot = dataRoot
        self.quiet = quiet
        self.overrides = overrides
    }

    var axes: [String] { spec.axes.map(\.path) }
    var hardwareNames: [String] { spec.hardware.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } }
    var runsFolder: URL { URL(fileURLWithPath: outputDirectory).appendingPathComponent("runs") }

    /// The cells of shard `index` of `count` (1-based index): cell k belongs to shard (k mod count) + 1.
    public func cells(shard: (index: Int, count: Int)? = nil) throws -> [CompareCell] {
        let all = try spec.cells(specFile: specFile, overrides: overrides)
        guard let shard else { return all }
        return all.filter { $0.index % shard.count == shard.index - 1 }
    }

    /// Runs the cells (in this process, one after the other) and writes the tables over
    /// every cell found in the output folder. `executable` with `jobs > 1` runs cells as
    /// parallel `fsb train` processes instead.
    @discardableResult
    public func run(shard: (index: Int, count: Int)? = nil, jobs: Int = 1, executable: String? = nil) throws -> [CompareRow] {
        let selected = try cells(shard: shard)
        // Before anything is written: no cell folder of the grid (this shard's or another's,
        // whose tables this run writes too) may hold a run of another config, and every
        // cell to train must build.
        try verifyCellFolders(in: [outputDirectory], collecting: false)
        let pending = selected.filter { !RunFolder(path: folder(of: $0).path).isComplete }
        for cell in pending { try checkModel(of: cell) }
        // Shards of one grid may share the output folder; a whole-grid run owns it.
        let outputLock = try DirectoryLock(directory: outputDirectory, shared: shard != nil)
        defer { outputLock.release() }
        try FileManager.default.createDirectory(at: runsFolder, withIntermediateDirectories: true)
        if !quiet {
            FileHandle.standardError.write(Data("compare \(spec.name): \(selected.count) cells, \(selected.count - pending.count) already done\n".utf8))
        }
        // SIGINT/SIGTERM stop the whole grid: the cell in training checkpoints, no other
        // cell starts, and the run ends with `CompareInterrupted` (exit 130).
        InterruptFlag.install()
        defer { InterruptFlag.uninstall() }
        if jobs > 1, let executable {
            try runInProcesses(pending, jobs: jobs, executable: executable)
        } else {
            for cell in pending {
                if InterruptFlag.isRaised { break }
                try runInProcess(cell)
            }
        }
        if InterruptFlag.isRaised {
            let done = selected.filter { RunFolder(path: folder(of: $0).path).isComplete }.count
            throw CompareInterrupted(signal: InterruptFlag.signalName, outputDirectory: outputDirectory,
                                     done: done, total: selected.count)
        }
        return try writeTablesUnlocked(from: [outputDirectory])
    }

    func folder(of cell: CompareCell) -> URL { runsFolder.appendingPathComponent(cell.folderName) }

    /// Builds the cell's network (without data or weights) so that what only the built
    /// model can check (a `layerMethods` name) stops the grid before any cell trains, and
    /// checks a validation hold-out against `trainLimit` (the data may hold fewer images:
    /// the run checks again); an error names the `--set` that set the field, else the spec
    /// and the cell.
    private func checkModel(of cell: CompareCell) throws {
        do {
            _ = try ModelBuilder.buildForShapes(cell.config)
            if let limit = cell.config.dataset.trainLimit, cell.config.dataset.validationFraction > 0 {
                try DataPipeline.checkHoldOut(cell.config.dataset, trainingImages: limit)
            }
        } catch let error as ConfigError {
            throw overrides.locate(error, file: "\(specFile): cell \(cell.folderName)")
        }
    }

    /// Locks the cell's folder, records its identity, then trains it (resuming a partial
    /// run); errors are written to `error.txt` in the cell's folder and the grid goes on,
    /// except a cell another process is writing, which stops the grid.
    private func runInProcess(_ cell: CompareCell) throws {
        let directory = folder(of: cell)
        let lock = try DirectoryLock(directory: directory.path)
        defer { lock.release() }
        do {
            try writeCellFile(cell)
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("error.txt"))
            let options = Trainer.Options(runDirectory: directory.path, dataRoot: dataRoot, quiet: quiet, heldLock: lock)
            let lastExists = FileManager.default.fileExists(atPath: RunFolder(path: directory.path).lastCheckpoint.path)
            let trainer = lastExists ? try Trainer.resuming(options: options) : try Trainer(config: cell.config, options: options)
            _ = try trainer.run()
        } catch let interrupted as TrainingInterrupted {
            FileHandle.standardError.write(Data((interrupted.description + "\n").utf8))
            try? AtomicFile.write(interrupted.description + "\n", to: directory.appendingPathComponent("error.txt"))
        } catch let held as DirectoryLockHeld {
            throw held
        } catch {
            // A config problem found only once the cell ran (a layer name) names the spec.
            let located = (error as? ConfigError).map { overrides.locate($0, file: specFile) } ?? error
            try? AtomicFile.write("\(located)\n", to: directory.appendingPathComponent("error.txt"))
        }
    }

    private func writeCellFile(_ cell: CompareCell) throws {
        let directory = folder(of: cell)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let settings = Dictionary(uniqueKeysWithValues: cell.assignment.map { ($0.path, $0.value.compactText) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(CellRecord(axes: axes, settings: settings, config: cell.config)),
                             to: directory.appendingPathComponent("cell.json"))
    }

    private func runInProcesses(_ cells: [CompareCell], jobs: Int, executable: String) throws {
        var queue = cells[...]
        var running: [Process] = []
        var forwarded = false
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / jobs)
        var environment = ProcessInfo.processInfo.environment
        environment[ParentDeath.environmentKey] = String(getpid())
        while !queue.isEmpty || !running.isEmpty {
            if InterruptFlag.isRaised && !forwarded {
                // Stop the grid: no new cell; the running ones checkpoint and exit.
                forwarded = true
                queue.removeAll()
                for process in running where process.isRunning { kill(process.processIdentifier, InterruptFlag.lastSignal) }
            }
            while running.count < jobs, let cell = queue.popFirst() {
                // The child `fsb train` takes the cell's lock; refuse here, before writing
                // anything, a cell another process is writing now.
                try DirectoryLock.probe(directory: folder(of: cell).path)
                try writeCellFile(cell)
                try? FileManager.default.removeItem(at: folder(of: cell).appendingPathComponent("error.txt"))
                var config = cell.config
                config.training.threads = config.training.threads ?? threads
                let directory = folder(of: cell)
                let configFile = directory.appendingPathComponent("cell-config.json")
                try AtomicFile.write(try config.resolvedJSON(), to: configFile)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.environment = environment
                let resume = FileManager.default.fileExists(atPath: RunFolder(path: directory.path).lastCheckpoint.path)
                var arguments = resume ? ["train", "--resume", directory.path] : ["train", "--config", configFile.path, "--output", directory.path]
                if let dataRoot { arguments += ["--data-root", dataRoot] }
                process.arguments = arguments + ["--quiet"]
                let errorPipe = Pipe()
                process.standardError = errorPipe
                process.standardOutput = FileHandle.nullDevice
                process.terminationHandler = { finished in
                    let text = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    if finished.terminationStatus != 0 {
                        try? AtomicFile.write(text.isEmpty ? "exit status \(finished.terminationStatus)\n" : text,
                                              to: directory.appendingPathComponent("error.txt"))
                    }
                }
                try process.run()
                running.append(process)
            }
            Thread.sleep(forTimeInterval: 0.2)
            running.removeAll { !$0.isRunning }
        }
    }

    /// Reads every cell folder under the given compare output folders and writes the
    /// merged `runs.csv`, `table.csv`, `table.md` and `verdicts.txt` into this runner's
    /// output, which it locks (no grid may be writing into it meanwhile).
    /// Every folder must hold output of this grid (at least one of its cells).
    @discardableResult
    public func writeTables(from directories: [String]) throws -> [CompareRow] {
        let names = Set(try spec.cells(specFile: specFile).map(\.folderName))
        for directory in directories {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) else {
                throw FSBError("\(directory): --collect: no such folder")
            }
            guard isFolder.boolValue else {
                throw FSBError("\(directory): --collect: expected a folder of compare output, found a file")
            }
            let runs = URL(fileURLWithPath: directory).appendingPathComponent("runs")
            let found = ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).filter {
                names.contains($0) && FileManager.default.fileExists(atPath: runs.appendingPathComponent($0).appendingPathComponent("cell.json").path)
            }
            if found.isEmpty {
                throw FSBError("\(directory): --collect: holds no output of compare grid \"\(spec.name)\" (expected \(runs.path)/<cell>/cell.json for one of its \(names.count) cells, e.g. \(names.sorted()[0]))")
            }
        }
        try verifyCellFolders(in: directories, collecting: true)
        let outputLock = try DirectoryLock(directory: outputDirectory)
        defer { outputLock.release() }
        return try writeTablesUnlocked(from: directories)
    }

    /// Checks that every folder of this grid's cells under `<directory>/runs` holds a run
    /// of that cell's config (`CellIdentity`).
    private func verifyCellFolders(in directories: [String], collecting: Bool) throws {
        let cells = try spec.cells(specFile: specFile, overrides: overrides)
        for directory in directories {
            let runs = URL(fileURLWithPath: directory).appendingPathComponent("runs")
            for cell in cells {
                let folder = runs.appendingPathComponent(cell.folderName)
                guard FileManager.default.fileExists(atPath: folder.path) else { continue }
                try CellIdentity.verify(cell, folder: folder, grid: spec.name,
                                        context: collecting ? "\(folder.path): --collect" : folder.path,
                                        remedy: collecting ? "collect only folders this grid wrote"
                                            : "choose another --output (or move that folder away to train the cell anew)")
            }
        }
    }

    private func writeTablesUnlocked(from directories: [String]) throws -> [CompareRow] {
        var rows: [CompareRow] = []
        let order = Dictionary(uniqueKeysWithValues: try spec.cells(specFile: specFile, overrides: overrides).map { ($0.folderName, $0.index) })
        for directory in directories {
            let runs = URL(fileURLWithPath: directory).appendingPathComponent("runs")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
            for name in names where order[name] != nil {
                rows.append(try CompareRow.read(folder: runs.appendingPathComponent(name), hardware: spec.hardware, names: hardwareNames))
            }
        }
        var seen = Set<String>()
        rows = rows.filter { seen.insert($0.folder).inserted }.sorted { (order[$0.folder] ?? 0) < (order[$1.folder] ?? 0) }
        for axis in spec.axes where axis.labels != nil {
            for i in rows.indices { rows[i].settings[axis.path] = rows[i].settings[axis.path].map(axis.label(ofValue:)) }
        }
        let out = URL(fileURLWithPath: outputDirectory)
        try AtomicFile.write(CompareRow.table(axes: axes, hardware: hardwareNames).render(rows), to: out.appendingPathComponent("runs.csv"))
        let references = spec.axes.reduce(into: [String: String]()) { result, axis in
            result[axis.path] = axis.reference.map { axis.label(ofValue: $0.compactText) }
        }
        let tables = CompareTables(rows: rows, axes: axes, hardware: hardwareNames, references: references)
        try AtomicFile.write(tables.csv(), to: out.appendingPathComponent("table.csv"))
        try AtomicFile.write(tables.markdown(), to: out.appendingPathComponent("table.md"))
        try AtomicFile.write(tables.verdicts(), to: out.appendingPathComponent("verdicts.txt"))
        return rows
    }

    /// Shell-quotes one argument (single quotes).
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The `--set` overrides as shell arguments (values written as JSON).
    private var setArguments: [String] {
        overrides.map { override in
            let value = (try? String(decoding: override.value.encoded(), as: UTF8.self)) ?? override.value.compactText
            return "--set " + Self.shellQuoted("\(override.path)=\(value)")
        }
    }

    /// Prepares a Slurm array job: creates the output folder (Slurm opens each task's log
    /// there before the script runs) and returns an sbatch script whose task `i` runs shard
    /// `i` of `shards`, with absolute paths and `--chdir` set to the working directory (so it
    /// can be submitted from anywhere). `cpusPerTask` defaults to the largest
    /// `training.threads` of the cells, else 2; cells without a thread count get
    /// `--set training.threads=<cpus>` so they use what Slurm gives them. `time` and
    /// `memory` go to `#SBATCH --time` and `--mem` once `SlurmOptions` has checked them.
    public func prepareSlurm(shards: Int, executable: String, cpusPerTask: Int? = nil,
                             time: String? = nil, memory: String? = nil) throws -> String {
        try SlurmOptions.check(cpusPerTask: cpusPerTask, time: time, memory: memory)
        let cells = try self.cells()
        let cwd = ConfigPaths.workingDirectory
        let output = ConfigPaths.absolute(outputDirectory, relativeTo: cwd)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let cpus = cpusPerTask ?? cells.compactMap(\.config.training.threads).max() ?? 2
        var arguments = setArguments
        if cells.contains(where: { $0.config.training.threads == nil }) {
            arguments.append("--set training.threads=\(cpus)")
        }
        let spec = Self.shellQuoted(ConfigPaths.absolute(specFile, relativeTo: cwd))
        let dataRootArgument = dataRoot.map { " --data-root " + Self.shellQuoted(ConfigPaths.absolute($0, relativeTo: cwd)) } ?? ""
        let command = "\(Self.shellQuoted(executable)) compare --spec \(spec) --output \(Self.shellQuoted(output))"
        var script = """
        #!/bin/bash
        # Runs the compare grid "\(self.spec.name)" (\(cells.count) cells) as a Slurm array of \(shards) tasks.
        # Submit this file with sbatch; when every task is done, merge the tables:
        #   \(command) --collect \(Self.shellQuoted(output))
        #SBATCH --job-name=fsb-\(self.spec.name)
        #SBATCH --array=1-\(shards)
        #SBATCH --cpus-per-task=\(cpus)
        #SBATCH --chdir=\(cwd.path)
        #SBATCH --output=\(output)/slurm-%A_%a.out

        """
        if let time { script += "#SBATCH --time=\(time)\n" }
        if let memory { script += "#SBATCH --mem=\(memory)\n" }
        script += """
        set -euo pipefail
        \(command) --shard "${SLURM_ARRAY_TASK_ID}/\(shards)"\(dataRootArgument)\(arguments.map { " " + $0 }.joined()) --quiet

        """
        return script
    }
}

/// Thrown when SIGINT/SIGTERM stopped a compare grid: every cell is complete or resumable.
public struct CompareInterrupted: UserFacingError {
    public let signal: String
    public let outputDirectory: String
    public let done: Int
    public let total: Int
    public var description: String {
        "interrupted by \(signal): \(done) of \(total) cells done, the others saved or not started; run the same fsb compare again to resume (output \(outputDirectory))"
    }
}

/// `cell.json` in a cell's run folder: its axis values and config.
struct CellRecord: Codable {
    var axes: [String]
    var settings: [String: String]
    var config: ExperimentConfig
}

extension CompareRow {
    /// Reads a cell folder: its `cell.json`, `summary.json` when complete, else `error.txt`
    /// (or whether it was begun: a partial `last.fsbckpt`).
    /// The simulator totals need only the network's shapes: from `last.fsbckpt`, or, in a
    /// folder exported without checkpoints (`results/`), from the run's resolved `config.json`.
    static func read(folder: URL, hardware: [String], names: [String]) throws -> CompareRow {
        let record = try JSONDecoder().decode(CellRecord.self, from: Data(contentsOf: folder.appendingPathComponent("cell.json")))
        let run = RunFolder(path: folder.path)
        var row = CompareRow(settings: record.settings, folder: folder.lastPathComponent, status: "failed", error: "", summary: nil, hardware: [:])
        if let data = FileManager.default.contents(atPath: run.summaryJSON.path) {
            row.summary = try JSONDecoder().decode(RunSummary.self, from: data)
            row.status = "done"
            let network = FileManager.default.fileExists(atPath: run.lastCheckpoint.path)
                ? run.lastCheckpoint.path : folder.appendingPathComponent("config.json").path
            for (path, name) in zip(hardware, names) {
                row.hardware[name] = try HardwareEstimate.totals(checkpoint: network, hardwareConfig: path)
            }
        } else {
            let unfinished = FileManager.default.fileExists(atPath: run.lastCheckpoint.path)
                ? "not finished: its last.fsbckpt holds a partial run (running the grid again resumes it)" : "not run yet"
            let text = (try? String(contentsOf: folder.appendingPathComponent("error.txt"), encoding: .utf8)) ?? unfinished
            row.error = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")
        }
        return row
    }
}
