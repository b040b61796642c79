import ArgumentParser
import Foundation
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
        do {
            if let refusal = EmptyArguments.refusal(for: CommandLine.arguments) { throw ValidationError(refusal) }
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exitReporting(error)
        }
    }

    /// Exits for `error`: a help or version request prints in full (exit 0), an `ExitCode`
    /// exits with its code (the command has said why), and any other error prints as one
    /// line (`Error: ...`; for a bad option, with where its help is rather than the usage).
    private static func exitReporting(_ error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success || error is ExitCode { exit(withError: error) }
        var text = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        if code == .validationFailure {
            let arguments = CommandLine.arguments.dropFirst()
            let subcommand = configuration.subcommands.map { $0._commandName }.first { arguments.first == $0 }
            text += " (see 'fsb\(subcommand.map { " " + $0 } ?? "") --help')"
        }
        FileHandle.standardError.write(Data("Error: \(text)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}
