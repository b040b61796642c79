import FSBCore

/// How every epoch is cut into mini-batches: size, seed, shuffling, augmentation and
/// whether a last partial batch is dropped.
///
/// Randomness is derived, never carried over: the image order of epoch `e` comes from
/// `SeededGenerator(seed: seed, stream: "data.order.epoch<e>")` and the augmentation of
/// batch `b` from `"data.augment.epoch<e>.batch<b>"`, so any batch of any epoch can be
/// rebuilt on its own (resuming in the middle of an epoch is bit-exact).
public struct BatchSchedule: Equatable, Codable, Sendable {
    public let batchSize: Int
    public let seed: UInt64
    public let shuffle: Bool
    public let augmentation: Augmentation
    public let dropLast: Bool

    /// Throws when `batchSize < 1` or the crop padding is negative.
    public init(batchSize: Int, seed: UInt64, shuffle: Bool = true, augmentation: Augmentation = .none,
                dropLast: Bool = false) throws {
        guard batchSize >= 1 else { throw FSBError("batch size must be at least 1, found \(batchSize)") }
        guard augmentation.randomCropPadding >= 0 else {
            throw FSBError("crop padding must be at least 0, found \(augmentation.randomCropPadding)")
        }
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.augmentation = augmentation
        self.dropLast = dropLast
    }

    /// Batches per epoch for `imageCount` images.
    public func batchCount(imageCount: Int) -> Int {
        dropLast ? imageCount / batchSize : (imageCount + batchSize - 1) / batchSize
    }

    /// The image order of `epoch`: a seeded permutation, or `0..<imageCount` without shuffling.
    public func order(epoch: Int, imageCount: Int) -> [Int] {
        guard shuffle else { return Array(0..<imageCount) }
        var generator = SeededGenerator(seed: seed, stream: "data.order.epoch\(epoch)")
        return generator.permutation(of: imageCount)
    }

    /// The generator for the augmentation of batch `batch` of `epoch`.
    public func augmentationGenerator(epoch: Int, batch: Int) -> SeededGenerator {
        SeededGenerator(seed: seed, stream: "data.augment.epoch\(epoch).batch\(batch)")
    }

    /// The batches of `epoch` over `dataset`.
    public func epoch(_ epoch: Int, of dataset: ImageDataset) -> EpochBatches {
        EpochBatches(dataset: dataset, schedule: self, epoch: epoch)
    }
}
