/// Fixed facts about each dataset, read from its `DatasetDescriptor`.
extension DatasetName {
    /// Image channels (1 grey, 3 RGB).
    public var channels: Int { descriptor.channels }
    /// Image height in pixels.
    public var height: Int { descriptor.height }
    /// Image width in pixels.
    public var width: Int { descriptor.width }
    /// Bytes of one image (`channels * height * width`).
    public var imageBytes: Int { channels * height * width }

    /// True for the two CIFAR datasets (binary record files), false for the IDX ones.
    public var isCIFAR: Bool { descriptor.format == .cifar }

    /// Number of classes (CIFAR-100 depends on the label kind).
    public func classCount(labels: CIFAR100LabelKind = .fine) -> Int {
        labels == .coarse ? descriptor.coarseClassCount ?? descriptor.fineClassCount : descriptor.fineClassCount
    }

    /// The original file names of a split, without `.gz`, in reading order.
    /// IDX datasets: images then labels.
    public func fileNames(_ split: DatasetSplit) -> [String] {
        split == .train ? descriptor.trainFiles : descriptor.testFiles
    }

    /// All original file names, train then test.
    public var allFileNames: [String] { fileNames(.train) + fileNames(.test) }

    /// The official tarball name (CIFAR only).
    public var officialTarballName: String? { descriptor.tarballName }

    /// The folder inside the official tarball (CIFAR only).
    public var officialFolderName: String? { descriptor.tarballFolder }

    /// Images in the official split.
    public func officialCount(_ split: DatasetSplit) -> Int {
        split == .train ? descriptor.trainCount : descriptor.testCount
    }

    /// Per-channel mean of the training pixels scaled to [0, 1] (the values used by the
    /// common PyTorch recipes).
    public var channelMean: [Float] { descriptor.channelMean }

    /// Per-channel standard deviation of the training pixels scaled to [0, 1].
    public var channelStd: [Float] { descriptor.channelStd }

    /// Class names for the 10-class datasets (index = label); nil for CIFAR-100.
    public var classNames: [String]? { descriptor.classNames }
}
