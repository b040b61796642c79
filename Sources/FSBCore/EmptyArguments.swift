/// An empty command-line argument is never a valid value for `fsb`: as a path the file
/// system takes it as the working directory (`simulate-hw --output ""` wrote its tables
/// into `.`), and it is usually an unset shell variable (`--output "$OUT"`). `fsb` refuses
/// one before parsing, naming the option it follows.
public enum EmptyArguments {
    /// The one-line refusal for the first empty argument of `arguments` (`argv`, the program
    /// first), or for an empty `--option=` value; nil when there is none.
    public static func refusal(for arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated().dropFirst() {
            if argument.isEmpty {
                let previous = arguments[index - 1]
                let after = previous.hasPrefix("-") ? " (after \(previous))" : ""
                return "argument \(index)\(after) is empty: expected a value, found an empty string (an unset shell variable?)"
            }
            if argument.hasPrefix("--"), argument.hasSuffix("="), argument.firstIndex(of: "=") == argument.index(before: argument.endIndex) {
                return "the value of \(argument.dropLast()) is empty: expected a value after \"=\", found nothing (an unset shell variable?)"
            }
        }
        return nil
    }
}
