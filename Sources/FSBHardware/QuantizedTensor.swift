import FSBCore

/// Integers standing for real values `value = Float(integer) * scale`, with the bit width
/// they must fit (signed two's complement: `-2^(bits-1) ... 2^(bits-1) - 1`).
public struct QuantizedTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Int64]
    public var scale: Float
    public var bits: Int

    public init(shape: [Int], values: [Int64], scale: Float, bits: Int) {
        self.shape = shape
        self.values = values
        self.scale = scale
        self.bits = bits
    }

    /// Largest representable integer, `2^(bits-1) - 1`.
    public static func maximum(bits: Int) -> Int64 { (Int64(1) << Int64(bits - 1)) - 1 }
    /// Smallest representable integer, `-2^(bits-1)`.
    public static func minimum(bits: Int) -> Int64 { -(Int64(1) << Int64(bits - 1)) }

    /// The smallest power of two `s` with `maxAbs / s <= 2^(bits-1) - 1` (1 for all-zero data).
    public static func powerOfTwoScale(maxAbs: Float, bits: Int) -> Float {
        guard maxAbs > 0, maxAbs.isFinite else { return 1 }
        let limit = Float(maximum(bits: bits))
        var scale: Float = 1
        while maxAbs / scale > limit { scale *= 2 }
        while maxAbs / (scale / 2) <= limit { scale /= 2 }
        return scale
    }

    /// Rounds `tensor / scale` to the nearest integer (ties away from zero) and saturates
    /// to `bits`; `scale` defaults to the power-of-two scale of the tensor's largest |value|.
    public static func quantize(_ tensor: Tensor, bits: Int, scale: Float? = nil) -> QuantizedTensor {
        let maxAbs = tensor.storage.reduce(Float(0)) { max($0, abs($1)) }
        let step = scale ?? powerOfTwoScale(maxAbs: maxAbs, bits: bits)
        let low = minimum(bits: bits), high = maximum(bits: bits)
        let values = tensor.storage.map { value -> Int64 in
            let scaled = (Double(value) / Double(step)).rounded(.toNearestOrAwayFromZero)
            if scaled.isNaN { return 0 }
            return Int64(max(Double(low), min(Double(high), scaled)))
        }
        return QuantizedTensor(shape: tensor.shape, values: values, scale: step, bits: bits)
    }

    /// The real values `integer * scale`.
    public func dequantized() -> Tensor {
        Tensor(shape: shape, storage: values.map { Float($0) * scale })
    }
}
