import FSBCore

/// The one promise every reader makes about bad input: what it throws is a
/// `UserFacingError` whose message is one line and names the file it read. Anything else
/// (another error type, a multi-line message, a message without the file) aborts.
func expectCleanError(_ error: Error, naming file: String) {
    guard let problem = error as? UserFacingError else {
        fuzzFailure("threw \(type(of: error)), not a UserFacingError: \(error)")
    }
    let message = problem.description
    if message.contains(where: { $0 == "\n" || $0 == "\r" }) {
        fuzzFailure("the message is not one line: \(message.debugDescription)")
    }
    if !message.contains(file) {
        fuzzFailure("the message does not name \(file): \(message.debugDescription)")
    }
}
