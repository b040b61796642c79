import FSBCore

/// What the pooling layers (`AvgPool2D`, `MaxPool2D`) share: the name, the square window
/// and its stride (default = window), the output shape and the input shape of the last
/// forward. Each subclass adds its forward and backward.
public class PoolingLayer {
    public let name: String
    public let kernelSize: Int
    public let stride: Int
    /// The input shape of the last forward (empty before the first).
    var cachedInputShape: [Int] = []

    public init(name: String, kernelSize: Int, stride: Int? = nil) {
        self.name = name
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    var window: PoolingWindow { PoolingWindow(kernelSize: kernelSize, stride: stride) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try window.outputShape(for: inputShape, layer: name)
    }

    /// The sizes of a forward over `input` `[N, C, H, W]` (planes = N*C) and of its output
    /// `[N, C, outH, outW]`; remembers the input shape for the backward.
    func beginForward(_ input: Tensor) -> (planes: Int, height: Int, width: Int, outH: Int, outW: Int) {
        precondition(input.rank == 4, "\(name): input \(input.shape)")
        cachedInputShape = input.shape
        let h = input.shape[2], w = input.shape[3]
        return (input.shape[0] * input.shape[1], h, w, window.outputSize(h), window.outputSize(w))
    }
}
