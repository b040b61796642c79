import FSBCore

/// Max pooling over `[N, C, H, W]` with a square window, stride (default = window) and no
/// padding: `outH = (H - kernel)/stride + 1`. Backward routes `dy` to the first maximum.
public final class MaxPool2D: PoolingLayer, Layer {
    /// Per output element of the last forward, the flat in-plane index of its maximum.
    private var argmax: [Int32] = []

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (planes, h, w, outH, outW) = beginForward(input)
        var output = Tensor.uninitialized(shape: [input.shape[0], input.shape[1], outH, outW])
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let k = kernelSize, s = stride
        input.storage.withUnsafeBufferPointer { xBuffer in
            output.storage.withUnsafeMutableBufferPointer { yBuffer in
                argmax.withUnsafeMutableBufferPointer { indexBuffer in
                    let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!, index = indexBuffer.baseAddress!
                    ParallelLoop.run(count: planes, work: planes * h * w) { range in
                        for plane in range {
                            let src = x + plane * h * w
                            let dst = plane * outH * outW
                            if k == 2 && s == 2 {
                                MaxPool2D.forwardTwoByTwo(src, width: w, outH: outH, outW: outW,
                                                          y + dst, index + dst)
                                continue
                            }
                            for oy in 0..<outH {
                                for ox in 0..<outW {
                                    var best = -Float.infinity
                                    var bestIndex = (oy * s) * w + ox * s
                                    for ky in 0..<k {
                                        let rowStart = (oy * s + ky) * w + ox * s
                                        for kx in 0..<k where src[rowStart + kx] > best {
                                            best = src[rowStart + kx]
                                            bestIndex = rowStart + kx
                                        }
                                    }
                                    y[dst + oy * outW + ox] = best
                                    index[dst + oy * outW + ox] = Int32(bestIndex)
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// Lane-wise `if value > best { best = value; bestIndex = index }`.
    @inline(__always)
    private static func keepLarger(_ values: SIMD8<Float>, _ indices: SIMD8<Int32>,
                                   _ best: inout SIMD8<Float>, _ bestIndex: inout SIMD8<Int32>) {
        let better = values .> best
        best.replace(with: values, where: better)
        bestIndex.replace(with: indices, where: better)
    }

    /// The common 2x2 window with stride 2 over one plane, unrolled: same result and same
    /// first-maximum tie rule (scan order, strict `>` from `-inf`) as the general loop.
    @inline(__always)
    private static func forwardTwoByTwo(_ src: UnsafePointer<Float>, width w: Int, outH: Int, outW: Int,
                                        _ y: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>) {
        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        for oy in 0..<outH {
            let top = 2 * oy * w, bottom = top + w
            let outRow = oy * outW
            if outW >= 8 {
                // 8 windows at once, the same comparisons in the same order per window; the
                // last group overlaps the previous one (it recomputes identical values).
                var ox = 0
                while ox < outW {
                    let start = min(ox, outW - 8)
                    let a = top + 2 * start, c = bottom + 2 * start
                    let upper = UnsafeRawPointer(src + a).loadUnaligned(as: SIMD16<Float>.self)
                    let lower = UnsafeRawPointer(src + c).loadUnaligned(as: SIMD16<Float>.self)
                    var best = SIMD8<Float>(repeating: -.infinity)
                    let aIndex = lane &+ Int32(truncatingIfNeeded: a), cIndex = lane &+ Int32(truncatingIfNeeded: c)
                    var bestIndex = aIndex
                    MaxPool2D.keepLarger(upper.evenHalf, aIndex, &best, &bestIndex)
                    MaxPool2D.keepLarger(upper.oddHalf, aIndex &+ 1, &best, &bestIndex)
                    MaxPool2D.keepLarger(lower.evenHalf, cIndex, &best, &bestIndex)
                    MaxPool2D.keepLarger(lower.oddHalf, cIndex &+ 1, &best, &bestIndex)
                    UnsafeMutableRawPointer(y + outRow + start).storeBytes(of: best, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(index + outRow + start).storeBytes(of: bestIndex, as: SIMD8<Int32>.self)
                    ox = start + 8
                }
                continue
            }
            for ox in 0..<outW {
                let a = top + 2 * ox, c = bottom + 2 * ox
                var best = -Float.infinity, bestIndex = a
                let v0 = src[a], v1 = src[a + 1], v2 = src[c], v3 = src[c + 1]
                if v0 > best { best = v0; bestIndex = a }
                if v1 > best { best = v1; bestIndex = a + 1 }
                if v2 > best { best = v2; bestIndex = c }
                if v3 > best { best = v3; bestIndex = c + 1 }
                y[outRow + ox] = best
                index[outRow + ox] = Int32(truncatingIfNeeded: bestIndex)
            }
        }
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "\(name): backward before forward")
        precondition(dOutput.count == argmax.count, "\(name): dOutput shape \(dOutput.shape)")
        let plane = cachedInputShape[2] * cachedInputShape[3]
        let outPlane = dOutput.shape[2] * dOutput.shape[3]
        let planes = cachedInputShape[0] * cachedInputShape[1]
        var dInput = Tensor(shape: cachedInputShape)
        dOutput.storage.withUnsafeBufferPointer { dyBuffer in
            argmax.withUnsafeBufferPointer { indexBuffer in
                dInput.storage.withUnsafeMutableBufferPointer { dxBuffer in
                    let dy = dyBuffer.baseAddress!, index = indexBuffer.baseAddress!, dx = dxBuffer.baseAddress!
                    ParallelLoop.run(count: planes, work: planes * plane) { range in
                        for p in range {
                            for j in 0..<outPlane {
                                dx[p * plane + Int(index[p * outPlane + j])] += dy[p * outPlane + j]
                            }
                        }
                    }
                }
            }
        }
        return dInput
    }
}
