import CKernels
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Ties a child `fsb train` to the `fsb compare` that started it: the parent puts its pid
/// in `FSB_PARENT_PID`, and the child asks the kernel for SIGTERM when that parent dies
/// (however it dies, `kill -9` included), so a child never trains on after its grid.
public enum ParentDeath {
    /// The environment variable holding the parent's pid.
    public static let environmentKey = "FSB_PARENT_PID"

    /// When `FSB_PARENT_PID` is set: arms SIGTERM on the parent's death and returns false
    /// if that parent is already gone (the caller then stops as if signalled); else true.
    public static func armFromEnvironment() -> Bool {
        guard let text = getenv(environmentKey), let parent = Int32(String(cString: text)) else { return true }
        _ = fsb_set_parent_death_signal(SIGTERM)
        return getppid() == parent
    }
}
