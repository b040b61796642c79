import ArgumentParser
import FSBCore
import FSBExperiments

/// Root command: parses arguments and dispatches to a subcommand.
@main
struct FSBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsb",
        abstract: "Fixed-Sign Binary neural networks: train, evaluate, profile, simulate hardware, compare, export.",
        subcommands: [TrainCommand.self, EvalCommand.self, ProfileCommand.self, SimulateHWCommand.self, CompareCommand.self,
                      DatasetsCommand.self, ExportCommand.self]
    )

    static func main() {
        ArgumentEncoding.refuseInvalidProcessArguments()
        FreedMemoryReuse.enable()
        main(nil)
    }
}
