import FSBCore

/// The checks on the `fsb compare --emit slurm` options that go into `#SBATCH` lines: each
/// must be one value in sbatch's own syntax, so that nothing else (another line, another
/// directive) can reach the script.
public enum SlurmOptions {
    /// The range of `--cpus-per-task`.
    public static let cpusPerTaskRange = ValueRange(1...4096)

    /// Whether `text` is a time limit in one of sbatch's forms: `M`, `M:S`, `H:M:S`, `D-H`,
    /// `D-H:M`, `D-H:M:S` (each part 1 to 6 digits), or `UNLIMITED`/`INFINITE`.
    public static func isTimeLimit(_ text: String) -> Bool {
        if ["UNLIMITED", "INFINITE"].contains(text.uppercased()) { return true }
        let dayAndRest = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(dayAndRest.count), let rest = dayAndRest.last else { return false }
        if dayAndRest.count == 2 && !isNumber(dayAndRest[0]) { return false }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        return (1...3).contains(parts.count) && parts.allSatisfy { isNumber($0) }
    }

    /// Whether `text` is a memory size: 1 to 12 digits with an optional unit K, M, G or T.
    public static func isMemory(_ text: String) -> Bool {
        var digits = Substring(text)
        if let unit = digits.last, "KMGTkmgt".contains(unit) { digits = digits.dropLast() }
        return isNumber(digits, maxDigits: 12)
    }

    /// Throws, naming the option, when one of the values is out of its range or syntax.
    public static func check(cpusPerTask: Int?, time: String?, memory: String?) throws {
        if let cpusPerTask, let problem = cpusPerTaskRange.problem(cpusPerTask) {
            throw FSBError("--cpus-per-task \(problem), got \(cpusPerTask)")
        }
        if let time, !isTimeLimit(time) {
            throw FSBError("--time: expected a time limit as sbatch takes it (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S or UNLIMITED), got \(time.debugDescription)")
        }
        if let memory, !isMemory(memory) {
            throw FSBError("--mem: expected a size as sbatch takes it (digits with an optional K, M, G or T), got \(memory.debugDescription)")
        }
    }

    /// Whether `part` is 1 to `maxDigits` ASCII digits.
    private static func isNumber(_ part: Substring, maxDigits: Int = 6) -> Bool {
        (1...maxDigits).contains(part.count) && part.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
