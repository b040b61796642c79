import FSBCore

/// Images ready for training: float pixels normalised per channel,
/// `x = (pixel / 255 - mean[c]) / std[c]`, as a `[N, C, H, W]` tensor, plus labels.
///
/// `mean` and `std` are kept so augmentation can pad with the normalised value of a raw
/// 0 pixel (`paddingValues`), matching torchvision's `RandomCrop(padding:)` applied before
/// `Normalize`.
public struct ImageDataset: Sendable {
    /// `[N, C, H, W]` normalised images.
    public var images: Tensor
    /// One label per image, in `0..<classCount`.
    public var labels: [Int32]
    /// Number of classes.
    public let classCount: Int
    /// Per-channel mean used for normalisation (pixel scale 0...1).
    public let mean: [Float]
    /// Per-channel standard deviation used for normalisation (pixel scale 0...1).
    public let std: [Float]

    /// Wraps already normalised images. `images` must be rank 4 with `labels.count` images
    /// and `mean`/`std` one value per channel.
    public init(images: Tensor, labels: [Int32], classCount: Int, mean: [Float], std: [Float]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count, "images \(images.shape) vs \(labels.count) labels")
        precondition(mean.count == images.shape[1] && std.count == images.shape[1], "mean/std need one value per channel")
        self.images = images
        self.labels = labels
        self.classCount = classCount
        self.mean = mean
        self.std = std
    }

    /// Normalises a raw dataset with its standard per-channel mean and std.
    public init(raw: RawDataset) {
        self.init(raw: raw, mean: raw.name.channelMean, std: raw.name.channelStd)
    }

    /// Normalises a raw dataset with the given per-channel mean and std (pixel scale 0...1).
    public init(raw: RawDataset, mean: [Float], std: [Float]) {
        precondition(mean.count == raw.channels && std.count == raw.channels, "mean/std need one value per channel")
        let plane = raw.height * raw.width
        let scales = std.map { 1 / (255 * $0) }
        let shifts = zip(mean, std).map { -$0 / $1 }
        // Every element is written below, so the storage is not zero-filled first.
        let storage = [Float](unsafeUninitializedCapacity: raw.pixels.count) { output, initialized in
            raw.pixels.withUnsafeBufferPointer { input in
                for image in 0..<raw.count {
                    for channel in 0..<raw.channels {
                        let (scale, shift) = (scales[channel], shifts[channel])
                        let start = (image * raw.channels + channel) * plane
                        let source = input.baseAddress! + start
                        let destination = output.baseAddress! + start
                        for i in 0..<plane {
                            destination[i] = Float(source[i]) * scale + shift
                        }
                    }
                }
            }
            initialized = raw.pixels.count
        }
        self.init(images: Tensor(shape: [raw.count, raw.channels, raw.height, raw.width], storage: storage),
                  labels: raw.labels, classCount: raw.classCount, mean: mean, std: std)
    }

    /// Number of images.
    public var count: Int { labels.count }
    /// Channels per image.
    public var channels: Int { images.shape[1] }
    /// Image height.
    public var height: Int { images.shape[2] }
    /// Image width.
    public var width: Int { images.shape[3] }
    /// Floats per image.
    public var imageSize: Int { channels * height * width }

    /// Per channel, the normalised value of a raw 0 pixel: `-mean[c] / std[c]`.
    public var paddingValues: [Float] { zip(mean, std).map { -$0 / $1 } }

    /// Images `range` (in dataset order) and their labels, as one batch tensor `[n, C, H, W]`.
    public func slice(_ range: Range<Int>) -> (images: Tensor, labels: [Int32]) {
        let size = imageSize
        let storage = Array(images.storage[(range.lowerBound * size)..<(range.upperBound * size)])
        return (Tensor(shape: [range.count, channels, height, width], storage: storage), Array(labels[range]))
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        let size = imageSize
        var storage = [Float](repeating: 0, count: indices.count * size)
        storage.withUnsafeMutableBufferPointer { output in
            images.storage.withUnsafeBufferPointer { input in
                for (row, index) in indices.enumerated() {
                    output.baseAddress!.advanced(by: row * size)
                        .update(from: input.baseAddress!.advanced(by: index * size), count: size)
                }
            }
        }
        return ImageDataset(images: Tensor(shape: [indices.count, channels, height, width], storage: storage),
                            labels: indices.map { labels[$0] }, classCount: classCount, mean: mean, std: std)
    }

    /// Splits off `count` images for validation, chosen by a seeded permutation
    /// (stream `"data.validation"`); both parts keep the original order of their images.
    public func splitValidation(count validationCount: Int, seed: UInt64) throws -> (train: ImageDataset, validation: ImageDataset) {
        guard validationCount >= 0, validationCount < count else {
            throw FSBError("validation size must be in 0..<\(count) (the training images), found \(validationCount)")
        }
        var generator = SeededGenerator(seed: seed, stream: "data.validation")
        let order = generator.permutation(of: count)
        var isValidation = [Bool](repeating: false, count: count)
        for index in order[0..<validationCount] { isValidation[index] = true }
        let validation = (0..<count).filter { isValidation[$0] }
        let train = (0..<count).filter { !isValidation[$0] }
        return (subset(train), subset(validation))
    }

    /// Splits off `round(fraction * count)` images for validation (see `splitValidation(count:seed:)`).
    public func splitValidation(fraction: Double, seed: UInt64) throws -> (train: ImageDataset, validation: ImageDataset) {
        guard fraction >= 0, fraction < 1 else {
            throw FSBError("validation fraction must be in [0, 1), found \(fraction)")
        }
        return try splitValidation(count: Int((fraction * Double(count)).rounded()), seed: seed)
    }
}
