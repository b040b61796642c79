import CKernels
import FSBCore

/// 2-D convolution over NCHW input `[N, Ci, H, W]` giving `[N, Co, outH, outW]`,
/// `outH = (H + 2*padding - kh)/stride + 1`. The weight `[Co, Ci, kh, kw]` comes from a
/// `WeightParameterization` (fp, binaryconnect, bwn or fsb); the optional bias is `[Co]`.
///
/// The whole batch is unfolded into one column matrix `[Ci*kh*kw, N*outH*outW]` and
/// multiplied in ONE GEMM by `What[Co, Ci*K]`; backward recomputes the columns from the
/// cached input (memory stays at one shared workspace instead of one per layer).
public final class Conv2D: Layer {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int
    public let weight: WeightParameterization
    /// `[Co]`, zero-initialised; nil when the layer has no bias.
    public let bias: Parameter?
    let workspace: ScratchWorkspace
    /// `[N, Ci, H, W]` of the last forward.
    private var cachedInput: Tensor?

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
        weight = try WeightParameterization(
            method: method, layerName: name,
            weightShape: [outputChannels, inputChannels, kernelSize, kernelSize], seed: seed)
        self.bias = bias ? Parameter(name: "\(name).bias", value: Tensor(shape: [outputChannels]), role: .bias) : nil
        self.workspace = workspace
    }

    public var parameters: [Parameter] { weight.parameters + [bias].compactMap { $0 } }

    public var buffers: [String: Tensor] {
        get {
            if weight.fsbOptions?.signInit == .checkpoint, let signs = weight.signs { return ["\(name).signs": signs] }
            return [:]
        }
        set {
            if let stored = newValue["\(name).signs"] { try? weight.restoreSigns(stored) }
        }
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

    func geometry(batch: Int, height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, channels: inputChannels, height: height, width: width,
                            kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                            stride: stride, padding: padding)
    }

    /// When set, inference (`training == false`) calls this instead of the float path; used
    /// by the simulator's bit-accurate check to run the layer on an integer datapath model.
    public var inferenceOverride: ((Tensor) -> Tensor)?

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if !training, let override = inferenceOverride { return override(input) }
        precondition(input.rank == 4 && input.shape[1] == inputChannels,
                     "\(name): expected [N, \(inputChannels), H, W], got \(input.shape)")
        let g = geometry(batch: input.shape[0], height: input.shape[2], width: input.shape[3])
        cachedInput = input
        weight.refresh()
        let rows = g.rows, columnCount = g.columnCount, pixels = g.outputPixels
        let columns = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * columnCount)
        let product = workspace.buffer(ScratchWorkspace.Slot.transposed, count: outputChannels * columnCount)
        input.storage.withUnsafeBufferPointer { g.im2col($0.baseAddress!, columns) }
        weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
            fsb_sgemm(0, 0, outputChannels, columnCount, rows, 1, w.baseAddress!, rows,
                      columns, columnCount, 0, product, columnCount)
        }
        var output = Tensor.uninitialized(shape: [g.batch, outputChannels, g.outputHeight, g.outputWidth])
        let batch = g.batch, channels = outputChannels
        let biasValues = bias?.value.storage
        output.storage.withUnsafeMutableBufferPointer { out in
            let outBase = out.baseAddress!
            ParallelLoop.run(count: channels, work: channels * columnCount) { channelRange in
                for o in channelRange {
                    let shift = biasValues?[o] ?? 0
                    for b in 0..<batch {
                        let src = product + o * columnCount + b * pixels
                        let dst = outBase + (b * channels + o) * pixels
                        if shift == 0 {
                            dst.update(from: src, count: pixels)
                        } else {
                            for p in 0..<pixels { dst[p] = src[p] + shift }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("\(name): backward before forward") }
        let g = geometry(batch: input.shape[0], height: input.shape[2], width: input.shape[3])
        precondition(dOutput.shape == [g.batch, outputChannels, g.outputHeight, g.outputWidth],
                     "\(name): dOutput shape \(dOutput.shape)")
        let rows = g.rows, columnCount = g.columnCount, pixels = g.outputPixels
        let batch = g.batch, channels = outputChannels
        // dOutput [N, Co, P] -> dProduct [Co, N*P], and the bias gradient per channel.
        let dProduct = workspace.buffer(ScratchWorkspace.Slot.transposed, count: channels * columnCount)
        var biasGradient = [Float](repeating: 0, count: bias == nil ? 0 : channels)
        let wantsBias = bias != nil
        dOutput.storage.withUnsafeBufferPointer { dOut in
            let dOutBase = dOut.baseAddress!
            biasGradient.withUnsafeMutableBufferPointer { biasSums in
                let sums = biasSums.baseAddress
                ParallelLoop.run(count: channels, work: channels * columnCount) { channelRange in
                    for o in channelRange {
                        var total: Double = 0
                        for b in 0..<batch {
                            let src = dOutBase + (b * channels + o) * pixels
                            let dst = dProduct + o * columnCount + b * pixels
                            dst.update(from: src, count: pixels)
                            if wantsBias {
                                var s: Float = 0
                                for p in 0..<pixels { s += src[p] }
                                total += Double(s)
                            }
                        }
                        if wantsBias { sums![o] = Float(total) }
                    }
                }
            }
        }
        if let bias {
            bias.gradient.storage.withUnsafeMutableBufferPointer { dB in
                for o in 0..<channels { dB[o] += biasGradient[o] }
            }
        }
        // dWhat = dProduct x columns^T  ([Co, Ci*K]).
        let columns = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * columnCount)
        input.storage.withUnsafeBufferPointer { g.im2col($0.baseAddress!, columns) }
        let dWeight = workspace.buffer(ScratchWorkspace.Slot.weightGradient, count: channels * rows)
        fsb_sgemm(0, 1, channels, rows, columnCount, 1, dProduct, columnCount, columns, columnCount,
                  0, dWeight, rows)
        weight.accumulateGradient(dEffectiveWeight: dWeight)
        // dColumns = What^T x dProduct ([Ci*K, N*P]), written over the columns.
        weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
            fsb_sgemm(1, 0, rows, columnCount, channels, 1, w.baseAddress!, rows, dProduct, columnCount,
                      0, columns, columnCount)
        }
        var dInput = Tensor(shape: input.shape)
        dInput.storage.withUnsafeMutableBufferPointer { g.col2imAdd(columns, $0.baseAddress!) }
        return dInput
    }
}
