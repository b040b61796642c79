import FSBCore

extension Tensor {
    /// A new tensor shaped like `a` (and `b`, same count), every element of which `body`
    /// writes: `body(a, b, out, range)` over disjoint ranges covering all elements, split
    /// over the kernel threads for tensors of at least 2^18 elements (`ParallelLoop`).
    static func elementwise(_ a: Tensor, _ b: Tensor,
                            _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) -> Tensor {
        precondition(a.count == b.count, "elementwise: \(a.shape) and \(b.shape)")
        var output = Tensor.uninitialized(shape: a.shape)
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { z in
                output.storage.withUnsafeMutableBufferPointer { y in
                    let xp = x.baseAddress!, zp = z.baseAddress!, yp = y.baseAddress!
                    ParallelLoop.run(count: x.count, work: x.count, minimumWork: 1 << 18) { range in
                        body(xp, zp, yp, range)
                    }
                }
            }
        }
        return output
    }
}
