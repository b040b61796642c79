/// The distinct kernel sign patterns of an FSB layer and which one each `(o, i)` slice
/// uses: `patterns[n]` holds `K` signs (+1/-1), `assignment[o * Ci + i]` is a pattern index.
/// Built from any sign tensor by collecting its distinct slices in order of first use, so
/// a layer trained with a sign codebook of `N` patterns gives at most `N` patterns.
public struct SignCodebook: Equatable, Sendable {
    public var patterns: [[Int8]]
    public var assignment: [Int]

    /// Groups the slices of `signs` (`[Co, Ci, K]` flattened, values +1/-1).
    public init(signs: [Int8], slices: Int, kernelSize: Int) {
        var index: [[Int8]: Int] = [:]
        patterns = []
        assignment = []
        assignment.reserveCapacity(slices)
        for slice in 0..<slices {
            let pattern = Array(signs[(slice * kernelSize)..<((slice + 1) * kernelSize)])
            if let existing = index[pattern] {
                assignment.append(existing)
            } else {
                index[pattern] = patterns.count
                assignment.append(patterns.count)
                patterns.append(pattern)
            }
        }
    }
}
