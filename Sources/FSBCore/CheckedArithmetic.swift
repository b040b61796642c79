/// Integer arithmetic on values that come from files or the command line, which must not
/// trap: each operation returns nil instead of overflowing, and `Int(exactly:)`-style
/// conversion from Double refuses NaN, infinities and values outside `Int`.
public enum CheckedArithmetic {
    /// `a * b`, or nil on overflow.
    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : result
    }

    /// `a + b`, or nil on overflow.
    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }

    /// The product of every value (1 for none), or nil on overflow or a negative factor.
    public static func product<S: Sequence>(_ values: S) -> Int? where S.Element == Int {
        var total = 1
        for value in values {
            guard value >= 0, let next = multiply(total, value) else { return nil }
            total = next
        }
        return total
    }

    /// The sum of every value, or nil on overflow.
    public static func sum<S: Sequence>(_ values: S) -> Int? where S.Element == Int {
        var total = 0
        for value in values {
            guard let next = add(total, value) else { return nil }
            total = next
        }
        return total
    }

    /// `value` rounded up to an Int, or nil when it is NaN, infinite or outside `Int`.
    public static func ceilingInt(_ value: Double) -> Int? {
        let rounded = value.rounded(.up)
        guard rounded.isFinite, rounded >= -9.2e18, rounded <= 9.2e18 else { return nil }
        return Int(rounded)
    }
}
