/// Runs one reader call; a thrown error must be a clean one naming `file`
/// (`expectCleanError`), anything it returns is accepted.
func expectClean(naming file: String, _ body: () throws -> Void) {
    do {
        try body()
    } catch {
        expectCleanError(error, naming: file)
    }
}
