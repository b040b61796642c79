import FSBCore

/// A bit-accurate integer model of one FSB convolution (or linear) layer, and of the plain
/// integer convolution with the same quantized weights, so that the two can be compared.
///
/// Layouts: input `[Ci, H, W]`, signs `[Co, Ci, kh, kw]` (+1/-1), factors `[Co, Ci]`, bias
/// `[Co]`, outputs `[Co, Ho, Wo]`. A linear layer is `H = W = kh = kw = 1`.
///
/// FSB path, per output `(o, p)`: `z[o,i,p] = sum_k S[o,i,k] * x_q[i, p+k]` (additions and
/// subtractions only), then `acc = bias_q[o] + sum_i A_q[o,i] * z[o,i,p]`. Plain path:
/// `acc = bias_q[o] + sum_{i,k} W_q[o,i,k] * x_q[i,p+k]` with `W_q = A_q * S`. By
/// distributivity the two are equal integers whenever no intermediate value leaves the
/// accumulator range. Every partial sum (z and acc) is checked against the accumulator
/// width `accumulatorBits`; on overflow it saturates and the event is counted in
/// `Result.overflows` (after a saturation the two paths may differ, since they saturate
/// at different points). The accumulator LSB is `inputScale * factorScale`; bias is
/// quantized to that scale.
public struct FixedPointDatapath: Sendable {
    /// Bit widths of the datapath.
    public struct Widths: Equatable, Sendable {
        public var activationBits: Int
        public var factorBits: Int
        public var accumulatorBits: Int
        public init(activationBits: Int, factorBits: Int, accumulatorBits: Int) {
            self.activationBits = activationBits
            self.factorBits = factorBits
            self.accumulatorBits = accumulatorBits
        }
    }

    /// Accumulators of one run: `[Co, Ho, Wo]` integers with LSB `scale`, and the number of
    /// saturations that happened.
    public struct Result: Equatable, Sendable {
        public var shape: [Int]
        public var accumulators: [Int64]
        public var scale: Float
        public var overflows: Int
    }

    public let outputChannels: Int
    public let inputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    public let widths: Widths
    /// `[Co * Ci * K]` signs, +1/-1.
    public let signs: [Int8]
    /// Quantized factors `A_q`, `[Co, Ci]`.
    public let factors: QuantizedTensor
    /// Real bias `[Co]`, or nil.
    public let bias: [Float]?

    /// Validates shapes and signs and quantizes the factors to `widths.factorBits` (power-of-
    /// two scale unless `factorScale` is given).
    public init(signs: Tensor, factors: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                widths: Widths, factorScale: Float? = nil) throws {
        guard signs.rank == 4 else { throw FSBError("signs: expected shape [Co, Ci, kh, kw], found \(signs.shape)") }
        let (co, ci) = (signs.shape[0], signs.shape[1])
        guard factors.shape == [co, ci] else {
            throw FSBError("factors: expected shape [\(co), \(ci)], found \(factors.shape)")
        }
        if let bias, bias.shape != [co] { throw FSBError("bias: expected shape [\(co)], found \(bias.shape)") }
        guard stride >= 1, padding >= 0 else {
            throw FSBError("stride must be >= 1 and padding >= 0, got stride \(stride), padding \(padding)")
        }
        for (name, bits) in [("activationBits", widths.activationBits), ("factorBits", widths.factorBits),
                             ("accumulatorBits", widths.accumulatorBits)] where !(2...62).contains(bits) {
            throw FSBError("\(name) must be in 2...62, got \(bits)")
        }
        var signValues: [Int8] = []
        signValues.reserveCapacity(signs.count)
        for (index, value) in signs.storage.enumerated() {
            guard value == 1 || value == -1 else {
                throw FSBError("signs[\(index)]: expected +1 or -1, found \(value)")
            }
            signValues.append(value > 0 ? 1 : -1)
        }
        self.outputChannels = co
        self.inputChannels = ci
        self.kernelHeight = signs.shape[2]
        self.kernelWidth = signs.shape[3]
        self.stride = stride
        self.padding = padding
        self.widths = widths
        self.signs = signValues
        self.factors = QuantizedTensor.quantize(factors, bits: widths.factorBits, scale: factorScale)
        self.bias = bias?.storage
    }

