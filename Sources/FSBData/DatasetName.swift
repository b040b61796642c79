/// The image-classification datasets fsb reads. The raw value is the folder name under
/// the data root and the name used on the command line and in configs.
public enum DatasetName: String, CaseIterable, Codable, Sendable {
    /// MNIST handwritten digits (LeCun, Cortes, Burges 1998): 1x28x28, 10 classes, IDX files.
    case mnist
    /// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 1x28x28, 10 classes, IDX files.
    case fashionMNIST = "fashion-mnist"
    /// CIFAR-10 (Krizhevsky 2009): 3x32x32, 10 classes, binary batches.
    case cifar10 = "cifar-10"
    /// CIFAR-100 (Krizhevsky 2009): 3x32x32, 100 fine / 20 coarse classes, binary files.
    case cifar100 = "cifar-100"
}

/// Which part of a dataset: the official training or test files.
public enum DatasetSplit: String, CaseIterable, Codable, Sendable {
    case train, test
}

/// Which CIFAR-100 label a record contributes: one of 100 fine classes or 20 superclasses.
public enum CIFAR100LabelKind: String, CaseIterable, Codable, Sendable {
    case fine, coarse
}
