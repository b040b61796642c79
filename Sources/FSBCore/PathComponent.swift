/// Names that become exactly one folder name (a run `name`, a compare spec `name`): not
/// empty, not `.` or `..`, no `/` and no NUL, at most 255 bytes, so that `runs/<name>`
/// can never point outside `runs/`.
public enum PathComponent {
    /// nil when `name` is a single path component, else what is wrong with it.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name == "." || name == ".." || name.contains("/") || name.contains("\u{0}") || name.utf8.count > 255 {
            return "must be a single folder name (no \"/\", not \".\" or \"..\", at most 255 bytes)"
        }
        return nil
    }
}
