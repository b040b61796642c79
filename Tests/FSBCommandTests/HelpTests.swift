import ArgumentParser
@testable import fsb
import Foundation
import XCTest

/// The `fsb` command line's help screens: they fit an 80-column terminal (the USAGE lines
/// too, which swift-argument-parser does not wrap, hence each command's hand-written
/// `usage`), and each hand-written usage names every option its command defines, so the
/// usage cannot drift from the options.
final class HelpTests: XCTestCase {
    private static let columns = 80

    /// Every subcommand of `fsb`, as the root command registers them.
    private var subcommands: [ParsableCommand.Type] { FSBCommand.configuration.subcommands }

    /// The parts of swift-argument-parser's `--experimental-dump-help` JSON this test reads.
    private struct HelpDump: Decodable {
        struct Command: Decodable { var arguments: [Argument]? }
        struct Argument: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            var kind: String
            var shouldDisplay: Bool
            var names: [Name]?
            var valueName: String?
        }
        var command: Command
    }

    func testSubcommandsAreTheOnesThisTestKnows() {
        XCTAssertEqual(subcommands.map { $0.configuration.commandName ?? "?" },
                       ["train", "eval", "profile", "simulate-hw", "compare", "datasets", "export"])
    }

    func testEveryHelpLineFitsEightyColumns() {
        for command in [FSBCommand.self as ParsableCommand.Type] + subcommands {
            let help = FSBCommand.helpMessage(for: command, columns: Self.columns)
            let name = command.configuration.commandName ?? "fsb"
            XCTAssertTrue(help.contains("USAGE: "), "\(name): no USAGE line")
            for line in help.split(separator: "\n", omittingEmptySubsequences: false) where line.count > Self.columns {
                XCTFail("fsb \(name) --help: \(line.count) columns: \(line)")
            }
        }
    }

    func testEachUsageNamesEveryOptionOfItsCommand() throws {
        for command in subcommands {
            let name = command.configuration.commandName ?? "?"
            guard let usage = command.configuration.usage else {
                XCTFail("fsb \(name): no hand-written usage in its CommandConfiguration")
                continue
            }
            XCTAssertTrue(usage.hasPrefix("fsb \(name) "), "fsb \(name): usage starts \(usage.prefix(20))")
            let dump = try JSONDecoder().decode(HelpDump.self, from: Data(command._dumpHelp().utf8))
            // -h/--help is every command's and needs no mention in a usage.
            let arguments = (dump.command.arguments ?? []).filter { argument in
                argument.shouldDisplay && !(argument.names ?? []).contains { $0.name == "help" }
            }
            XCTAssertFalse(arguments.isEmpty, "fsb \(name): the help dump lists no arguments")
            for argument in arguments {
                if argument.kind == "positional" {
                    let value = "<\(argument.valueName ?? "?")>"
                    XCTAssertTrue(usage.contains(value), "fsb \(name): usage lacks the argument \(value)")
                    continue
                }
                for option in argument.names ?? [] {
                    let spelled = (option.kind == "short" ? "-" : "--") + option.name
                    XCTAssertTrue(Self.usage(usage, names: spelled), "fsb \(name): usage lacks \(spelled)")
                }
            }
        }
    }

    /// Whether `option` occurs in `usage` as a whole word (`--shard` is not in `--shards`).
    private static func usage(_ usage: String, names option: String) -> Bool {
        let pattern = "(^|[^A-Za-z0-9-])" + NSRegularExpression.escapedPattern(for: option) + "($|[^A-Za-z0-9-])"
        return usage.range(of: pattern, options: .regularExpression) != nil
    }

    func testWholeWordMatchTellsAnOptionFromItsPrefix() {
        XCTAssertTrue(Self.usage("fsb compare [--shards N]", names: "--shards"))
        XCTAssertFalse(Self.usage("fsb compare [--shards N]", names: "--shard"))
        XCTAssertTrue(Self.usage("fsb compare [--shard I/N]", names: "--shard"))
        XCTAssertFalse(Self.usage("fsb train [--seed N]", names: "--set"))
    }
}
