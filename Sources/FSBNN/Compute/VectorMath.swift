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

    /// `(sum(x - shift), sum((x - shift)^2))` in one pass (the shifted-data variance algorithm).
    @inline(__always)
    static func shiftedSums(_ x: UnsafePointer<Float>, _ count: Int, shift: Float) -> (Float, Float) {
        var first = SIMD16<Float>(), second = SIMD16<Float>()
        let k = SIMD16<Float>(repeating: shift)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - k
            first += d
            second += d * d
            i += 16
        }
        var s1 = first.sum(), s2 = second.sum()
        while i < count { let d = x[i] - shift; s1 += d; s2 += d * d; i += 1 }
        return (s1, s2)
    }

    /// `(sum(y), sum(y * (x - center)))` in one pass.
    @inline(__always)
    static func sumAndDotCentered(_ y: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
                                  center: Float) -> (Float, Float) {
        var sums = SIMD16<Float>(), dots = SIMD16<Float>()
        let c = SIMD16<Float>(repeating: center)
        var i = 0
        let rawX = UnsafeRawPointer(x), rawY = UnsafeRawPointer(y)
        while i + 16 <= count {
            let yv = rawY.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            sums += yv
            dots += yv * (rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - c)
            i += 16
        }
        var s = sums.sum(), d = dots.sum()
        while i < count { s += y[i]; d += y[i] * (x[i] - center); i += 1 }
        return (s, d)
    }

    /// `y[i] = x[i] * scale + shift` (multiply then add, two roundings), 16 lanes at a time:
    /// explicit vectors because the compiler cannot prove `x` and `y` do not overlap.
    @inline(__always)
    static func affine(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                       scale: Float, shift: Float) {
        let source = UnsafeRawPointer(x), target = UnsafeMutableRawPointer(y)
        let scales = SIMD16<Float>(repeating: scale), shifts = SIMD16<Float>(repeating: shift)
        var i = 0
        while i + 16 <= count {
            let v = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            target.storeBytes(of: v * scales + shifts, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] = x[i] * scale + shift; i += 1 }
    }

    /// `y[i] = max(x[i] * scale + shift, 0)`: `affine` then the ReLU layer's `max(v, 0)` in
    /// one pass (same bits as the two passes: -0 and negatives become 0, NaN stays NaN).
    static func affineReLU(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int,
                           scale: Float, shift: Float) {
        let source = UnsafeRawPointer(x), target = UnsafeMutableRawPointer(y)
        let scales = SIMD16<Float>(repeating: scale), shifts = SIMD16<Float>(repeating: shift)
        let zero = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let v = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * scales + shifts
            target.storeBytes(of: v.replacing(with: zero, where: v .<= zero), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] = max(x[i] * scale + shift, 0); i += 1 }
    }

    /// Batch-norm input gradient `dx[i] = k * (dy[i] - meanDy - (x[i] - mean) * xhatScale)`
    /// (same operation order as the scalar formula), 16 lanes at a time.
    @inline(__always)
    static func normalizationGradient(dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>, _ count: Int,
                                      k: Float, meanDy: Float, mean: Float, xhatScale: Float) {
        let rawDy = UnsafeRawPointer(dy), rawX = UnsafeRawPointer(x), rawDx = UnsafeMutableRawPointer(dx)
        let kv = SIMD16<Float>(repeating: k), meanDyV = SIMD16<Float>(repeating: meanDy)
        let meanV = SIMD16<Float>(repeating: mean), scaleV = SIMD16<Float>(repeating: xhatScale)
        var i = 0
        while i + 16 <= count {
            let centered = rawX.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - meanV
            let upstream = rawDy.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            rawDx.storeBytes(of: kv * (upstream - meanDyV - centered * scaleV), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let centered = x[i] - mean
            dx[i] = k * (dy[i] - meanDy - centered * xhatScale)
            i += 1
        }
    }
}
