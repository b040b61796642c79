#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Set by SIGINT/SIGTERM; the trainer checks it after each step, writes the `last`
/// checkpoint and stops cleanly.
public enum InterruptFlag {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0
    nonisolated(unsafe) private static var signalNumber: Int32 = 0

    /// Installs the handlers for SIGINT and SIGTERM.
    public static func install() {
        raised = 0
        signal(SIGINT) { number in InterruptFlag.record(number) }
        signal(SIGTERM) { number in InterruptFlag.record(number) }
    }

    /// Restores the default handlers.
    public static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private static func record(_ number: Int32) {
        signalNumber = number
        raised = 1
    }

    /// True once a signal arrived.
    public static var isRaised: Bool { raised != 0 }

    /// The signal's name, for the message.
    public static var signalName: String { signalNumber == SIGTERM ? "SIGTERM" : "SIGINT" }

    /// Raises the flag from code (tests use this to interrupt at a chosen step).
    public static func raise() { signalNumber = SIGINT; raised = 1 }

    /// Lowers the flag.
    public static func reset() { raised = 0 }
}
