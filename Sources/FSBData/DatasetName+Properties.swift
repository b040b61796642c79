/// Fixed facts about each dataset: image shape, classes, file names, normalisation.
extension DatasetName {
    /// Image channels (1 grey, 3 RGB).
    public var channels: Int { isCIFAR ? 3 : 1 }
    /// Image height in pixels.
    public var height: Int { isCIFAR ? 32 : 28 }
    /// Image width in pixels.
    public var width: Int { isCIFAR ? 32 : 28 }
    /// Bytes of one image (`channels * height * width`).
    public var imageBytes: Int { channels * height * width }

    /// True for the two CIFAR datasets (binary record files), false for the IDX ones.
    public var isCIFAR: Bool { self == .cifar10 || self == .cifar100 }

    /// Number of classes (CIFAR-100 depends on the label kind).
    public func classCount(labels: CIFAR100LabelKind = .fine) -> Int {
        switch self {
        case .mnist, .fashionMNIST, .cifar10: return 10
        case .cifar100: return labels == .fine ? 100 : 20
        }
    }

    /// The original file names of a split, without `.gz`, in reading order.
    /// IDX datasets: images then labels.
    public func fileNames(_ split: DatasetSplit) -> [String] {
        switch (self, split) {
        case (.mnist, .train), (.fashionMNIST, .train):
            return ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
        case (.mnist, .test), (.fashionMNIST, .test):
            return ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        case (.cifar10, .train):
            return (1...5).map { "data_batch_\($0).bin" }
        case (.cifar10, .test):
            return ["test_batch.bin"]
        case (.cifar100, .train):
            return ["train.bin"]
        case (.cifar100, .test):
            return ["test.bin"]
        }
    }

    /// All original file names, train then test.
    public var allFileNames: [String] { fileNames(.train) + fileNames(.test) }

    /// The official tarball name (CIFAR only).
    public var officialTarballName: String? {
        switch self {
        case .cifar10: return "cifar-10-binary.tar.gz"
        case .cifar100: return "cifar-100-binary.tar.gz"
        case .mnist, .fashionMNIST: return nil
        }
    }

    /// The folder inside the official tarball (CIFAR only).
    public var officialFolderName: String? {
        switch self {
        case .cifar10: return "cifar-10-batches-bin"
        case .cifar100: return "cifar-100-binary"
        case .mnist, .fashionMNIST: return nil
        }
    }

    /// Images in the official split.
    public func officialCount(_ split: DatasetSplit) -> Int {
        switch (self, split) {
        case (.mnist, .train), (.fashionMNIST, .train): return 60_000
        case (.cifar10, .train), (.cifar100, .train): return 50_000
        case (_, .test): return 10_000
        }
    }

    /// Per-channel mean of the training pixels scaled to [0, 1] (the values used by the
    /// common PyTorch recipes).
    public var channelMean: [Float] {
        switch self {
        case .mnist: return [0.1307]
        case .fashionMNIST: return [0.2860]
        case .cifar10: return [0.4914, 0.4822, 0.4465]
        case .cifar100: return [0.5071, 0.4865, 0.4409]
        }
    }

    /// Per-channel standard deviation of the training pixels scaled to [0, 1].
    public var channelStd: [Float] {
        switch self {
        case .mnist: return [0.3081]
        case .fashionMNIST: return [0.3530]
        case .cifar10: return [0.2470, 0.2435, 0.2616]
        case .cifar100: return [0.2673, 0.2564, 0.2762]
        }
    }

    /// Class names for the 10-class datasets (index = label); nil for CIFAR-100.
    public var classNames: [String]? {
        switch self {
        case .mnist: return (0...9).map { "digit \($0)" }
        case .fashionMNIST:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .cifar10:
            return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .cifar100: return nil
        }
    }
}
