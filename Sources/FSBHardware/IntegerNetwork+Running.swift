import FSBCore

// Running an `IntegerNetwork` on one image: step by step, every partial sum saturating at
// the accumulator width.
extension IntegerNetwork {
    /// The values of every tensor while running one image.
    public struct State {
        public var values: [[Int32]?]
        public var overflows = 0
    }

    /// Runs one image of raw bytes (`C*H*W`, CHW); returns the scores and the number of
    /// accumulator saturations.
    public func classify(_ pixels: [UInt8]) throws -> (scores: [Int32], predicted: Int, overflows: Int) {
        var state = try start(pixels)
        for index in steps.indices { try run(step: index, &state) }
        let scores = state.values[scoresTensor] ?? []
        return (scores, Self.predictedClass(scores), state.overflows)
    }

    /// The first index of the largest score.
    public static func predictedClass(_ scores: [Int32]) -> Int {
        var best = 0
        for c in scores.indices where scores[c] > scores[best] { best = c }
        return best
    }

    public func start(_ pixels: [UInt8]) throws -> State {
        guard pixels.count == tensors[0].count else {
            throw FSBError("image: expected \(tensors[0].count) bytes (\(tensors[0].shape)), found \(pixels.count)")
        }
        var values = [[Int32]?](repeating: nil, count: tensors.count)
        values[0] = pixels.map { Int32($0) }
        return State(values: values)
    }

    /// Runs step `index`, storing its output in `state`.
    public func run(step index: Int, _ state: inout State) throws {
        switch steps[index] {
        case .compute(let compute):
            let acc = try accumulate(compute, state: &state)
            state.values[compute.output] = finish(compute, accumulators: acc, state: state)
        case .maxPool(_, let input, let output, let kernel, let stride):
            state.values[output] = pool(input: input, kernelHeight: kernel, kernelWidth: kernel,
                                        stride: stride, state: state, maximum: true).map { Int32($0) }
        case .avgPool(_, let input, let output, let kh, let kw, let stride, let rescale):
            let sums = pool(input: input, kernelHeight: kh, kernelWidth: kw, stride: stride, state: state,
                            maximum: false)
            state.values[output] = sums.map { saturate(rescale.apply($0)) }
        case .add(_, let inputs, let output, let rescales, let relu):
            let a = state.values[inputs.0]!, b = state.values[inputs.1]!
            state.values[output] = (0..<a.count).map { j in
                var v = rescales.0.apply(Int64(a[j])) + rescales.1.apply(Int64(b[j]))
                if relu { v = max(v, 0) }
                return saturate(v)
            }
        }
    }

    @inline(__always)
    func saturate(_ value: Int64) -> Int32 {
        Int32(min(max(value, activationRange.lowerBound), activationRange.upperBound))
    }

    /// The input of `compute` as the integers its kernel sees (`x = p - offset` for pixels).
    func kernelInput(_ compute: Compute, state: State) -> [Int64] {
        let info = tensors[compute.input]
        let values = state.values[compute.input]!
        guard info.kind == .pixels else { return values.map { Int64($0) } }
        let plane = info.plane
        return values.enumerated().map { Int64($1) - Int64(pixelOffsets[$0 / plane]) }
    }

    /// The accumulators `[Co, Ho, Wo]` of `compute` (saturating at the accumulator width).
    public func accumulate(_ compute: Compute, state: inout State) throws -> [Int64] {
        let x = kernelInput(compute, state: state)
        let shape = compute.inputShape
        let bits = tensors[compute.input].kind == .pixels ? 9 : widths.activationBits
        switch compute.kernel {
        case .fsb(let datapath, let shared):
            let input = QuantizedTensor(shape: shape, values: x, scale: Float(tensors[compute.input].scale), bits: bits)
            let result = shared ? try datapath.runFSBShared(input) : try datapath.runFSB(input)
            state.overflows += result.overflows
            return result.accumulators
        case .multiplyAccumulate(let weights):
            return IntegerConvolution(compute, inputShape: shape, accumulatorBits: widths.accumulatorBits)
                .multiplyAccumulate(x, weights: weights, overflows: &state.overflows)
        case .signs(let signs, let factors):
            return IntegerConvolution(compute, inputShape: shape, accumulatorBits: widths.accumulatorBits)
                .signSum(x, signs: signs, factors: factors, overflows: &state.overflows)
        case .ternary(let codes, let factors, let perSlice):
            return IntegerConvolution(compute, inputShape: shape, accumulatorBits: widths.accumulatorBits)
                .ternarySum(x, codes: codes, factors: factors, perSlice: perSlice, overflows: &state.overflows)
        }
    }

    /// Applies the epilogue of `compute` to its accumulators.
    public func finish(_ compute: Compute, accumulators acc: [Int64], state: State) -> [Int32] {
        switch compute.epilogue {
        case .scores:
            return acc.map { Int32(truncatingIfNeeded: $0) }
        case .requantize(let rescale, let residual, let relu):
            let co = compute.outputChannels
            let plane = acc.count / co
            let residuals = residual.map { residualValues($0, compute: compute, state: state) }
            var out = [Int32](repeating: 0, count: acc.count)
            for o in 0..<co {
                let r = rescale[o]
                for p in 0..<plane {
                    var v = r.apply(acc[o * plane + p])
                    if let residual, let residuals { v += residual.rescale.apply(residuals[o * plane + p]) }
                    if relu { v = max(v, 0) }
                    out[o * plane + p] = saturate(v)
                }
            }
            return out
        }
    }

    /// The residual integers `compute`'s epilogue adds (before their rescale), one per output
    /// element: the tensor's element, subsampled and channel-shifted, 0 outside its channels.
    public func residualValues(_ residual: Residual, compute: Compute, state: State) -> [Int64] {
        let outShape = tensors[compute.output].shape
        let (outH, outW) = outShape.count == 3 ? (outShape[1], outShape[2]) : (1, 1)
        let plane = outH * outW
        let values = state.values[residual.tensor]!
        let resShape = tensors[residual.tensor].shape
        var out = [Int64](repeating: 0, count: compute.outputChannels * plane)
        for o in 0..<compute.outputChannels {
            let channel = o - residual.channelOffset
            guard channel >= 0 && channel < resShape[0] else { continue }
            for p in 0..<plane {
                let index: Int
                if resShape.count == 3 {
                    index = (channel * resShape[1] + p / outW * residual.stride) * resShape[2] + p % outW * residual.stride
                } else {
                    index = channel
                }
                out[o * plane + p] = Int64(values[index])
            }
        }
        return out
    }

    public func pool(input: Int, kernelHeight kh: Int, kernelWidth kw: Int, stride: Int, state: State,
              maximum: Bool) -> [Int64] {
        let shape = tensors[input].shape
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let outH = (h - kh) / stride + 1, outW = (w - kw) / stride + 1
        let x = state.values[input]!
        var out = [Int64](repeating: 0, count: c * outH * outW)
        for ch in 0..<c {
            for r in 0..<outH {
                for col in 0..<outW {
                    var v: Int64 = maximum ? Int64.min : 0
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let value = Int64(x[(ch * h + r * stride + i) * w + col * stride + j])
                            v = maximum ? max(v, value) : v + value
                        }
                    }
                    out[(ch * outH + r) * outW + col] = v
                }
            }
        }
        return out
    }
}
