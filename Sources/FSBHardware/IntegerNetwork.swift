import FSBCore

/// A whole network in integer arithmetic only: the reference that the exported C module
/// (`fsb export --format c`) reproduces bit for bit. See `docs/integer-inference.md`.
///
/// Tensors are integers (`Int32` here; `int8_t`/`int16_t`/`int32_t` in C) standing for
/// real values `integer * scale`. Tensor 0 is the image: raw pixel bytes `p` (0...255,
/// CHW); a compute layer reading it sees `x = p - pixelOffsets[c]` (the channel mean in
/// pixel units, rounded), with zero padding; the rest of the dataset normalisation is
/// folded into that layer's weights and bias. The steps run in order:
/// - `compute`: a convolution or linear layer (a linear layer is a 1x1 convolution of a
///   `[F, 1, 1]` input) in one of four integer forms (`Kernel`): int8 multiply-
///   accumulates, sign additions/subtractions with one multiply per output, ternary
///   additions/subtractions (zero weights skipped) with one multiply per output, or the FSB
///   datapath (`FixedPointDatapath`: sign sums per kernel slice, one multiply per slice,
///   optionally shared through a sign codebook). Every partial sum saturates at the
///   accumulator width (counted in `overflows`). The accumulators then go through the
///   epilogue: the class scores as they are, or a per-channel requantisation
///   `v = roundShift(acc * m[o] + b[o], shift[o])` (BatchNorm folded in), plus an optional
///   residual `roundShift(r * m_r, shift_r)`, an optional ReLU and saturation to the
///   activation width.
/// - `maxPool` (exact on integers), `avgPool` (window sum, then `roundShift(sum * m, shift)`),
///   `add` (two tensors requantised to the output scale, summed, optional ReLU, saturated).
/// `roundShift(v, s) = floor((v + 2^(s-1)) / 2^s)` for `s >= 1` (round half up) and `v`
/// for `s = 0`, in 64-bit arithmetic.
public struct IntegerNetwork: Sendable {
    /// Bit widths (signed two's complement, like `QuantizedTensor`).
    public struct Widths: Equatable, Sendable {
        public var activationBits: Int
        public var weightBits: Int
        public var factorBits: Int
        public var accumulatorBits: Int

        public init(activationBits: Int = 8, weightBits: Int = 8, factorBits: Int = 8, accumulatorBits: Int = 32) {
            self.activationBits = activationBits
            self.weightBits = weightBits
            self.factorBits = factorBits
            self.accumulatorBits = accumulatorBits
        }

        /// The datapath widths of the fsb layers.
        public var datapath: FixedPointDatapath.Widths {
            .init(activationBits: activationBits, factorBits: factorBits, accumulatorBits: accumulatorBits)
        }

        /// Why these widths have no integer model here, or nil: operands of 2...16 bits
        /// (stored as 8- or 16-bit integers), accumulators of 2...32 bits.
        public var problem: String? {
            for (name, bits) in [("activations", activationBits), ("weights", weightBits), ("factors", factorBits)]
            where !(2...16).contains(bits) {
                return "\(name) of \(bits) bits (the integer model takes 2...16)"
            }
            if !(2...32).contains(accumulatorBits) { return "accumulators of \(accumulatorBits) bits (the integer model takes 2...32)" }
            return nil
        }
    }

    /// What a tensor holds.
    public enum TensorKind: String, Sendable {
        /// The input image: raw bytes 0...255.
        case pixels
        /// Activations of `activationBits`.
        case activation
        /// The class scores: the last layer's accumulators.
        case scores
    }

    public struct TensorInfo: Sendable {
        public var name: String
        /// `[C, H, W]` or `[F]`.
        public var shape: [Int]
        public var kind: TensorKind
        /// Real value of one LSB (the image: one pixel step, before the folded normalisation).
        public var scale: Double
        public var count: Int { shape.reduce(1, *) }
        /// Channels of a `[C, H, W]` tensor, features of `[F]`.
        public var channels: Int { shape[0] }
        /// Elements per channel.
        public var plane: Int { shape.count == 3 ? shape[1] * shape[2] : 1 }

        public init(name: String, shape: [Int], kind: TensorKind, scale: Double) {
            self.name = name
            self.shape = shape
            self.kind = kind
            self.scale = scale
        }
    }

    /// A fixed-point multiplier `v -> roundShift(v * multiplier + offset, shift)`.
    public struct Rescale: Equatable, Sendable {
        public var multiplier: Int32
        public var shift: Int
        public var offset: Int64

        public init(multiplier: Int32, shift: Int, offset: Int64 = 0) {
            self.multiplier = multiplier
            self.shift = shift
            self.offset = offset
        }

