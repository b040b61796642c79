import FSBCore

/// Global average pooling: `[N, C, H, W]` -> `[N, C]` (mean over each plane).
public final class GlobalAvgPool: Layer {
    public let name: String
    private var cachedInputShape: [Int] = []

    public init(name: String) { self.name = name }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else { throw ShapeError(layer: name, expected: "[C, H, W]", found: inputShape) }
        return [inputShape[0]]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 4, "\(name): input \(input.shape)")
        cachedInputShape = input.shape
        let planes = input.shape[0] * input.shape[1], plane = input.shape[2] * input.shape[3]
        var output = Tensor.uninitialized(shape: [input.shape[0], input.shape[1]])
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                for p in 0..<planes { y[p] = VectorMath.sum(x.baseAddress! + p * plane, plane) / Float(plane) }
            }
        }
        return output
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        precondition(!cachedInputShape.isEmpty, "\(name): backward before forward")
        let planes = cachedInputShape[0] * cachedInputShape[1], plane = cachedInputShape[2] * cachedInputShape[3]
        var dInput = Tensor.uninitialized(shape: cachedInputShape)
        dOutput.storage.withUnsafeBufferPointer { dy in
            dInput.storage.withUnsafeMutableBufferPointer { dx in
                for p in 0..<planes {
                    let g = dy[p] / Float(plane)
                    (dx.baseAddress! + p * plane).update(repeating: g, count: plane)
                }
            }
        }
        return dInput
    }
}
