import ArgumentParser
import FSBExperiments

/// `fsb profile`: prints the model summary of a config or a checkpoint without training.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Print the model summary of a config or checkpoint: layers, methods, parameters, bits, MACs.",
        usage: """
        fsb profile --config FILE [--set PATH=VALUE ...] [--csv]
        fsb profile --checkpoint FILE [--csv]
        """,
        discussion: """
        The same table a run writes to profile.txt (with --csv: profile.csv): per layer its \
        kind, weight method, output shape, parameters (trainable and fixed), stored bits per \
        weight, memory, MACs, multiplications and additions/subtractions; then the totals, \
        model size and update size. Nothing is trained and no data is read.

        Examples:
          fsb profile --config configs/cifar10-resnet20-fsb.json
          fsb profile --config configs/quickstart.json --set model.method=bwn
          fsb profile --checkpoint runs/quickstart/last.fsbckpt --csv > profile.csv
        """)

    @Option(name: .long, help: "Experiment config (JSON).", completion: .file(extensions: ["json"]))
    var config: String?

    @Option(name: .long, help: "Checkpoint file (.fsbckpt): the model it was trained with.", completion: .file(extensions: ["fsbckpt"]))
    var checkpoint: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a config field (dotted path, JSON value), as fsb train --set; repeatable.",
        valueName: "path=value"))
    var overrides: [String] = []

    @Flag(name: .long, help: "Print the profile as CSV.")
    var csv = false

    func validate() throws {
        if (config == nil) == (checkpoint == nil) {
            throw ValidationError("give exactly one of --config FILE or --checkpoint FILE")
        }
        if checkpoint != nil && !overrides.isEmpty {
            throw ValidationError("--set applies to --config; a checkpoint's model is fixed")
        }
    }

    func run() throws {
        let profile = if let checkpoint {
            try ModelSummary.profile(checkpointFile: checkpoint)
        } else {
            try ModelSummary.profile(configFile: config ?? "", overrides: overrides.map { try ConfigOverride(parsing: $0) })
        }
        print(csv ? profile.csv() : profile.render(), terminator: "")
    }
}
