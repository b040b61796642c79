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

    /// One tensor of the network: name, shape, kind and the real value of one integer.
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

    /// What happens to a compute layer's accumulators.
    public enum Epilogue: Sendable {
        /// The accumulators are the output (class scores).
        case scores
        /// Per output channel `rescale[o]`, then `residual`, ReLU, saturation.
        case requantize(rescale: [Rescale], residual: Residual?, relu: Bool)
    }

    /// A convolution or linear layer in integer form: tensors read and written, kernel,
    /// geometry, bias and epilogue.
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

    /// One step of the network, run in order.
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
