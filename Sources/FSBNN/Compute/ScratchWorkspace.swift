/// Reusable scratch memory for convolutions (input-gradient columns, transposed output
/// gradients, the weight gradient, flipped kernels), shared by
/// all layers of one network because layers run one after the other. Buffers grow when a
/// larger request comes and are never shrunk; their content does not survive a layer call.
public final class ScratchWorkspace {
    private var slots: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    /// Largest column matrix (in floats) a convolution's backward pass builds at once (the
    /// input gradient's columns); larger batches are processed in chunks of images. The
    /// default, 2^20 floats (4 MiB), keeps the columns in cache between the GEMM and col2im.
    public var columnBudget: Int

    public init(columnBudget: Int = 1 << 20) {
        self.columnBudget = max(1, columnBudget)
    }

    deinit {
        for slot in slots { slot.pointer.deallocate() }
    }

    /// A buffer of at least `count` floats in slot `index` (uninitialised content).
    func buffer(_ index: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while slots.count <= index {
            slots.append((UnsafeMutablePointer<Float>.allocate(capacity: 1), 1))
        }
        if slots[index].capacity < count {
            slots[index].pointer.deallocate()
            slots[index] = (UnsafeMutablePointer<Float>.allocate(capacity: count), count)
        }
        return slots[index].pointer
    }

    /// Images per column matrix: as many as keep `rows x (images*pixels)` columns within
    /// `columnBudget` (so they stay in cache between filling and the GEMM), at least one.
    func imagesPerChunk(batch: Int, rows: Int, pixels: Int) -> Int {
        max(1, min(batch, columnBudget / max(1, rows * pixels)))
    }

    /// Slot numbers used by the layers of this module.
    enum Slot {
        static let columns = 0
        static let transposed = 1
        static let weightGradient = 2
        static let flippedWeight = 3
    }
}
