import FSBCore

/// The basic residual block of He et al. (CVPR 2016): `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`,
/// 3x3 convolutions without bias, the first one with the block's stride, over `[N, C, H, W]`.
/// Layer names: `<name>.conv1`, `.bn1`, `.relu1`, `.conv2`, `.bn2`, `.shortcut.0` (1x1 conv) and
/// `.shortcut.1` (BN) for option B, `.relu`. The shortcut is the identity when shapes match.
public final class ResidualBlock: ContainerLayer {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let stride: Int
    public let shortcutOption: ShortcutOption
    public let conv1: Conv2D
    public let bn1: BatchNorm2D
    public let relu1: ReLU
    public let conv2: Conv2D
    public let bn2: BatchNorm2D
    /// Option B projection (1x1 conv + BN) when shapes change; nil otherwise.
    public let projection: (conv: Conv2D, bn: BatchNorm2D)?
    public let outputReLU: ReLU
    /// True when the shortcut is the zero-padded subsampled identity (option A with a shape change).
    public let usesPaddedIdentity: Bool
    private var cachedInputShape: [Int] = []

    /// `method(layerName)` gives the weight method of each convolution.
    public init(name: String, inputChannels: Int, outputChannels: Int, stride: Int, shortcut: ShortcutOption,
                seed: UInt64, workspace: ScratchWorkspace, method: (String) -> WeightMethod) throws {
        guard outputChannels >= inputChannels || shortcut == .optionB else {
            throw FSBError("block '\(name)': option A shortcut needs output channels (\(outputChannels)) >= input channels (\(inputChannels))")
        }
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.stride = stride
        shortcutOption = shortcut
        conv1 = try Conv2D(name: "\(name).conv1", inputChannels: inputChannels, outputChannels: outputChannels,
                           kernelSize: 3, stride: stride, padding: 1, bias: false,
                           method: method("\(name).conv1"), seed: seed, workspace: workspace)
        bn1 = BatchNorm2D(name: "\(name).bn1", channels: outputChannels)
        relu1 = ReLU(name: "\(name).relu1")
        conv2 = try Conv2D(name: "\(name).conv2", inputChannels: outputChannels, outputChannels: outputChannels,
                           kernelSize: 3, stride: 1, padding: 1, bias: false,
                           method: method("\(name).conv2"), seed: seed, workspace: workspace)
        bn2 = BatchNorm2D(name: "\(name).bn2", channels: outputChannels)
        let changesShape = stride != 1 || inputChannels != outputChannels
        if changesShape && shortcut == .optionB {
            let conv = try Conv2D(name: "\(name).shortcut.0", inputChannels: inputChannels, outputChannels: outputChannels,
                                  kernelSize: 1, stride: stride, padding: 0, bias: false,
                                  method: method("\(name).shortcut.0"), seed: seed, workspace: workspace)
            projection = (conv, BatchNorm2D(name: "\(name).shortcut.1", channels: outputChannels))
        } else {
            projection = nil
        }
        usesPaddedIdentity = changesShape && shortcut == .optionA
        outputReLU = ReLU(name: "\(name).relu")
    }

    private var mainPath: [Layer] { [conv1, bn1, relu1, conv2, bn2] }

    public var sublayers: [Layer] {
        var layers = mainPath
        if let projection { layers += [projection.conv, projection.bn] }
        return layers + [outputReLU]
    }

