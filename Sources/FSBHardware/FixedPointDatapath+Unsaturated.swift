/// The same datapaths as `runFSB` and `runPlain` for runs in which no partial sum can leave
/// the accumulator range, without the per-addition saturation checks: then every check is a
/// no-op and integer addition is associative, so the loops may run in any order and give the
/// same integers (and 0 overflows). The FSB path keeps its structure (a sign convolution of
/// additions and subtractions per `(o, i)`, then one multiplication by `A_q[o, i]`), only
/// vectorised along the output rows. `FixedPointDatapathTests` compares both forms.
extension FixedPointDatapath {
    /// Whether no partial sum of a run on `input` can leave the accumulator range. A partial
    /// sum of z is a sum of at most K terms `±x_q`, one of acc a bias plus some of the terms
    /// `A_q[o, i] * z[o, i, p]` (or, plain, `W_q * x_q` with `|W_q| = |A_q|`), so both are
    /// bounded by `max(K m, max_o (|bias_q[o]| + sum_i |A_q[o, i]| K m))`, m = max |x_q|;
    /// computed with overflow checks (an overflow counts as "may saturate").
    func cannotSaturate(_ input: QuantizedTensor, biasQ: [Int64]) -> Bool {
        let high = QuantizedTensor.maximum(bits: widths.accumulatorBits)
        let low = QuantizedTensor.minimum(bits: widths.accumulatorBits)
        var largestInput: Int64 = 0
        for value in input.values {
            guard value != .min else { return false }
            largestInput = max(largestInput, abs(value))
        }
        let (tapSum, tapOverflow) = largestInput.multipliedReportingOverflow(by: Int64(kernelSize))
        guard !tapOverflow, tapSum <= high, -tapSum >= low else { return false }
        for o in 0..<outputChannels {
            guard biasQ[o] != .min else { return false }
            var bound = abs(biasQ[o])
            for i in 0..<inputChannels {
                let factor = factors.values[o * inputChannels + i]
                guard factor != .min else { return false }
                let (term, termOverflow) = abs(factor).multipliedReportingOverflow(by: tapSum)
                let (sum, sumOverflow) = bound.addingReportingOverflow(term)
                guard !termOverflow, !sumOverflow else { return false }
                bound = sum
            }
            guard bound <= high, -bound >= low else { return false }
        }
        return true
    }

    /// `runFSB` without saturation checks (only when `cannotSaturate`).
    func runFSBUnsaturated(_ input: QuantizedTensor, _ g: Geometry, biasQ: [Int64], scale: Float) -> Result {
        let pixels = g.outputHeight * g.outputWidth
        var out = [Int64](repeating: 0, count: outputChannels * pixels)
        var z = [Int64](repeating: 0, count: pixels)
        input.values.withUnsafeBufferPointer { xs in
            signs.withUnsafeBufferPointer { ss in
                out.withUnsafeMutableBufferPointer { ys in
                    z.withUnsafeMutableBufferPointer { zs in
                        let x = xs.baseAddress!, s = ss.baseAddress!, z = zs.baseAddress!
                        for o in 0..<outputChannels {
                            let y = ys.baseAddress! + o * pixels
                            y.update(repeating: biasQ[o], count: pixels)
                            for i in 0..<inputChannels {
                                let slice = o * inputChannels + i
                                z.update(repeating: 0, count: pixels)
                                let plane = x + i * g.height * g.width
                                for tap in 0..<kernelSize {
                                    if s[slice * kernelSize + tap] > 0 {
                                        accumulate(tap: tap, of: plane, g, into: z) { $0 &+ $1 }
                                    } else {
                                        accumulate(tap: tap, of: plane, g, into: z) { $0 &- $1 }
                                    }
                                }
                                let factor = factors.values[slice]
                                for p in 0..<pixels { y[p] = y[p] &+ factor &* z[p] }
                            }
                        }
                    }
                }
            }
        }
        return Result(shape: [outputChannels, g.outputHeight, g.outputWidth], accumulators: out, scale: scale,
                      overflows: 0)
    }

    /// `runPlain` without saturation checks (only when `cannotSaturate`).
    func runPlainUnsaturated(_ input: QuantizedTensor, _ g: Geometry, biasQ: [Int64], scale: Float) -> Result {
        let pixels = g.outputHeight * g.outputWidth
        let weights = integerWeights
        var out = [Int64](repeating: 0, count: outputChannels * pixels)
        input.values.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { ys in
                let x = xs.baseAddress!
                for o in 0..<outputChannels {
                    let y = ys.baseAddress! + o * pixels
                    y.update(repeating: biasQ[o], count: pixels)
                    for i in 0..<inputChannels {
                        let plane = x + i * g.height * g.width
                        for tap in 0..<kernelSize {
                            let weight = weights[(o * inputChannels + i) * kernelSize + tap]
                            accumulate(tap: tap, of: plane, g, into: y) { $0 &+ weight &* $1 }
                        }
                    }
                }
            }
        }
        return Result(shape: [outputChannels, g.outputHeight, g.outputWidth], accumulators: out, scale: scale,
                      overflows: 0)
    }

    /// `sums[p] = combine(sums[p], x[i, window(p) + tap])` for every output pixel p whose tap
    /// lies inside the input (padding taps add 0 and are skipped, as in the checked paths).
    @inline(__always)
    private func accumulate(tap: Int, of plane: UnsafePointer<Int64>, _ g: Geometry, into sums: UnsafeMutablePointer<Int64>,
                            _ combine: (Int64, Int64) -> Int64) {
        let kr = tap / kernelWidth, kc = tap % kernelWidth
        // Output columns whose input column c * stride - padding + kc lies in [0, width).
        let span = g.width - 1 + padding - kc
        guard span >= 0 else { return }
        let firstColumn = max(0, (padding - kc + stride - 1) / stride)
        let lastColumn = min(g.outputWidth, span / stride + 1)
        guard firstColumn < lastColumn else { return }
        for r in 0..<g.outputHeight {
            let inputRow = r * stride - padding + kr
            guard inputRow >= 0, inputRow < g.height else { continue }
            let source = plane + inputRow * g.width - padding + kc
            let row = sums + r * g.outputWidth
            if stride == 1 {
                for c in firstColumn..<lastColumn { row[c] = combine(row[c], source[c]) }
            } else {
                for c in firstColumn..<lastColumn { row[c] = combine(row[c], source[c * stride]) }
            }
        }
    }
}