        /// Largest |multiplier| (16-bit signed) and the shift and offset limits; they keep
        /// every product and sum below 2^62 for accumulators of up to 32 bits.
        public static let multiplierLimit: Int32 = 32767
        public static let shiftLimit = 60
        public static let offsetLimit: Int64 = 1 << 60

        /// The nearest multiplier to the real factor `real` with a 15-bit mantissa (|m| in
        /// 2^14...2^15 - 1 when the shift allows), and `offset` (in output units) scaled
        /// alike; nil when `real` needs a multiplier above the limit.
        public static func approximating(_ real: Double, offset: Double = 0) -> Rescale? {
            guard real.isFinite, offset.isFinite else { return nil }
            var shift = 0
            if real != 0 {
                let exponent = Int(abs(real).exponent)
                shift = min(shiftLimit, max(0, 14 - exponent))
            }
            var m = (real * Double(1 << UInt64(shift))).rounded(.toNearestOrAwayFromZero)
            if abs(m) > Double(multiplierLimit), shift > 0 {
                shift -= 1
                m = (real * Double(1 << UInt64(shift))).rounded(.toNearestOrAwayFromZero)
            }
            guard abs(m) <= Double(multiplierLimit) else { return nil }
            let b = (offset * Double(1 << UInt64(shift))).rounded(.toNearestOrAwayFromZero)
            let limit = Double(offsetLimit)
            return Rescale(multiplier: Int32(m), shift: shift, offset: Int64(max(-limit, min(limit, b))))
        }

        /// The real factor this stands for.
        public var real: Double { Double(multiplier) / Double(1 << UInt64(shift)) }

        @inline(__always)
        public func apply(_ value: Int64) -> Int64 {
            IntegerNetwork.roundShift(value &* Int64(multiplier) &+ offset, shift)
        }
    }

    /// `floor((v + 2^(s-1)) / 2^s)`, or `v` for `s = 0`.
    @inline(__always)
    public static func roundShift(_ value: Int64, _ shift: Int) -> Int64 {
        shift == 0 ? value : (value &+ (Int64(1) << Int64(shift - 1))) >> Int64(shift)
    }

    /// The integer form of a compute layer.
    public enum Kernel: Sendable {
        /// `acc = bias + sum W_q * x`, weights `[Co, Ci, kh, kw]` of `weightBits`.
        case multiplyAccumulate(weights: [Int32])
        /// `acc = bias + factor[o] * sum S * x` (bwn, binaryconnect): signs `[Co, Ci, kh, kw]`
        /// (+1/-1), factors `[Co]` of `factorBits`.
        case signs(signs: [Int8], factors: [Int32])
        /// `acc = bias + factor[o] * sum_{t != 0} t * x` (twn): ternary codes `[Co, Ci, kh, kw]`
        /// (+1/0/-1; a zero weight adds nothing and is skipped), factors `[Co]` of
        /// `factorBits`. `perSlice`: factors `[Co, Ci]`, `acc = bias + sum_i factor[o,i] *
        /// sum_k t * x` (a first layer on a multi-channel image, whose folded normalisation
        /// differs per input channel).
        case ternary(codes: [Int8], factors: [Int32], perSlice: Bool)
        /// The FSB datapath: `acc = bias + sum_i A_q[o,i] * (sum_k S x)`; `shared` uses the
        /// sign codebook form (`runFSBShared`).
        case fsb(FixedPointDatapath, shared: Bool)
    }

    /// A residual added in a compute layer's epilogue: tensor `tensor` at `(o, r, c)`, or for
    /// a subsampling shortcut (ResNet option A) the element `(o - channelOffset, r*stride,
    /// c*stride)` of it, 0 outside its channels.
    public struct Residual: Sendable {
        public var tensor: Int
        public var rescale: Rescale
        public var stride: Int
        public var channelOffset: Int

        public init(tensor: Int, rescale: Rescale, stride: Int = 1, channelOffset: Int = 0) {
            self.tensor = tensor
            self.rescale = rescale
            self.stride = stride
            self.channelOffset = channelOffset
        }
    }

    public enum Epilogue: Sendable {
        /// The accumulators are the output (class scores).
        case scores
        /// Per output channel `rescale[o]`, then `residual`, ReLU, saturation.
        case requantize(rescale: [Rescale], residual: Residual?, relu: Bool)
    }

    public struct Compute: Sendable {
        public var name: String
        /// The method it came from (`fp`, `bwn`, `binaryconnect`, `fsb`, `twn`), for reports.
        public var method: String
        public var input: Int
        public var output: Int
        public var kernel: Kernel
        public var outputChannels: Int
        public var inputChannels: Int
        /// `[Ci, H, W]` as the kernel sees its input (a linear layer: `[F, 1, 1]`, whatever the
        /// shape of the tensor it reads, which has as many elements).
        public var inputShape: [Int]
        public var kernelHeight: Int
        public var kernelWidth: Int
        public var stride: Int
        public var padding: Int
        /// `[Co]` quantized to the accumulator LSB.
        public var bias: [Int64]
        public var epilogue: Epilogue
        /// Real value of one accumulator LSB.
        public var accumulatorScale: Double

