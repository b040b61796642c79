import FSBCore

/// Rectified linear unit, `max(0, x)`, any shape; backward passes `dy` where the output is positive.
public final class ReLU: Layer {
    public let name: String
    /// Output of the last forward (its sign is the mask).
    private var cachedOutput: Tensor?

    public init(name: String) { self.name = name }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var output = Tensor.uninitialized(shape: input.shape)
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                let xp = x.baseAddress!, yp = y.baseAddress!
                let count = x.count
                ParallelLoop.run(count: count, work: count, minimumWork: 1 << 18) { range in
                    for i in range { yp[i] = max(xp[i], 0) }
                }
            }
        }
        cachedOutput = output
        return output
    }

    /// `forward(a + b)` without materialising the sum (the residual block's output), with the
    /// same bits: each element is `max(a[i] + b[i], 0)`.
    func forward(sumOf a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "\(name): summands \(a.shape) and \(b.shape)")
        let output = Tensor.elementwise(a, b) { x, z, y, range in
            for i in range { y[i] = max(x[i] + z[i], 0) }
        }
        cachedOutput = output
        return output
    }

    /// Records `output` as this layer's forward result when a preceding layer computed the
    /// ReLU itself (`BatchNorm2D.forward(_:training:then:)`), so `backward` works unchanged.
    func adopt(output: Tensor) { cachedOutput = output }

    public func backward(_ dOutput: Tensor) -> Tensor {
        guard let output = cachedOutput else { preconditionFailure("\(name): backward before forward") }
        precondition(dOutput.shape == output.shape, "\(name): dOutput shape \(dOutput.shape)")
        return Tensor.elementwise(dOutput, output) { dy, y, dx, range in
            for i in range {
                let upstream = dy[i]  // unconditional load so the select vectorises
                dx[i] = y[i] > 0 ? upstream : 0
            }
        }
    }
}
