import CKernels
import FSBCore

/// The fixed-sign fast inference path of one FSB convolution with `kernel` granularity
/// (FSB paper, IEEE Access 2020; `docs/fsb-method.md`, "Why fixed signs help the hardware").
///
/// With `kernel` granularity `y[o, p] = sum_i A[o, i] * sum_k S[o, i, k] * x[i, p + k]`. When
/// the kernel slices `S[o, i, :]` take only `N` distinct sign patterns `P_c` (a sign codebook
/// of `N`, or whatever patterns a layer holds), the layer computes
/// 1. the sign convolutions, with additions and subtractions only
///    (`fsb_sign_conv_batched`): `Z[c*Ci + i, b*P + p] = sum_k P_c[k] * x[b, i, p + k]`,
///    `Z` is `[N*Ci, batch*P]`;
/// 2. the contraction `Y[Co, batch*P] = A'[Co, N*Ci] x Z`, written straight into NCHW
///    `[batch, Co, outH, outW]`, plus the bias, where
///    `A'[o, code(o, i)*Ci + i] = orientation(o, i) * A[o, i]` and every other entry is 0.
///    `Contraction.denseGEMM` runs it as one dense GEMM (inner dimension `N*Ci` instead of the
///    plain path's `Ci*K`: it pays off only when `N` is well below `K`);
///    `Contraction.gather` multiplies only the `Co*Ci` nonzero entries of `A'`
///    (`fsb_sign_gather`: `Co*Ci*P` multiply-adds per image whatever `N`, `K` times fewer than
///    the plain path). `fsb-bench signconv` measures both against the plain path; by
///    default a plan uses the dense GEMM for `N <= denseGEMMPatternLimit` (4) patterns, where
///    it measured about as fast as the gather or faster, and the gather above.
///
/// With `mergesNegatedPatterns` a pattern and its negation count as one pattern (stored with
/// a first entry of +1) and the slice's `-1` is folded into `A'` (`orientation = -1`); by
/// default they are merged for `alphaSign = free` only, the setting where a negative factor
/// already flips a whole slice.
///
/// Stride, padding and kernel size are the layer's (square kernel, symmetric zero padding),
/// and batches are processed in chunks of images that keep `Z` within the layer's
/// `ScratchWorkspace.columnBudget`, as in `Conv2D`.
///
/// A plan is derived once, when it is made, from the layer's current signs and factors.
/// Before each `forward` it checks (a buffer-identity comparison when nothing changed) that
/// the layer's signs and factors are still the ones it was derived from and re-derives the
/// patterns or `A'` when they are not, so an installed plan never runs on stale values; the
/// bias is read at each call. Inference only: it caches nothing for a backward pass.
public final class SignConvolutionPlan {
    /// How the second stage multiplies the factors with the sign sums.
    public enum Contraction: String, CaseIterable, Sendable {
        /// One dense GEMM `A'[Co, N*Ci] x Z` with the existing GEMM kernel.
        case denseGEMM = "dense-gemm"
        /// Only the nonzero entries of `A'`: `y[o] = sum_i A'[o, code(o, i)*Ci + i] * Z[code(o, i)*Ci + i]`.
        case gather
    }

    public let layerName: String
    /// The layer's convolution (input channels, kernel, stride, padding) over no images yet:
    /// each forward sets its batch and image size (`ConvolutionGeometry.over`).
    let layerGeometry: ConvolutionGeometry
    public var inputChannels: Int { layerGeometry.channels }
    public let outputChannels: Int
    /// Whether a pattern and its negation were merged into one pattern.
    public let mergesNegatedPatterns: Bool
    /// `[N, kh*kw]` of +1/-1: the distinct patterns, in order of first appearance over the
    /// slices `(o, i)` in row-major order (with merging, every pattern starts with +1).
    public private(set) var patterns: Tensor
    /// `[Co*Ci]`: the pattern index of slice `(o, i)` at `o*Ci + i`.
    public private(set) var sliceCodes: [Int]
    /// `[Co*Ci]` of +1/-1: slice `(o, i)` has the signs `sliceOrientations[o*Ci + i] * patterns[code]`
    /// (always +1 without merging).
    public private(set) var sliceOrientations: [Float]
    /// `A'`, `[Co, N*Ci]`: the factors placed by pattern, the dense GEMM's left operand.
    public private(set) var combinedFactors: Tensor
    /// `[Co*Ci]`: `orientation(o, i) * A[o, i]`, the nonzero entries of `A'` row by row.
    public private(set) var signedFactors: [Float]
    /// `[Co*Ci]`: the row of `Z` (column of `A'`) of slice `(o, i)`, `code(o, i)*Ci + i`.
    public private(set) var gatherRows: [Int]
    /// The second stage's algorithm; may be changed at any time.
    public var contraction: Contraction

