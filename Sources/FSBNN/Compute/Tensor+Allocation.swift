import FSBCore

extension Tensor {
    /// A tensor whose storage is allocated but not initialised; the caller must write every
    /// element before reading any (used for layer outputs that are fully overwritten).
    static func uninitialized(shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        let storage = [Float](unsafeUninitializedCapacity: count) { _, initializedCount in
            initializedCount = count
        }
        return Tensor(shape: shape, storage: storage)
    }
}
