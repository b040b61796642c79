/// Everything fixed about one dataset, in one value: image shape, classes, the original
/// files of each split with their counts, the official tarball, normalisation, class
/// names, format and the reference checksums of the uncompressed files. `DatasetName`'s
/// properties (`DatasetName+Properties.swift`) read it; a new dataset is one more value here.
public struct DatasetDescriptor: Sendable {
    /// How the files are read.
    public enum Format: Sendable {
        /// IDX files (LeCun et al.): an images file and a labels file per split.
        case idx
        /// CIFAR binary records (label byte(s) then the 3x32x32 image).
        case cifar
    }

    public let format: Format
    /// Image channels (1 grey, 3 RGB), height and width in pixels.
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Classes of the fine labels, and of the coarse ones (CIFAR-100 only).
    public let fineClassCount: Int
    public let coarseClassCount: Int?
    /// The original file names of each split, without `.gz`, in reading order (IDX: images
    /// then labels).
    public let trainFiles: [String]
    public let testFiles: [String]
    /// Images in each official split.
    public let trainCount: Int
    public let testCount: Int
    /// The official tarball and the folder inside it (CIFAR only).
    public let tarballName: String?
    public let tarballFolder: String?
    /// Per-channel mean and standard deviation of the training pixels scaled to [0, 1] (the
    /// values of the common PyTorch recipes).
    public let channelMean: [Float]
    public let channelStd: [Float]
    /// Class names by label for the 10-class datasets; nil for CIFAR-100.
    public let classNames: [String]?
    /// Uncompressed size and SHA-256 of the original files, by file name (the table and
    /// its sources are in `OfficialChecksums.swift`); empty when none are known.
    public let checksums: [String: OfficialChecksums.Entry]
}

extension DatasetName {
    /// The dataset's descriptor.
    public var descriptor: DatasetDescriptor {
        switch self {
        case .mnist: return .mnist
        case .fashionMNIST: return .fashionMNIST
        case .cifar10: return .cifar10
        case .cifar100: return .cifar100
        }
    }
}

extension DatasetDescriptor {
    /// The two 28x28 grey IDX datasets: the same files, counts and 10 classes.
    private static func idx(mean: Float, std: Float, classNames: [String],
                            checksums: [String: OfficialChecksums.Entry]) -> DatasetDescriptor {
        DatasetDescriptor(format: .idx, channels: 1, height: 28, width: 28, fineClassCount: 10, coarseClassCount: nil,
                          trainFiles: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
                          testFiles: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], trainCount: 60_000,
                          testCount: 10_000, tarballName: nil, tarballFolder: nil, channelMean: [mean], channelStd: [std],
                          classNames: classNames, checksums: checksums)
    }

    /// MNIST handwritten digits (LeCun, Cortes, Burges 1998).
    public static let mnist = idx(mean: 0.1307, std: 0.3081, classNames: (0...9).map { "digit \($0)" },
                                  checksums: OfficialChecksums.table[.mnist] ?? [:])

    /// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017).
    public static let fashionMNIST = idx(
        mean: 0.2860, std: 0.3530,
        classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        checksums: OfficialChecksums.table[.fashionMNIST] ?? [:])

    /// CIFAR-10 (Krizhevsky 2009).
    public static let cifar10 = DatasetDescriptor(
        format: .cifar, channels: 3, height: 32, width: 32, fineClassCount: 10, coarseClassCount: nil,
        trainFiles: (1...5).map { "data_batch_\($0).bin" }, testFiles: ["test_batch.bin"], trainCount: 50_000,
        testCount: 10_000, tarballName: "cifar-10-binary.tar.gz", tarballFolder: "cifar-10-batches-bin",
        channelMean: [0.4914, 0.4822, 0.4465], channelStd: [0.2470, 0.2435, 0.2616],
        classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        checksums: OfficialChecksums.table[.cifar10] ?? [:])

    /// CIFAR-100 (Krizhevsky 2009): 100 fine and 20 coarse classes; no reference digests.
    public static let cifar100 = DatasetDescriptor(
        format: .cifar, channels: 3, height: 32, width: 32, fineClassCount: 100, coarseClassCount: 20,
        trainFiles: ["train.bin"], testFiles: ["test.bin"], trainCount: 50_000, testCount: 10_000,
        tarballName: "cifar-100-binary.tar.gz", tarballFolder: "cifar-100-binary",
        channelMean: [0.5071, 0.4865, 0.4409], channelStd: [0.2673, 0.2564, 0.2762], classNames: nil,
        checksums: [:])
}
