/// The documented range of a number read from a config, the command line, a topology, a
/// hardware config or a checkpoint. Every such number is checked against its range before
/// use; `problem(_:)` gives the "expected" half of the one-line error (`must be in 1...100000`)
/// and callers add where the value came from and what was found.
///
/// Real ranges always exclude NaN and infinities. Bounds may be open or closed.
public struct ValueRange<Bound: Comparable & Sendable>: Sendable {
    public let lower: Bound
    public let upper: Bound
    public let lowerIncluded: Bool
    public let upperIncluded: Bool

    public init(_ lower: Bound, _ upper: Bound, lowerIncluded: Bool = true, upperIncluded: Bool = true) {
        self.lower = lower
        self.upper = upper
        self.lowerIncluded = lowerIncluded
        self.upperIncluded = upperIncluded
    }

    public init(_ range: ClosedRange<Bound>) { self.init(range.lowerBound, range.upperBound) }

    /// True when `value` lies in the range.
    public func contains(_ value: Bound) -> Bool {
        let aboveLower = lowerIncluded ? value >= lower : value > lower
        let belowUpper = upperIncluded ? value <= upper : value < upper
        return aboveLower && belowUpper
    }

    /// The range written as in the docs: `1...100000` for a closed integer range,
    /// `(0, 1000]` for a real one.
    public var text: String {
        if lowerIncluded && upperIncluded, Bound.self == Int.self || Bound.self == UInt64.self {
            return "\(lower)...\(upper)"
        }
        return "\(lowerIncluded ? "[" : "(")\(render(lower)), \(render(upper))\(upperIncluded ? "]" : ")")"
    }

    private func render(_ bound: Bound) -> String {
        if let number = bound as? Double, number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
        return "\(bound)"
    }

    /// nil when `value` is in range, else `must be in <range>`.
    public func problem(_ value: Bound) -> String? {
        if let number = value as? Double, !number.isFinite { return "must be a finite number in \(text)" }
        return contains(value) ? nil : "must be in \(text)"
    }

    /// `problem` as a closure, for the strict decoder's `check:` parameters.
    public var check: @Sendable (Bound) -> String? {
        let range = self
        return { range.problem($0) }
    }
}
