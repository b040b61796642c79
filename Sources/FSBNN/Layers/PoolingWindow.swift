/// Geometry shared by the pooling layers: a square window with a stride and no padding,
/// `out = (in - kernel) / stride + 1` per spatial dimension.
struct PoolingWindow {
    let kernelSize: Int
    let stride: Int

    /// Output extent of one spatial dimension of `size`.
    func outputSize(_ size: Int) -> Int { (size - kernelSize) / stride + 1 }

    /// Calls `tap(o, i)` for every output element `o` of `planes` planes `[outH, outW]` and
    /// every input element `i` of its window in the planes `[height, width]` (flat indices
    /// over all planes), windows in output order, taps row by row; planes are split over the
    /// kernel threads (each plane's outputs and inputs are written by one thread only).
    func forEachTap(planes: Int, height: Int, width: Int, outH: Int, outW: Int, _ tap: (_ o: Int, _ i: Int) -> Void) {
        ParallelLoop.run(count: planes, work: planes * height * width) { range in
            for plane in range {
                let input = plane * height * width, output = plane * outH * outW
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        for ky in 0..<kernelSize {
                            for kx in 0..<kernelSize {
                                tap(output + oy * outW + ox, input + (oy * stride + ky) * width + ox * stride + kx)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `[C, outH, outW]` for an input `[C, H, W]`, or a shape error naming `layer`.
    func outputShape(for inputShape: [Int], layer: String) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] >= kernelSize, inputShape[2] >= kernelSize else {
            throw ShapeError(layer: layer, expected: "[C, H, W] with H, W >= \(kernelSize)", found: inputShape)
        }
        return [inputShape[0], outputSize(inputShape[1]), outputSize(inputShape[2])]
    }
}
