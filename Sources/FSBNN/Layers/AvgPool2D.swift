import FSBCore

/// Average pooling over `[N, C, H, W]` with a square window, stride (default = window),
/// no padding: `outH = (H - kernel)/stride + 1`.
public final class AvgPool2D: Layer {
    public let name: String
    public let kernelSize: Int
    public let stride: Int
    private var cachedInputShape: [Int] = []

    public init(name: String, kernelSize: Int, stride: Int? = nil) {
        self.name = name
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    private var window: PoolingWindow { PoolingWindow(kernelSize: kernelSize, stride: stride) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try window.outputShape(for: inputShape, layer: name)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 4, "\(name): input \(input.shape)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let outH = window.outputSize(h), outW = window.outputSize(w)
        cachedInputShape = input.shape
        var output = Tensor.uninitialized(shape: [n, c, outH, outW])
        let k = kernelSize, s = stride, scale = 1 / Float(kernelSize * kernelSize)
        input.storage.withUnsafeBufferPointer { xBuffer in
            output.storage.withUnsafeMutableBufferPointer { yBuffer in
                let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                ParallelLoop.run(count: n * c, work: n * c * h * w) { planes in
                    for plane in planes {
                        let src = x + plane * h * w
                        for oy in 0..<outH {
                            for ox in 0..<outW {
                                var total: Float = 0
                                for ky in 0..<k {
                                    for kx in 0..<k { total += src[(oy * s + ky) * w + ox * s + kx] }
                                }
                                y[plane * outH * outW + oy * outW + ox] = total * scale
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "\(name): backward before forward")
        let (n, c, h, w) = (cachedInputShape[0], cachedInputShape[1], cachedInputShape[2], cachedInputShape[3])
        let outH = dOutput.shape[2], outW = dOutput.shape[3]
        let k = kernelSize, s = stride, scale = 1 / Float(kernelSize * kernelSize)
        var dInput = Tensor(shape: cachedInputShape)
        dOutput.storage.withUnsafeBufferPointer { dyBuffer in
            dInput.storage.withUnsafeMutableBufferPointer { dxBuffer in
                let dy = dyBuffer.baseAddress!, dx = dxBuffer.baseAddress!
                ParallelLoop.run(count: n * c, work: n * c * h * w) { planes in
                    for plane in planes {
                        let dst = dx + plane * h * w
                        for oy in 0..<outH {
                            for ox in 0..<outW {
                                let g = dy[plane * outH * outW + oy * outW + ox] * scale
                                for ky in 0..<k {
                                    for kx in 0..<k { dst[(oy * s + ky) * w + ox * s + kx] += g }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dInput
    }
}