    public func traceShapes(inputShape: [Int], into records: inout [LayerShapeRecord]) throws -> [Int] {
        var shape = inputShape
        for layer in mainPath { shape = try layer.traceShapes(inputShape: shape, into: &records) }
        if let projection {
            let s = try projection.conv.traceShapes(inputShape: inputShape, into: &records)
            _ = try projection.bn.traceShapes(inputShape: s, into: &records)
        }
        return try outputReLU.traceShapes(inputShape: shape, into: &records)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        cachedInputShape = input.shape
        let shortcut: Tensor
        if let projection {
            shortcut = projection.bn.forward(projection.conv.forward(input, training: training), training: training)
        } else if usesPaddedIdentity {
            let g = conv1.geometry(batch: input.shape[0], height: input.shape[2], width: input.shape[3])
            shortcut = paddedSubsample(input, outputShape: [input.shape[0], outputChannels, g.outputHeight, g.outputWidth])
        } else {
            shortcut = input
        }
        if !training && conv2.acceptsInferenceEpilogue {
            // Inference: bn2, the sum and the output ReLU run inside conv2's GEMM (same bits).
            let hidden = LayerChain.forward([conv1, bn1, relu1], input, training: false)
            let (scale, shift) = bn2.inferenceAffine()
            let output = conv2.forward(hidden, training: false,
                                       epilogue: ChannelAffine(scale: scale, shift: shift, addend: shortcut, relu: true))
            outputReLU.adopt(output: output)
            return output
        }
        let main = LayerChain.forward(mainPath, input, training: training)
        precondition(shortcut.shape == main.shape, "\(name): shortcut \(shortcut.shape) vs main \(main.shape)")
        return outputReLU.forward(sumOf: main, shortcut)
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        let dSum = outputReLU.backward(dOutput)
        var dMain = dSum
        for layer in mainPath.reversed() { dMain = layer.backward(dMain) }
        if let projection {
            let dShortcut = projection.conv.backward(projection.bn.backward(dSum))
            add(dShortcut, into: &dMain)
        } else if usesPaddedIdentity {
            addPaddedSubsampleGradient(dSum, into: &dMain)
        } else {
            add(dSum, into: &dMain)
        }
        return dMain
    }

    private func add(_ source: Tensor, into target: inout Tensor) {
        target.storage.withUnsafeMutableBufferPointer { t in
            source.storage.withUnsafeBufferPointer { s in
                let tp = t.baseAddress!, sp = s.baseAddress!, count = t.count
                ParallelLoop.run(count: count, work: count, minimumWork: 1 << 18) { range in
                    for i in range { tp[i] += sp[i] }
                }
            }
        }
    }

    /// Channel offset of the input channels inside the zero-padded shortcut.
    private var channelOffset: Int { (outputChannels - inputChannels) / 2 }

    /// `x[:, :, ::stride, ::stride]` placed at channels `offset..<offset+Ci` of zeros.
    private func paddedSubsample(_ input: Tensor, outputShape: [Int]) -> Tensor {
        var result = Tensor(shape: outputShape)
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let outH = outputShape[2], outW = outputShape[3], co = outputShape[1], offset = channelOffset, s = stride
        input.storage.withUnsafeBufferPointer { x in
            result.storage.withUnsafeMutableBufferPointer { y in
                for b in 0..<n {
                    for ch in 0..<c {
                        let src = (b * c + ch) * h * w, dst = (b * co + ch + offset) * outH * outW
                        for oy in 0..<outH { for ox in 0..<outW { y[dst + oy * outW + ox] = x[src + oy * s * w + ox * s] } }
                    }
                }
            }
        }
        return result
    }

    private func addPaddedSubsampleGradient(_ dSum: Tensor, into dInput: inout Tensor) {
        let (n, c, h, w) = (cachedInputShape[0], cachedInputShape[1], cachedInputShape[2], cachedInputShape[3])
        let outH = dSum.shape[2], outW = dSum.shape[3], co = dSum.shape[1], offset = channelOffset, s = stride
        dSum.storage.withUnsafeBufferPointer { dy in
            dInput.storage.withUnsafeMutableBufferPointer { dx in
                for b in 0..<n {
                    for ch in 0..<c {
                        let dst = (b * c + ch) * h * w, src = (b * co + ch + offset) * outH * outW
                        for oy in 0..<outH { for ox in 0..<outW { dx[dst + oy * s * w + ox * s] += dy[src + oy * outW + ox] } }
                    }
                }
            }
        }
    }
}