    var kernelSize: Int { kernelHeight * kernelWidth }

    /// The integer weights `W_q[o,i,k] = A_q[o,i] * S[o,i,k]`, `[Co, Ci, kh, kw]`.
    public var integerWeights: [Int64] {
        var weights = [Int64](repeating: 0, count: signs.count)
        for slice in 0..<(outputChannels * inputChannels) {
            for k in 0..<kernelSize {
                weights[slice * kernelSize + k] = factors.values[slice] * Int64(signs[slice * kernelSize + k])
            }
        }
        return weights
    }

    /// Quantizes an input `[Ci, H, W]` to the activation width (power-of-two scale unless given).
    public func quantizeInput(_ input: Tensor, scale: Float? = nil) -> QuantizedTensor {
        QuantizedTensor.quantize(input, bits: widths.activationBits, scale: scale)
    }

    /// Geometry of a run on `input`.
    struct Geometry {
        let height: Int, width: Int, outputHeight: Int, outputWidth: Int
    }

    func geometry(_ input: QuantizedTensor) throws -> Geometry {
        guard input.shape.count == 3, input.shape[0] == inputChannels else {
            throw FSBError("input: expected shape [\(inputChannels), H, W], found \(input.shape)")
        }
        let (h, w) = (input.shape[1], input.shape[2])
        guard h + 2 * padding >= kernelHeight, w + 2 * padding >= kernelWidth else {
            throw FSBError("input: \(h)x\(w) with padding \(padding) is smaller than the kernel \(kernelHeight)x\(kernelWidth)")
        }
        return Geometry(height: h, width: w, outputHeight: (h + 2 * padding - kernelHeight) / stride + 1,
                        outputWidth: (w + 2 * padding - kernelWidth) / stride + 1)
    }

    /// Bias quantized to the accumulator LSB `scale` (zeros without bias).
    public func quantizedBias(scale: Float) -> [Int64] {
        guard let bias else { return [Int64](repeating: 0, count: outputChannels) }
        let high = QuantizedTensor.maximum(bits: widths.accumulatorBits)
        let low = QuantizedTensor.minimum(bits: widths.accumulatorBits)
        return bias.map { Int64(max(Double(low), min(Double(high), (Double($0) / Double(scale)).rounded()))) }
    }

    /// A saturating accumulator of `bits`, counting overflows.
    struct Accumulator {
        let low: Int64, high: Int64
        var overflows = 0
        init(bits: Int) {
            low = QuantizedTensor.minimum(bits: bits)
            high = QuantizedTensor.maximum(bits: bits)
        }
        @inline(__always) mutating func add(_ a: Int64, _ b: Int64) -> Int64 {
            let sum = a + b
            if sum > high { overflows += 1; return high }
            if sum < low { overflows += 1; return low }
            return sum
        }
    }

    /// The input value at `(i, row, col)` of the padded input (0 outside).
    @inline(__always)
    func pixel(_ input: QuantizedTensor, _ g: Geometry, _ i: Int, _ row: Int, _ col: Int) -> Int64 {
        if row < 0 || col < 0 || row >= g.height || col >= g.width { return 0 }
        return input.values[(i * g.height + row) * g.width + col]
    }

    /// The kernel taps of output `(outRow, outCol)` inside the input (padding taps add 0,
    /// which never saturates, so they are skipped): rows `kr0..<kr1`, columns `kc0..<kc1`.
    @inline(__always)
    func window(_ g: Geometry, outRow: Int, outCol: Int) -> (row0: Int, col0: Int, kr0: Int, kr1: Int, kc0: Int, kc1: Int) {
        let row0 = outRow * stride - padding, col0 = outCol * stride - padding
        return (row0, col0, max(0, -row0), min(kernelHeight, g.height - row0), max(0, -col0), min(kernelWidth, g.width - col0))
    }

