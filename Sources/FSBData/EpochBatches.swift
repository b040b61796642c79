import FSBCore

/// The mini-batches of one epoch: batch `b` holds the images at
/// `order[b * batchSize ..< min((b + 1) * batchSize, count)]`, augmented, as a
/// `[B, C, H, W]` tensor with their labels. Any batch can be built independently
/// (`batch(_:)`, `fill(batch:images:labels:)`); iterating reuses one output tensor.
public struct EpochBatches: Sequence {
    public let dataset: ImageDataset
    public let schedule: BatchSchedule
    public let epoch: Int
    /// Dataset indices in the order this epoch visits them.
    public let order: [Int]

    public init(dataset: ImageDataset, schedule: BatchSchedule, epoch: Int) {
        self.dataset = dataset
        self.schedule = schedule
        self.epoch = epoch
        self.order = schedule.order(epoch: epoch, imageCount: dataset.count)
    }

    /// The batches of `epoch` for a schedule given field by field; throws when
    /// `batchSize < 1` or the crop padding is negative (see `BatchSchedule`).
    public init(dataset: ImageDataset, batchSize: Int, seed: UInt64, epoch: Int, shuffle: Bool,
                augmentation: Augmentation, dropLast: Bool) throws {
        let schedule = try BatchSchedule(batchSize: batchSize, seed: seed, shuffle: shuffle,
                                         augmentation: augmentation, dropLast: dropLast)
        self.init(dataset: dataset, schedule: schedule, epoch: epoch)
    }

    /// Number of batches.
    public var count: Int { schedule.batchCount(imageCount: dataset.count) }

    /// Positions in `order` covered by batch `batch`.
    public func positions(ofBatch batch: Int) -> Range<Int> {
        let start = batch * schedule.batchSize
        return start..<Swift.min(start + schedule.batchSize, dataset.count)
    }

    /// Builds batch `batch` (0-based, must be `< count`).
    public func batch(_ batch: Int) -> (images: Tensor, labels: [Int32]) {
        var images = Tensor(shape: [0])
        var labels: [Int32] = []
        fill(batch: batch, images: &images, labels: &labels)
        return (images, labels)
    }

    /// Writes batch `batch` into `images` and `labels`, reusing their storage when the
    /// batch size is unchanged.
    public func fill(batch: Int, images: inout Tensor, labels: inout [Int32]) {
        precondition(batch >= 0 && batch < count, "batch \(batch) outside 0..<\(count)")
        let positions = positions(ofBatch: batch)
        let shape = [positions.count, dataset.channels, dataset.height, dataset.width]
        if images.shape != shape {
            if images.count == shape.reduce(1, *) { images.reshape(shape) } else { images = Tensor(shape: shape) }
        }
        labels.removeAll(keepingCapacity: true)
        let augmentation = schedule.augmentation
        var generator = schedule.augmentationGenerator(epoch: epoch, batch: batch)
        let (channels, height, width, size) = (dataset.channels, dataset.height, dataset.width, dataset.imageSize)
        let padding = dataset.paddingValues
        images.storage.withUnsafeMutableBufferPointer { output in
            dataset.images.storage.withUnsafeBufferPointer { input in
                for (row, position) in positions.enumerated() {
                    let index = order[position]
                    labels.append(dataset.labels[index])
                    let source = input.baseAddress! + index * size
                    let destination = output.baseAddress! + row * size
                    if augmentation.isIdentity {
                        destination.update(from: source, count: size)
                        continue
                    }
                    var shiftY = 0, shiftX = 0
                    if augmentation.randomCropPadding > 0 {
                        let span = 2 * augmentation.randomCropPadding + 1
                        shiftY = generator.nextInt(below: span) - augmentation.randomCropPadding
                        shiftX = generator.nextInt(below: span) - augmentation.randomCropPadding
                    }
                    let flip = augmentation.horizontalFlip && (generator.next() >> 63) == 1
                    Self.transform(source: source, destination: destination, channels: channels, height: height,
                                   width: width, shiftY: shiftY, shiftX: shiftX, flip: flip, padding: padding)
                }
            }
        }
    }

    /// `out[c][y][x] = in[c][y + shiftY][x' + shiftX]` with `x' = flip ? width-1-x : x`,
    /// and `padding[c]` where that falls outside the image.
    static func transform(source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>,
                          channels: Int, height: Int, width: Int, shiftY: Int, shiftX: Int, flip: Bool,
                          padding: [Float]) {
        for channel in 0..<channels {
            let plane = channel * height * width
            let pad = padding[channel]
            for y in 0..<height {
                let out = destination + plane + y * width
                let sourceY = y + shiftY
                guard sourceY >= 0 && sourceY < height else {
                    out.update(repeating: pad, count: width)
                    continue
                }
                let inRow = source + plane + sourceY * width
                for x in 0..<width {
                    let sourceX = (flip ? width - 1 - x : x) + shiftX
                    out[x] = sourceX >= 0 && sourceX < width ? inRow[sourceX] : pad
                }
            }
        }
    }

    /// Iterates batches from `firstBatch` on (to resume mid-epoch).
    public func batches(from firstBatch: Int) -> Iterator {
        Iterator(batches: self, nextBatch: firstBatch)
    }

    public func makeIterator() -> Iterator { Iterator(batches: self, nextBatch: 0) }

    /// Yields the batches in turn, writing each into the same buffers (a batch kept by the
    /// caller is copied on the next write, so values are never shared by mistake).
    public struct Iterator: IteratorProtocol {
        let batches: EpochBatches
        var nextBatch: Int
        var images = Tensor(shape: [0])
        var labels: [Int32] = []

        init(batches: EpochBatches, nextBatch: Int) {
            self.batches = batches
            self.nextBatch = nextBatch
        }

        public mutating func next() -> (images: Tensor, labels: [Int32])? {
            guard nextBatch < batches.count else { return nil }
            batches.fill(batch: nextBatch, images: &images, labels: &labels)
            nextBatch += 1
            return (images, labels)
        }
    }
}
