import FSBCore

/// The multiply-accumulate and sign-sum kernels of `IntegerNetwork`, saturating every partial
/// sum at the accumulator width like `FixedPointDatapath`.
struct IntegerConvolution {
    let co: Int, ci: Int, kh: Int, kw: Int, stride: Int, padding: Int
    let h: Int, w: Int, outH: Int, outW: Int
    let bias: [Int64]
    let low: Int64, high: Int64

    init(_ compute: IntegerNetwork.Compute, inputShape: [Int], accumulatorBits: Int) {
        co = compute.outputChannels
        ci = compute.inputChannels
        kh = compute.kernelHeight
        kw = compute.kernelWidth
        stride = compute.stride
        padding = compute.padding
        h = inputShape[1]
        w = inputShape[2]
        outH = (h + 2 * padding - kh) / stride + 1
        outW = (w + 2 * padding - kw) / stride + 1
        bias = compute.bias
        low = QuantizedTensor.minimum(bits: accumulatorBits)
        high = QuantizedTensor.maximum(bits: accumulatorBits)
    }

    @inline(__always)
    func add(_ a: Int64, _ b: Int64, _ overflows: inout Int) -> Int64 {
        let sum = a + b
        if sum > high { overflows += 1; return high }
        if sum < low { overflows += 1; return low }
        return sum
    }

    /// One value per output `[Co, Ho, Wo]`: `value(o, accumulate)`, where `accumulate(start,
    /// term)` adds `term(weightIndex, inputIndex)` for every tap of the output's window that
    /// falls inside the input, in `(i, kr, kc)` order (the order the C module accumulates in),
    /// saturating each partial sum.
    @inline(__always)
    private func mapOutputs(overflows: inout Int,
                            _ value: (_ o: Int, _ accumulate: (Int64, (Int, Int) -> Int64) -> Int64) -> Int64) -> [Int64] {
        var out = [Int64](repeating: 0, count: co * outH * outW)
        let k = kh * kw
        var saturations = 0
        for o in 0..<co {
            for r in 0..<outH {
                for c in 0..<outW {
                    out[(o * outH + r) * outW + c] = value(o) { start, term in
                        var acc = start
                        for i in 0..<ci {
                            let base = (o * ci + i) * k
                            for kr in 0..<kh {
                                let row = r * stride - padding + kr
                                if row < 0 || row >= h { continue }
                                for kc in 0..<kw {
                                    let col = c * stride - padding + kc
                                    if col < 0 || col >= w { continue }
                                    acc = add(acc, term(base + kr * kw + kc, (i * h + row) * w + col), &saturations)
                                }
                            }
                        }
                        return acc
                    }
                }
            }
        }
        overflows += saturations
        return out
    }

    /// `acc[o,p] = bias[o] + sum_{i,kr,kc} W[o,i,kr,kc] * x[i, p + (kr,kc)]`, in that order.
    func multiplyAccumulate(_ x: [Int64], weights: [Int32], overflows: inout Int) -> [Int64] {
        x.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { wt in
                mapOutputs(overflows: &overflows) { o, accumulate in
                    accumulate(bias[o]) { weight, input in Int64(wt[weight]) * x[input] }
                }
            }
        }
    }

    /// `z[o,p] = sum_{i,k} S * x` (add/sub), then `acc = bias[o] + factor[o] * z`.
    func signSum(_ x: [Int64], signs: [Int8], factors: [Int32], overflows: inout Int) -> [Int64] {
        var finalSaturations = 0
        let out = x.withUnsafeBufferPointer { x in
            signs.withUnsafeBufferPointer { s in
                mapOutputs(overflows: &overflows) { o, accumulate in
                    let z = accumulate(0) { weight, input in s[weight] > 0 ? x[input] : -x[input] }
                    return add(bias[o], Int64(factors[o]) * z, &finalSaturations)
                }
            }
        }
        overflows += finalSaturations
        return out
    }

    /// Ternary: `z[o,p] = sum_{i,k} t * x` over the non-zero codes (add/sub, zeros
    /// skipped), then `acc = bias[o] + factor[o] * z`; `perSlice`: `acc = bias[o] +
    /// sum_{i,k} factor[o,i] * t * x` (equal to one multiply per slice after the slice's sign
    /// sum whenever nothing saturates, which the C export proves).
    func ternarySum(_ x: [Int64], codes: [Int8], factors: [Int32], perSlice: Bool, overflows: inout Int) -> [Int64] {
        let k = kh * kw
        var finalSaturations = 0
        let out = x.withUnsafeBufferPointer { x in
            codes.withUnsafeBufferPointer { t in
                mapOutputs(overflows: &overflows) { o, accumulate in
                    if perSlice {
                        return accumulate(bias[o]) { weight, input in
                            t[weight] == 0 ? 0 : Int64(factors[weight / k]) * Int64(t[weight]) * x[input]
                        }
                    }
                    let z = accumulate(0) { weight, input in t[weight] == 0 ? 0 : (t[weight] > 0 ? x[input] : -x[input]) }
                    return add(bias[o], Int64(factors[o]) * z, &finalSaturations)
                }
            }
        }
        overflows += finalSaturations
        return out
    }
}
