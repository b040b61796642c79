/// Small vectorised reductions over contiguous floats (16 lanes, fixed order, so results
/// are deterministic), used by the per-channel loops of BatchNorm and pooling.
enum VectorMath {
    /// `sum(x[0..<count])`.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var total = lanes.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// `sum((x - center)^2)`.
    @inline(__always)
    static func sumSquaredDeviation(_ x: UnsafePointer<Float>, _ count: Int, center: Float) -> Float {
        var lanes = SIMD16<Float>()
        let c = SIMD16<Float>(repeating: center)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - c
            lanes += d * d
            i += 16
        }
        var total = lanes.sum()
        while i < count { let d = x[i] - center; total += d * d; i += 1 }
        return total
    }

    /// `sum(y * (x - center))`.
    @inline(__always)
    static func dotCentered(_ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, center: Float) -> Float {
        var lanes = SIMD16<Float>()
        let c = SIMD16<Float>(repeating: center)
        var i = 0
        let rawX = UnsafeRawPointer(x), rawY = UnsafeRawPointer(y)
        while i + 16 <= count {
            let d = rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - c
            lanes += d * rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var total = lanes.sum()
        while i < count { total += y[i] * (x[i] - center); i += 1 }
        return total
    }
}
