import CKernels
import FSBCore

/// 2-D convolution over NCHW input `[N, Ci, H, W]` giving `[N, Co, outH, outW]`,
/// `outH = (H + 2*padding - kh)/stride + 1`. The weight `[Co, Ci, kh, kw]` comes from a
/// `WeightParameterization` (fp, binaryconnect, bwn or fsb); the optional bias is `[Co]`.
///
/// Forward is ONE GEMM `What[Co, Ci*K] x columns` for the whole batch, where `columns` is the
/// batch's im2col matrix `[Ci*kh*kw, N*outH*outW]` -- never stored: the GEMM packs its
/// panels straight from the input images ("implicit im2col", `fsb_sgemm_im2col`) and writes
/// NCHW output directly. Backward goes in chunks of images whose column matrix fits
/// `ScratchWorkspace.columnBudget` floats: `dWhat += dProduct x columnsᵀ` (again implicit,
/// `fsb_sgemm_im2col_transposed`, from the cached input; small stride-1 layers instead use
/// `fsb_conv_weight_gradient_direct` once for the whole batch, which packs nothing). The
/// input gradient of a "same" stride-1 convolution is itself a convolution (of dOutput with
/// the flipped kernels, one implicit GEMM for the whole batch); otherwise it is
/// `dColumns = Whatᵀ x dProduct` per chunk, folded back with col2im, the only column matrix
/// still built.
public final class Conv2D: ComputeLayer {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    public let weight: any WeightParameterization
    /// `[Co]`, zero-initialised; nil when the layer has no bias.
    public let bias: Parameter?
    let workspace: ScratchWorkspace
    /// `[N, Ci, H, W]` of the last forward.
    private var cachedInput: Tensor?
    /// Set by `Network.backward` when this is the network's first layer, whose input gradient
    /// nobody reads: the next `backward` then skips the dColumns GEMM and col2im and returns
    /// zeros (parameter gradients are unchanged). Reset by that `backward`.
    var skipsNextInputGradient = false
    /// The arithmetic of the layer's products (`Conv2D+BFloat16.swift` for bf16).
    public var precision: ComputePrecision = .float32

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool, method: WeightMethod, seed: UInt64,
                workspace: ScratchWorkspace = ScratchWorkspace()) throws {
        guard kernelSize > 0, stride > 0, padding >= 0 else {
            throw FSBError("layer '\(name)': kernel size and stride must be positive and padding non-negative, found kernel \(kernelSize), stride \(stride), padding \(padding)")
        }
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        kernelHeight = kernelSize
        kernelWidth = kernelSize
        self.stride = stride
        self.padding = padding
        weight = try method.makeWeight(layerName: name, shape: [outputChannels, inputChannels, kernelSize, kernelSize],
                                       seed: seed)
        self.bias = bias ? Parameter(name: "\(name).bias", value: Tensor(shape: [outputChannels]), role: .bias) : nil
        self.workspace = workspace
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[0] == inputChannels else {
            throw ShapeError(layer: name, expected: "[\(inputChannels), H, W]", found: inputShape)
        }
        let g = geometry(batch: 1, height: inputShape[1], width: inputShape[2])
        guard inputShape[1] + 2 * padding >= kernelHeight, inputShape[2] + 2 * padding >= kernelWidth else {
            throw ShapeError(layer: name, expected: "spatial size of at least the \(kernelHeight)x\(kernelWidth) kernel (padding \(padding))", found: inputShape)
        }
        return [outputChannels, g.outputHeight, g.outputWidth]
    }

    public func layerShape(inputShape: [Int]) -> LayerShape {
        LayerShape(name: name, kind: .conv, inputChannels: inputChannels, inputHeight: inputShape[1],
                   inputWidth: inputShape[2], outputChannels: outputChannels, kernelHeight: kernelHeight,
                   kernelWidth: kernelWidth, stride: stride, padding: padding,
                   method: weight.method.name, weights: weight.weightEncoding)
    }

    func geometry(batch: Int, height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, channels: inputChannels, height: height, width: width,
                            kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                            stride: stride, padding: padding)
    }

    /// Inference only: `What` packed for the forward GEMM, with the weight stamp and
    /// micro-kernel it was packed for (see `Conv2D+Inference.swift`).
    var packedInferenceWeight: (stamp: WeightStamp, kernel: String, values: [Float])?

    public var inferenceOverride: ((Tensor) -> Tensor)?

    /// Images per backward chunk: as many as keep the input gradient's column matrix within
    /// the workspace's budget (so it stays in cache between its GEMM and col2im), at least
    /// one. The weight gradient sums chunk by chunk too, in the same order as before
    /// implicit im2col, so its bits did not change.
    func imagesPerChunk(batch: Int, rows: Int, pixels: Int) -> Int {
        workspace.imagesPerChunk(batch: batch, rows: rows, pixels: pixels)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, epilogue: nil)
    }

    /// `forward`, with `epilogue` (inference only, see `acceptsInferenceEpilogue`) applied to
    /// the output channels inside the GEMM.
    func forward(_ input: Tensor, training: Bool, epilogue: ChannelAffine?) -> Tensor {
        precondition(epilogue == nil || (!training && acceptsInferenceEpilogue), "\(name): epilogue only for inference")
        if !training, let override = inferenceOverride { return override(input) }
        precondition(input.rank == 4 && input.shape[1] == inputChannels,
                     "\(name): expected [N, \(inputChannels), H, W], got \(input.shape)")
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let full = geometry(batch: batch, height: height, width: width)
        cachedInput = input
        weight.refresh()
        let pixels = full.outputPixels, channels = outputChannels
        var output = Tensor.uninitialized(shape: [batch, channels, full.outputHeight, full.outputWidth])
        if precision != .float32 {
            bfloat16Forward(input, full, into: &output)
            return output
        }
        if !training {
            inferenceProduct(input, full, into: &output, epilogue: epilogue)
            return output
        }
        input.storage.withUnsafeBufferPointer { x in
            weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                output.storage.withUnsafeMutableBufferPointer { out in
                    let outBase = out.baseAddress!
                    // out[Co, batch*P] = What x columns(input), the columns packed straight from
                    // the images, written straight into NCHW: column b*P + p of the product is
                    // output[b, :, p].
                    full.convolve(x.baseAddress!, filters: w.baseAddress!, outputs: channels, into: outBase)
                    if let bias {
                        bias.value.storage.withUnsafeBufferPointer { b in
                            Conv2D.addChannelBias(b.baseAddress!, to: outBase, batch: batch, channels: channels, pixels: pixels)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Adds `bias[o]` to every pixel of channel `o` of `output` `[batch, channels, pixels]`.
    static func addChannelBias(_ bias: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>,
                               batch: Int, channels: Int, pixels: Int) {
        ParallelLoop.run(count: batch * channels, work: batch * channels * pixels) { planes in
            for plane in planes {
                let shift = bias[plane % channels]
                let dst = output + plane * pixels
                for p in 0..<pixels { dst[p] += shift }
            }
        }
    }

    /// The backward pass, per chunk of images that fits the workspace, in named steps
    /// (`Co` outputs, `Ci` inputs, `K = kh*kw`, `P` output pixels, `count` images):
    /// 1. `gatherOutputGradient`: bias totals `[Co]` and `dProduct [Co, count*P]` from dOutput;
    /// 2. `filterGradientStep`: `dWhat [Co, Ci*K] (+)= dProduct x columnsᵀ` (or once for the
    ///    whole batch, `filterGradientDirect`);
    /// 3. `inputGradientStep`: `dColumns [Ci*K, count*P] = Whatᵀ x dProduct`, col2im into dInput
    ///    (or once for the batch, `inputGradient(byConvolving:)`, for "same" stride-1 layers);
    /// then the weight method maps `dWhat` onto its trainable tensors and the bias gradient
    /// takes the totals.
    public func backward(_ dOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("\(name): backward before forward") }
        let batch = input.shape[0], height = input.shape[2], width = input.shape[3]
        let full = geometry(batch: batch, height: height, width: width)
        precondition(dOutput.shape == [batch, outputChannels, full.outputHeight, full.outputWidth],
                     "\(name): dOutput shape \(dOutput.shape)")
        let wantsInputGradient = !skipsNextInputGradient
        skipsNextInputGradient = false
        if precision != .float32 {
            return bfloat16Backward(input: input, dOutput: dOutput, full, wantsInputGradient: wantsInputGradient)
        }
        let rows = full.rows, pixels = full.outputPixels, channels = outputChannels
        let chunk = imagesPerChunk(batch: batch, rows: rows, pixels: pixels)
        let dProduct = workspace.buffer(ScratchWorkspace.Slot.transposed, count: channels * chunk * pixels)
        let dWeight = workspace.buffer(ScratchWorkspace.Slot.weightGradient, count: channels * rows)
        // "Same" stride 1: the input gradient is one implicit-im2col convolution of dOutput;
        // otherwise dColumns per chunk, folded back with col2im.
        let transposedConvolution = wantsInputGradient ? full.inputGradientAsConvolution(outputChannels: channels) : nil
        let usesColumns = wantsInputGradient && transposedConvolution == nil
        var biasTotals = [Double](repeating: 0, count: bias == nil ? 0 : channels)
        var dInput = transposedConvolution == nil ? Tensor(shape: input.shape) : Tensor.uninitialized(shape: input.shape)
        let inputPlaneSize = inputChannels * height * width
        input.storage.withUnsafeBufferPointer { x in
            dOutput.storage.withUnsafeBufferPointer { dOut in
                weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                    dInput.storage.withUnsafeMutableBufferPointer { dX in
                        biasTotals.withUnsafeMutableBufferPointer { totals in
                            let images = x.baseAddress!, dY = dOut.baseAddress!, what = w.baseAddress!
                            // Small stride-1 layers: dWhat [Co, Ci*K] straight from dOutput and the
                            // images (no packing, lanes along the pixels); else per chunk (step 2).
                            let filterGradientDone = full.filterGradientDirect(dY, outputs: channels, images: images,
                                                                               into: dWeight)
                            let needsProduct = !filterGradientDone || usesColumns
                            var first = 0
                            while first < batch && (needsProduct || bias != nil) {
                                let count = min(chunk, batch - first)
                                let g = geometry(batch: count, height: height, width: width)
                                gatherOutputGradient(dY, images: first..<(first + count), pixels: pixels,
                                                     into: needsProduct ? dProduct : nil, biasTotals: totals.baseAddress)
                                if !filterGradientDone {
                                    g.filterGradient(dProduct, outputs: channels, images: images + first * inputPlaneSize,
                                                     accumulate: first > 0, into: dWeight)
                                }
                                if usesColumns {
                                    inputGradientStep(dProduct, g, weight: what, into: dX.baseAddress! + first * inputPlaneSize)
                                }
                                first += count
                            }
                            if let transposedConvolution {
                                inputGradient(byConvolving: dY, transposedConvolution, weight: what, into: dX.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        // dWhat [Co, Ci*K] -> the method's trainable tensors (W, or FSB's factors A).
        weight.accumulateGradient(dEffectiveWeight: dWeight)
        if let bias {
            bias.gradient.storage.withUnsafeMutableBufferPointer { dB in
                for o in 0..<channels { dB[o] += Float(biasTotals[o]) }
            }
        }
        return dInput
    }

    /// Step 1 for images `images` of dOutput `[N, Co, P]`: their per-channel sums added to
    /// `biasTotals` `[Co]` (when the layer has a bias) and, when `dProduct` is given, the
    /// channel-major copy `dProduct [Co, count*P]` (column `b*P + p` is image `first + b`).
    private func gatherOutputGradient(_ dOutput: UnsafePointer<Float>, images: Range<Int>, pixels: Int,
                                      into dProduct: UnsafeMutablePointer<Float>?, biasTotals: UnsafeMutablePointer<Double>?) {
        let channels = outputChannels, count = images.count, columnCount = count * pixels, first = images.lowerBound
        let wantsBias = bias != nil
        ParallelLoop.run(count: channels, work: channels * columnCount) { channelRange in
            for o in channelRange {
                var total: Double = 0
                for b in 0..<count {
                    let src = dOutput + ((first + b) * channels + o) * pixels
                    if let dProduct { (dProduct + o * columnCount + b * pixels).update(from: src, count: pixels) }
                    if wantsBias { total += Double(VectorMath.sum(src, pixels)) }
                }
                if wantsBias { biasTotals![o] += total }
            }
        }
    }

    /// Step 3 for a chunk with geometry `g`: `dColumns [Ci*K, count*P] = Whatᵀ x dProduct`,
    /// then col2im ADDS them into the chunk's `dInput [count, Ci, H, W]`.
    private func inputGradientStep(_ dProduct: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                   weight w: UnsafePointer<Float>, into dInput: UnsafeMutablePointer<Float>) {
        let rows = g.rows, columnCount = g.columnCount
        let columns = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * columnCount)
        Kernels.gemm(transposeA: true, transposeB: false, m: rows, n: columnCount, k: outputChannels,
                     a: w, lda: rows, b: dProduct, ldb: columnCount, c: columns, ldc: columnCount)
        g.col2imAdd(columns, dInput)
    }

    /// dInput = dOutput convolved with the flipped, channel-swapped kernels (see
    /// `ConvolutionGeometry.inputGradientAsConvolution`), as one implicit-im2col GEMM
    /// `flipped[Ci, Co*K] x columns(dOutput)` written straight into NCHW `dInput`.
    private func inputGradient(byConvolving dOutput: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                               weight w: UnsafePointer<Float>, into dInput: UnsafeMutablePointer<Float>) {
        let taps = kernelHeight * kernelWidth
        let flipped = workspace.buffer(ScratchWorkspace.Slot.flippedWeight, count: inputChannels * outputChannels * taps)
        for o in 0..<outputChannels {
            for c in 0..<inputChannels {
                let src = w + (o * inputChannels + c) * taps, dst = flipped + (c * outputChannels + o) * taps
                for t in 0..<taps { dst[taps - 1 - t] = src[t] }
            }
        }
        g.convolve(dOutput, filters: flipped, outputs: inputChannels, into: dInput)
    }
}
