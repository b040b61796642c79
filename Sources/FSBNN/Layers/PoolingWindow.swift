/// Geometry shared by the pooling layers: a square window with a stride and no padding,
/// `out = (in - kernel) / stride + 1` per spatial dimension.
struct PoolingWindow {
    let kernelSize: Int
    let stride: Int

    /// Output extent of one spatial dimension of `size`.
    func outputSize(_ size: Int) -> Int { (size - kernelSize) / stride + 1 }

    /// `[C, outH, outW]` for an input `[C, H, W]`, or a shape error naming `layer`.
    func outputShape(for inputShape: [Int], layer: String) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] >= kernelSize, inputShape[2] >= kernelSize else {
            throw ShapeError(layer: layer, expected: "[C, H, W] with H, W >= \(kernelSize)", found: inputShape)
        }
        return [inputShape[0], outputSize(inputShape[1]), outputSize(inputShape[2])]
    }
}