    /// The sign convolution `z = sum_k pattern[k] * x[i, window(p) + k]` with add/sub only,
    /// in kernel order; `x` is the input's values, `pattern` the slice's `K` signs.
    @inline(__always)
    func signConvolution(_ x: UnsafePointer<Int64>, _ g: Geometry, pattern: UnsafePointer<Int8>, channel i: Int,
                         outRow: Int, outCol: Int, accumulator: inout Accumulator) -> Int64 {
        var z: Int64 = 0
        let w = window(g, outRow: outRow, outCol: outCol)
        var kr = w.kr0
        while kr < w.kr1 {
            let row = x + (i * g.height + w.row0 + kr) * g.width + w.col0
            let signs = pattern + kr * kernelWidth
            var kc = w.kc0
            while kc < w.kc1 {
                z = signs[kc] > 0 ? accumulator.add(z, row[kc]) : accumulator.add(z, -row[kc])
                kc += 1
            }
            kr += 1
        }
        return z
    }

    /// The FSB datapath: per `(o, i, p)` a sign convolution, then one multiplication by
    /// `A_q[o, i]`, accumulated over `i`.
    public func runFSB(_ input: QuantizedTensor) throws -> Result {
        try runFSB(input, checkingEveryAddition: false)
    }

    /// `runFSB`; unless `checkingEveryAddition`, runs that cannot saturate skip the checks
    /// (`runFSBUnsaturated`, same integers).
    func runFSB(_ input: QuantizedTensor, checkingEveryAddition: Bool) throws -> Result {
        let g = try geometry(input)
        let scale = input.scale * factors.scale
        let biasQ = quantizedBias(scale: scale)
        if !checkingEveryAddition && cannotSaturate(input, biasQ: biasQ) {
            return runFSBUnsaturated(input, g, biasQ: biasQ, scale: scale)
        }
        var acc = Accumulator(bits: widths.accumulatorBits)
        var out = [Int64](repeating: 0, count: outputChannels * g.outputHeight * g.outputWidth)
        input.values.withUnsafeBufferPointer { xs in
            signs.withUnsafeBufferPointer { ss in
                factors.values.withUnsafeBufferPointer { fs in
                    let x = xs.baseAddress!, s = ss.baseAddress!, f = fs.baseAddress!
                    for o in 0..<outputChannels {
                        for r in 0..<g.outputHeight {
                            for c in 0..<g.outputWidth {
                                var y = biasQ[o]
                                for i in 0..<inputChannels {
                                    let slice = o * inputChannels + i
                                    let z = signConvolution(x, g, pattern: s + slice * kernelSize, channel: i, outRow: r, outCol: c,
                                                            accumulator: &acc)
                                    y = acc.add(y, f[slice] * z)
                                }
                                out[(o * g.outputHeight + r) * g.outputWidth + c] = y
                            }
                        }
                    }
                }
            }
        }
        return Result(shape: [outputChannels, g.outputHeight, g.outputWidth], accumulators: out, scale: scale,
                      overflows: acc.overflows)
    }