    /// Up to this many patterns the default contraction is `.denseGEMM`, above it `.gather`
    /// (from `fsb-bench signconv`: with 2-4 patterns the dense GEMM ran about as fast as the
    /// gather or faster at batch 128, and from 6 patterns on the gather was faster).
    public static let denseGEMMPatternLimit = 4

    private let weight: FSBWeight
    private let scale: Parameter
    private let bias: Parameter?
    private let workspace: ScratchWorkspace
    /// The signs and factors the patterns and `A'` were derived from.
    private var derivedSigns: Tensor
    private var derivedFactors: Tensor

    /// Number of distinct patterns `N`.
    public var patternCount: Int { patterns.shape[0] }

    /// True when `convolution` can use the sign path: an fsb weight with `kernel` granularity.
    public static func supports(_ convolution: Conv2D) -> Bool {
        (convolution.weight as? FSBWeight)?.options.granularity == .kernel
    }

    /// Derives the plan of `convolution` from its current signs and factors.
    /// - Parameter mergesNegatedPatterns: merge a pattern with its negation; nil means
    ///   "when the layer's `alphaSign` is `free`".
    /// - Parameter contraction: the second stage's algorithm (see `Contraction`); nil means
    ///   `.denseGEMM` for at most `denseGEMMPatternLimit` patterns, else `.gather`.
    /// - Throws: `FSBError` naming the layer when it is not an fsb layer with `kernel` granularity.
    public init(convolution: Conv2D, mergesNegatedPatterns: Bool? = nil, contraction: Contraction? = nil) throws {
        guard let weight = convolution.weight as? FSBWeight, weight.options.granularity == .kernel else {
            let found = convolution.weight.fsbOptions.map { "fsb with \($0.granularity.rawValue) granularity" }
                ?? convolution.weight.method.name
            throw FSBError("layer '\(convolution.name)': the sign path needs an fsb weight with kernel granularity, found \(found)")
        }
        layerName = convolution.name
        layerGeometry = convolution.geometry(batch: 0, height: 0, width: 0)
        outputChannels = convolution.outputChannels
        let options = weight.options, scale = weight.factors, signs = weight.fixedSigns
        self.mergesNegatedPatterns = mergesNegatedPatterns ?? (options.alphaSign == .free)
        self.contraction = .gather
        self.weight = weight
        self.scale = scale
        bias = convolution.bias
        workspace = convolution.workspace
        derivedSigns = signs
        derivedFactors = scale.value
        (patterns, sliceCodes, sliceOrientations) = SignConvolutionPlan.distinctPatterns(
            signs: signs, kernelArea: convolution.kernelHeight * convolution.kernelWidth,
            mergesNegatedPatterns: self.mergesNegatedPatterns)
        combinedFactors = Tensor(shape: [0])
        signedFactors = []
        gatherRows = []
        placeFactors(scale.value)
        self.contraction = contraction ?? (patterns.shape[0] <= SignConvolutionPlan.denseGEMMPatternLimit ? .denseGEMM : .gather)
    }

    /// The distinct patterns of `signs` (`[slices, kernelArea]` in row-major order), each
    /// slice's pattern index and orientation (see the properties of the same names).
    static func distinctPatterns(signs: Tensor, kernelArea: Int, mergesNegatedPatterns: Bool)
        -> (patterns: Tensor, codes: [Int], orientations: [Float]) {
        let slices = signs.count / kernelArea
        var codeOfPattern: [[Bool]: Int] = [:]
        var patternSigns: [Float] = []
        var codes = [Int](repeating: 0, count: slices)
        var orientations = [Float](repeating: 1, count: slices)
        signs.storage.withUnsafeBufferPointer { s in
            for slice in 0..<slices {
                let base = slice * kernelArea
                let flips = mergesNegatedPatterns && s[base] < 0
                // Key: which taps are negative in the (possibly flipped) pattern.
                let key = (0..<kernelArea).map { (s[base + $0] < 0) != flips }
                if let code = codeOfPattern[key] {
                    codes[slice] = code
                } else {
                    codes[slice] = codeOfPattern.count
                    codeOfPattern[key] = codeOfPattern.count
                    patternSigns += key.map { $0 ? -1 : 1 }
                }
                orientations[slice] = flips ? -1 : 1
            }
        }
        return (Tensor(shape: [codeOfPattern.count, kernelArea], storage: patternSigns), codes, orientations)
    }

