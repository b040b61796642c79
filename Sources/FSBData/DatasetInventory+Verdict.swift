import FSBCore

extension DatasetInventory {
    /// The error `fsb datasets` exits with, or nil: no dataset found at all, or a dataset
    /// with problems (one that is merely absent counts only when it was asked for by name).
    public static func verdict(_ inventories: [DatasetInventory], askedByName: Bool,
                               root: (path: String, origin: String)) -> FSBError? {
        if !inventories.contains(where: { $0.lookupError == nil }) {
            return FSBError("no dataset found under \(root.path) (\(root.origin)); give --data-root DIR (e.g. datasets/samples) or set $\(DataLocation.environmentVariable)")
        }
        let failed = inventories.filter { $0.hasProblems && ($0.lookupError == nil || askedByName) }.map(\.name.rawValue)
        return failed.isEmpty ? nil : FSBError("problems found in \(failed.joined(separator: ", ")) (see above)")
    }
}