    /// The FSB datapath with codebook sharing: the sign convolution of each distinct
    /// pattern is computed once per `(pattern, i, p)` and reused by every output channel
    /// whose slice uses that pattern. Same integers as `runFSB`.
    public func runFSBShared(_ input: QuantizedTensor, codebook: SignCodebook? = nil) throws -> Result {
        let g = try geometry(input)
        let book = codebook ?? SignCodebook(signs: signs, slices: outputChannels * inputChannels, kernelSize: kernelSize)
        guard book.assignment.count == outputChannels * inputChannels,
              book.patterns.allSatisfy({ $0.count == kernelSize }) else {
            throw FSBError("codebook: expected \(outputChannels * inputChannels) slices of \(kernelSize) signs")
        }
        let scale = input.scale * factors.scale
        let biasQ = quantizedBias(scale: scale)
        var acc = Accumulator(bits: widths.accumulatorBits)
        let pixels = g.outputHeight * g.outputWidth
        let patternCount = book.patterns.count
        let patterns = book.patterns.flatMap { $0 }
        // z[(n * Ci + i) * P + p], computed once.
        var z = [Int64](repeating: 0, count: patternCount * inputChannels * pixels)
        input.values.withUnsafeBufferPointer { xs in
            patterns.withUnsafeBufferPointer { ps in
                let x = xs.baseAddress!, pattern = ps.baseAddress!
                for n in 0..<patternCount {
                    for i in 0..<inputChannels {
                        for r in 0..<g.outputHeight {
                            for c in 0..<g.outputWidth {
                                z[(n * inputChannels + i) * pixels + r * g.outputWidth + c] =
                                    signConvolution(x, g, pattern: pattern + n * kernelSize, channel: i, outRow: r, outCol: c,
                                                    accumulator: &acc)
                            }
                        }
                    }
                }
            }
        }
        var out = [Int64](repeating: 0, count: outputChannels * pixels)
        for o in 0..<outputChannels {
            for p in 0..<pixels {
                var y = biasQ[o]
                for i in 0..<inputChannels {
                    let slice = o * inputChannels + i
                    y = acc.add(y, factors.values[slice] * z[(book.assignment[slice] * inputChannels + i) * pixels + p])
                }
                out[o * pixels + p] = y
            }
        }
        return Result(shape: [outputChannels, g.outputHeight, g.outputWidth], accumulators: out, scale: scale,
                      overflows: acc.overflows)
    }

    /// The plain integer convolution with `W_q = A_q * S`: one multiply-accumulate per
    /// weight and pixel.
    public func runPlain(_ input: QuantizedTensor) throws -> Result {
        try runPlain(input, checkingEveryAddition: false)
    }

    /// `runPlain`; unless `checkingEveryAddition`, runs that cannot saturate skip the checks
    /// (`runPlainUnsaturated`, same integers).
    func runPlain(_ input: QuantizedTensor, checkingEveryAddition: Bool) throws -> Result {
        let g = try geometry(input)
        let scale = input.scale * factors.scale
        let biasQ = quantizedBias(scale: scale)
        if !checkingEveryAddition && cannotSaturate(input, biasQ: biasQ) {
            return runPlainUnsaturated(input, g, biasQ: biasQ, scale: scale)
        }
        let weights = integerWeights
        var acc = Accumulator(bits: widths.accumulatorBits)
        var out = [Int64](repeating: 0, count: outputChannels * g.outputHeight * g.outputWidth)
        for o in 0..<outputChannels {
            for r in 0..<g.outputHeight {
                for c in 0..<g.outputWidth {
                    var y = biasQ[o]
                    for i in 0..<inputChannels {
                        var k = (o * inputChannels + i) * kernelSize
                        for kr in 0..<kernelHeight {
                            for kc in 0..<kernelWidth {
                                let x = pixel(input, g, i, r * stride - padding + kr, c * stride - padding + kc)
                                y = acc.add(y, weights[k] * x)
                                k += 1
                            }
                        }
                    }
                    out[(o * g.outputHeight + r) * g.outputWidth + c] = y
                }
            }
        }
        return Result(shape: [outputChannels, g.outputHeight, g.outputWidth], accumulators: out, scale: scale,
                      overflows: acc.overflows)
    }

    /// Requantizes accumulators to `bits` with LSB `outputScale` (round to nearest, ties away
    /// from zero, saturate), e.g. to feed the next layer.
    public static func requantize(_ result: Result, outputScale: Float, bits: Int) -> QuantizedTensor {
        let low = QuantizedTensor.minimum(bits: bits), high = QuantizedTensor.maximum(bits: bits)
        let ratio = Double(result.scale) / Double(outputScale)
        let values = result.accumulators.map { value -> Int64 in
            let scaled = (Double(value) * ratio).rounded(.toNearestOrAwayFromZero)
            return Int64(max(Double(low), min(Double(high), scaled)))
        }
        return QuantizedTensor(shape: result.shape, values: values, scale: outputScale, bits: bits)
    }
}