        public var kernelSize: Int { kernelHeight * kernelWidth }

        public init(name: String, method: String, input: Int, output: Int, kernel: Kernel, outputChannels: Int,
                    inputChannels: Int, inputShape: [Int], kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int, bias: [Int64],
                    epilogue: Epilogue, accumulatorScale: Double) {
            self.name = name
            self.method = method
            self.input = input
            self.output = output
            self.kernel = kernel
            self.outputChannels = outputChannels
            self.inputChannels = inputChannels
            self.inputShape = inputShape
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.stride = stride
            self.padding = padding
            self.bias = bias
            self.epilogue = epilogue
            self.accumulatorScale = accumulatorScale
        }
    }

    public enum Step: Sendable {
        case compute(Compute)
        /// Square window, no padding.
        case maxPool(name: String, input: Int, output: Int, kernel: Int, stride: Int)
        /// Window `kernelHeight x kernelWidth` (global average pooling: the whole plane),
        /// `roundShift(sum * m, shift)`, saturated.
        case avgPool(name: String, input: Int, output: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, rescale: Rescale)
        /// `sat(relu?(a' + b'))` with `a' = rescaleA(a)`, `b' = rescaleB(b)`.
        case add(name: String, inputs: (Int, Int), output: Int, rescales: (Rescale, Rescale), relu: Bool)

        public var output: Int {
            switch self {
            case .compute(let c): return c.output
            case .maxPool(_, _, let output, _, _), .avgPool(_, _, let output, _, _, _, _), .add(_, _, let output, _, _):
                return output
            }
        }

        public var name: String {
            switch self {
            case .compute(let c): return c.name
            case .maxPool(let name, _, _, _, _), .avgPool(let name, _, _, _, _, _, _), .add(let name, _, _, _, _):
                return name
            }
        }

        /// Tensors read.
        public var inputs: [Int] {
            switch self {
            case .compute(let c):
                if case .requantize(_, let residual?, _) = c.epilogue { return [c.input, residual.tensor] }
                return [c.input]
            case .maxPool(_, let input, _, _, _), .avgPool(_, let input, _, _, _, _, _): return [input]
            case .add(_, let inputs, _, _, _): return [inputs.0, inputs.1]
            }
        }
    }

    public var widths: Widths
    public var tensors: [TensorInfo]
    public var steps: [Step]
    /// `round(255 * mean[c])`: subtracted from each pixel of channel `c`.
    public var pixelOffsets: [Int32]
    /// The tensor holding the class scores.
    public var scoresTensor: Int

    public init(widths: Widths, tensors: [TensorInfo], steps: [Step], pixelOffsets: [Int32], scoresTensor: Int) {
        self.widths = widths
        self.tensors = tensors
        self.steps = steps
        self.pixelOffsets = pixelOffsets
        self.scoresTensor = scoresTensor
    }

    public var classCount: Int { tensors[scoresTensor].count }
    public var activationRange: ClosedRange<Int64> {
        QuantizedTensor.minimum(bits: widths.activationBits)...QuantizedTensor.maximum(bits: widths.activationBits)
    }

    // MARK: - Running

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

    // MARK: - Bounds

    /// The largest |x| the kernel of `compute` can see.
    public func inputBound(_ compute: Compute) -> Int64 {
        if tensors[compute.input].kind == .pixels {
            return pixelOffsets.map { max(Int64($0), 255 - Int64($0)) }.max() ?? 255
        }
        return -QuantizedTensor.minimum(bits: widths.activationBits)
    }

    /// The largest |partial sum| the products of `compute` can reach for ANY weights or
    /// factors of their widths, bias excluded: what proves that no partial sum saturates
    /// (with |bias| at most `accumulatorLimit - bound`).
    public func productBound(_ compute: Compute) -> Int64 {
        let x = inputBound(compute)
        let n = Int64(compute.inputChannels * compute.kernelSize)
        switch compute.kernel {
        case .multiplyAccumulate: return n * x * -QuantizedTensor.minimum(bits: widths.weightBits)
        case .signs, .fsb, .ternary: return n * x * -QuantizedTensor.minimum(bits: widths.factorBits)
        }
    }

    /// `2^(accumulatorBits-1) - 1`.
    public var accumulatorLimit: Int64 { QuantizedTensor.maximum(bits: widths.accumulatorBits) }
}

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
