#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Set by SIGINT/SIGTERM; the trainer checks it after each step, writes the `last`
/// checkpoint and stops cleanly; a compare grid checks it between cells.
///
/// Installs nest (a compare grid installs once around the trainings of its cells): only
/// the outermost `install` lowers the flag and sets the handlers, only the outermost
/// `uninstall` restores the default ones, so a signal between two cells is not lost.
public enum InterruptFlag {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0
    nonisolated(unsafe) private static var signalNumber: Int32 = 0
    nonisolated(unsafe) private static var depth = 0

    /// Installs the handlers for SIGINT and SIGTERM (outermost call: lowers the flag).
    public static func install() {
        depth += 1
        guard depth == 1 else { return }
        raised = 0
        signal(SIGINT) { number in InterruptFlag.record(number) }
        signal(SIGTERM) { number in InterruptFlag.record(number) }
    }

    /// Restores the default handlers (outermost call only).
    public static func uninstall() {
        depth = max(0, depth - 1)
        guard depth == 0 else { return }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// The number of the signal that raised the flag (SIGINT when raised from code).
    public static var lastSignal: Int32 { signalNumber == 0 ? SIGINT : signalNumber }

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
