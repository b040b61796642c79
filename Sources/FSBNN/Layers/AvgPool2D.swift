import FSBCore

/// Average pooling over `[N, C, H, W]` with a square window, stride (default = window),
/// no padding: `outH = (H - kernel)/stride + 1`.
public final class AvgPool2D: PoolingLayer, Layer {
    /// `y[o] = scale * (sum of the window's inputs, in tap order)`, `scale = 1/kernel²`.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (planes, h, w, outH, outW) = beginForward(input)
        var output = Tensor(shape: [input.shape[0], input.shape[1], outH, outW])
        let scale = 1 / Float(kernelSize * kernelSize)
        input.storage.withUnsafeBufferPointer { xBuffer in
            output.storage.withUnsafeMutableBufferPointer { yBuffer in
                let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                window.forEachTap(planes: planes, height: h, width: w, outH: outH, outW: outW) { o, i in y[o] += x[i] }
                for o in yBuffer.indices { y[o] *= scale }
            }
        }
        return output
    }

    /// The adjoint: every input of a window gets `scale * dy[o]` added.
    public func backward(_ dOutput: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "\(name): backward before forward")
        let planes = cachedInputShape[0] * cachedInputShape[1], h = cachedInputShape[2], w = cachedInputShape[3]
        let scale = 1 / Float(kernelSize * kernelSize)
        var dInput = Tensor(shape: cachedInputShape)
        dOutput.storage.withUnsafeBufferPointer { dyBuffer in
            dInput.storage.withUnsafeMutableBufferPointer { dxBuffer in
                let dy = dyBuffer.baseAddress!, dx = dxBuffer.baseAddress!
                window.forEachTap(planes: planes, height: h, width: w, outH: dOutput.shape[2], outW: dOutput.shape[3]) { o, i in
                    dx[i] += dy[o] * scale
                }
            }
        }
        return dInput
    }
}
