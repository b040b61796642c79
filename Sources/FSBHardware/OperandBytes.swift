/// Bytes moved per operand role. `weight` holds weights (mac) or scaling factors (bwn,
/// fsb); `sign` the 1-bit signs (and codebook indices); `partialSum` partial sums split
/// over row folds; `state` gradients, latent weights and optimizer state (train mode).
public struct OperandBytes: Equatable, Sendable {
    public var input = 0
    public var weight = 0
    public var sign = 0
    public var partialSum = 0
    public var output = 0
    public var state = 0

    public init(input: Int = 0, weight: Int = 0, sign: Int = 0, partialSum: Int = 0, output: Int = 0, state: Int = 0) {
        self.input = input
        self.weight = weight
        self.sign = sign
        self.partialSum = partialSum
        self.output = output
        self.state = state
    }

    /// Sum over all roles.
    public var total: Int { input + weight + sign + partialSum + output + state }

    public static func + (lhs: OperandBytes, rhs: OperandBytes) -> OperandBytes {
        OperandBytes(input: lhs.input + rhs.input, weight: lhs.weight + rhs.weight, sign: lhs.sign + rhs.sign,
                     partialSum: lhs.partialSum + rhs.partialSum, output: lhs.output + rhs.output,
                     state: lhs.state + rhs.state)
    }

    public static func * (lhs: OperandBytes, count: Int) -> OperandBytes {
        OperandBytes(input: lhs.input * count, weight: lhs.weight * count, sign: lhs.sign * count,
                     partialSum: lhs.partialSum * count, output: lhs.output * count, state: lhs.state * count)
    }
}

/// Bytes of `elements` values of `bits` each, rounded up to whole bytes.
@inline(__always)
func byteCount(_ elements: Int, bits: Int) -> Int { (elements * bits + 7) / 8 }
