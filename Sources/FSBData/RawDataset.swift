/// A decoded dataset split as stored on disk: `UInt8` pixels in NCHW order and one
/// label per image.
///
/// `pixels.count == count * channels * height * width`; image `i` occupies
/// `pixels[i * imageBytes ..< (i + 1) * imageBytes]`, channel planes one after the other,
/// rows top to bottom. Labels are in `0..<classCount`.
public struct RawDataset: Sendable {
    public let name: DatasetName
    public let split: DatasetSplit
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let classCount: Int
    public let pixels: [UInt8]
    public let labels: [Int32]
    /// Files (or `archive:member`) the data came from, in reading order.
    public let sourceFiles: [String]

    public init(name: DatasetName, split: DatasetSplit, count: Int, channels: Int, height: Int, width: Int,
                classCount: Int, pixels: [UInt8], labels: [Int32], sourceFiles: [String]) {
        precondition(pixels.count == count * channels * height * width && labels.count == count,
                     "RawDataset: \(pixels.count) pixels and \(labels.count) labels for \(count) images of \(channels)x\(height)x\(width)")
        self.name = name
        self.split = split
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.classCount = classCount
        self.pixels = pixels
        self.labels = labels
        self.sourceFiles = sourceFiles
    }

    /// Bytes of one image.
    public var imageBytes: Int { channels * height * width }

    /// Images per class: `histogram[k]` is the number of labels equal to `k`.
    public func classHistogram() -> [Int] {
        Self.histogram(labels, classCount: classCount)
    }

    /// Counts of each label value in `0..<classCount` (values outside are ignored).
    public static func histogram(_ labels: [Int32], classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 && Int(label) < classCount { counts[Int(label)] += 1 }
        return counts
    }
}
