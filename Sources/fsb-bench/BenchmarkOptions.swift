import FSBCore

/// `--name value` pairs of a benchmark subcommand, by name without the dashes.
enum BenchmarkOptions {
    static func parse(_ arguments: [String]) throws -> [String: String] {
        var options: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let key = arguments[index]
            guard key.hasPrefix("--"), index + 1 < arguments.count else { throw FSBError("unexpected argument \(key)") }
            options[String(key.dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        return options
    }
}