    /// Sets `A'`, `signedFactors` and `gatherRows` from factors `A[Co, Ci]` and the current
    /// codes and orientations.
    private func placeFactors(_ factors: Tensor) {
        let width = patternCount * inputChannels
        var placed = Tensor(shape: [outputChannels, width])
        var signed = [Float](repeating: 0, count: outputChannels * inputChannels)
        var rows = [Int](repeating: 0, count: outputChannels * inputChannels)
        for o in 0..<outputChannels {
            for i in 0..<inputChannels {
                let slice = o * inputChannels + i
                rows[slice] = sliceCodes[slice] * inputChannels + i
                signed[slice] = sliceOrientations[slice] * factors[slice]
                placed[o * width + rows[slice]] = signed[slice]
            }
        }
        combinedFactors = placed
        signedFactors = signed
        gatherRows = rows
    }

    /// Re-derives the patterns and `A'` if the layer's signs changed, or `A'` alone if its
    /// factors changed, since they were last derived.
    public func refreshIfLayerChanged() {
        let signs = weight.fixedSigns
        let factors = scale.value
        if signs != derivedSigns {
            (patterns, sliceCodes, sliceOrientations) = SignConvolutionPlan.distinctPatterns(
                signs: signs, kernelArea: layerGeometry.kernelHeight * layerGeometry.kernelWidth, mergesNegatedPatterns: mergesNegatedPatterns)
            derivedSigns = signs
        } else if factors == derivedFactors {
            return
        }
        placeFactors(factors)
        derivedFactors = factors
    }

    /// The layer's output `[N, Co, outH, outW]` for input `[N, Ci, H, W]`, by the sign path.
    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == inputChannels,
                     "\(layerName): expected [N, \(inputChannels), H, W], got \(input.shape)")
        refreshIfLayerChanged()
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let geometry = layerGeometry.over(batch: batch, height: height, width: width)
        let rows = patternCount * inputChannels, pixels = geometry.outputPixels, channels = outputChannels
        let chunk = workspace.imagesPerChunk(batch: batch, rows: rows, pixels: pixels)
        let signSums = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * chunk * pixels)
        var output = Tensor.uninitialized(shape: [batch, channels, geometry.outputHeight, geometry.outputWidth])
        let inputPlaneSize = inputChannels * height * width
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { out in
                let outBase = out.baseAddress!
                var first = 0
                while first < batch {
                    let count = min(chunk, batch - first)
                    patterns.storage.withUnsafeBufferPointer { patternSigns in
                        fsb_sign_conv_batched(x.baseAddress! + first * inputPlaneSize, count, inputChannels,
                                              height, width, geometry.kernelHeight, geometry.kernelWidth,
                                              geometry.padding, geometry.stride,
                                              patternSigns.baseAddress!, patternCount, signSums, count * pixels)
                    }
                    contract(signSums, images: count, pixels: pixels, into: outBase + first * channels * pixels)
                    first += count
                }
                if let bias {
                    bias.value.storage.withUnsafeBufferPointer { b in
                        Conv2D.addChannelBias(b.baseAddress!, to: outBase, batch: batch, channels: channels, pixels: pixels)
                    }
                }
            }
        }
        return output
    }

    /// `out[images, Co, pixels] = A' x Z` for sign sums `Z` `[N*Ci, images*pixels]`, NCHW.
    private func contract(_ signSums: UnsafePointer<Float>, images: Int, pixels: Int, into out: UnsafeMutablePointer<Float>) {
        let rows = patternCount * inputChannels, columnCount = images * pixels, channels = outputChannels
        switch contraction {
        case .denseGEMM:
            combinedFactors.storage.withUnsafeBufferPointer { placed in
                Kernels.gemm(transposeA: false, transposeB: false, m: channels, n: columnCount, k: rows,
                             a: placed.baseAddress!, lda: rows, b: signSums, ldb: columnCount,
                             c: out, ldc: pixels, groupColumns: pixels, groupStride: channels * pixels)
            }
        case .gather:
            signedFactors.withUnsafeBufferPointer { signed in
                gatherRows.withUnsafeBufferPointer { zRows in
                    fsb_sign_gather(signSums, columnCount, images, pixels, inputChannels, channels,
                                    signed.baseAddress!, zRows.baseAddress!, out)
                }
            }
        }
    }
}
