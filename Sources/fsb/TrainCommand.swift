import ArgumentParser
import FSBCore
import FSBExperiments
import Foundation

/// `fsb train`: trains one experiment config into a run folder, or resumes one.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network from a JSON experiment config.",
        usage: """
        fsb train --config FILE [--set PATH=VALUE ...] [--output DIR] [--seed N]
          [--epochs N] [--data-root DIR] [--quiet]
        fsb train --resume DIR [--precision fp32|bf16] [--data-root DIR]
          [--quiet]
        """,
        discussion: """
        Writes a run folder with config.json (resolved), profile.txt/.csv, metrics.csv,
        summary.csv and the checkpoints last.fsbckpt and best.fsbckpt. Ctrl-C finishes the
        current step, saves last.fsbckpt and stops; --resume continues bit for bit
        (or in the other precision with --precision: metrics.csv's precision column
        shows each epoch's).

        Examples:
          fsb train --config configs/quickstart.json
          fsb train --config configs/mnist-lenet5-fsb.json \\
            --data-root ../shared/datasets --output runs/fsb1
          fsb train --config configs/mnist-lenet5-fp.json --seed 2 --epochs 1
          fsb train --config configs/quickstart.json --set model.method=bwn \\
            --set training.optimizer.learningRate=0.001 --output runs/quick-bwn
          fsb train --resume runs/fsb1
          FSB_BF16_PATH=portable fsb train --resume runs/fsb1 --precision bf16
        """)

    @Option(name: .long, help: "Experiment config (JSON).", completion: .file(extensions: ["json"]))
    var config: String?

    @Option(name: .long, help: "Run folder (default: the config's output.directory, else runs/<name>).", completion: .directory)
    var output: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a config field: a dotted path and a JSON value (a bare word is a string); repeatable.",
        valueName: "path=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Override the config's seed (like --set seed=N).")
    var seed: UInt64?

    @Option(name: .long, help: "Shorthand for --set training.epochs=N.")
    var epochs: Int?

    @OptionGroup var data: DataRootOption

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @Option(name: .long, help: "Continue the interrupted run in this folder.", completion: .directory)
    var resume: String?

    @Option(name: .long, help: "With --resume: continue in fp32 or bf16 (default: as the run was).")
    var precision: String?

    func validate() throws {
        if (config == nil) == (resume == nil) {
            throw ValidationError("give exactly one of --config FILE or --resume RUN_DIR")
        }
        if resume != nil && (seed != nil || epochs != nil || output != nil || !overrides.isEmpty) {
            throw ValidationError("--resume continues a run as it was configured; --set, --seed, --epochs and --output cannot be combined with it")
        }
        if let precision {
            guard resume != nil else { throw ValidationError("--precision switches a resumed run; with --config use --set training.precision=\(precision)") }
            guard TrainingConfig.Precision(rawValue: precision) != nil else {
                throw ValidationError("--precision must be \"fp32\" or \"bf16\", got \"\(precision)\"")
            }
        }
    }

    /// `--set` overrides in the order given, then the `--epochs` shorthand (`--seed` is set
    /// on the decoded config: a JSON number would round seeds above 2^53).
    func configOverrides() throws -> [ConfigOverride] {
        var list = try overrides.map { try ConfigOverride(parsing: $0) }
        if let epochs { list.append(try ConfigOverride(path: "training.epochs", value: .integer(Int64(epochs)), origin: "--epochs \(epochs)")) }
        return list
    }

    func run() throws {
        let trainer: Trainer
        do {
            if let resume {
                trainer = try Trainer.resuming(options: .init(runDirectory: resume, dataRoot: data.dataRoot, quiet: quiet,
                                                              precision: precision.flatMap(TrainingConfig.Precision.init(rawValue:))))
            } else if let config {
                var experiment = try ExperimentConfig.load(path: config, overrides: try configOverrides())
                if let seed { experiment.seed = seed }
                let directory = output ?? experiment.output.directory ?? "runs/\(experiment.name)"
                trainer = try Trainer(config: experiment, options: .init(runDirectory: directory, dataRoot: data.dataRoot, quiet: quiet))
            } else {
                return
            }
        } catch let error as ConfigError {
            // Problems only the built model or the data can find (a layer name, a validation
            // hold-out) name the override that set the field, else the config's file.
            throw try configOverrides().locate(error, file: config ?? (resume.map { $0 + "/last.fsbckpt" } ?? ""))
        }
        do {
            let summary = try trainer.run()
            print("run: \(trainer.folder.url.path)")
            print(String(format: "final test accuracy %.4f%%, best %.4f%% (epoch %d), %.1f s",
                         summary.finalTestAccuracy, summary.bestTestAccuracy, summary.bestEpoch, summary.wallSeconds))
        } catch let interrupted as TrainingInterrupted {
            FileHandle.standardError.write(Data((interrupted.description + "\n").utf8))
            throw ExitCode(130)
        }
    }
}

/// `--data-root DIR`, shared by every command that reads data.
struct DataRootOption: ParsableArguments {
    @Option(name: .long, help: "Folder holding mnist/, fashion-mnist/, cifar-10/, cifar-100/ (default: $FSB_DATA_ROOT, else datasets/; for train --resume: the run's recorded one). A config's dataset.path, when set, is used instead.",
            completion: .directory)
    var dataRoot: String?
}
