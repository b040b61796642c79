/// A dense float32 tensor: a shape and contiguous row-major storage.
///
/// Images and feature maps use NCHW layout (`[batch, channels, height, width]`);
/// weights of a convolution are `[outputChannels, inputChannels, kernelH, kernelW]`;
/// a linear layer's weights are `[outputFeatures, inputFeatures]`.
public struct Tensor: Equatable, Sendable {
    /// Extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements, row-major; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// A tensor of the given shape with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor wrapping existing storage; `storage.count` must equal the shape's element count.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "storage of \(storage.count) elements does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// Element at a flat (row-major) index.
    @inlinable public subscript(index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// Changes the shape in place (element count must not change).
    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == storage.count,
                     "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { buffer in
            buffer.update(repeating: 0)
        }
    }

    /// Largest absolute element-wise difference to another tensor of the same shape.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shape \(shape) vs \(other.shape)")
        var worst: Float = 0
        for i in 0..<count { worst = max(worst, abs(storage[i] - other.storage[i])) }
        return worst
    }
}
