/// Training-time image augmentation, applied per image in this order (as in the usual
/// torchvision CIFAR recipe `RandomCrop(32, padding: 4)`, `RandomHorizontalFlip()`):
///
/// 1. random crop: pad each side by `randomCropPadding` pixels with the value of a raw 0 pixel
///    (after normalisation that is `-mean[c]/std[c]`, see `ImageDataset.paddingValues`),
///    then cut an `H x W` window whose top-left corner is uniform in `0...2*randomCropPadding`
///    (row drawn first, then column);
/// 2. horizontal flip with probability 1/2.
public struct Augmentation: Equatable, Codable, Sendable {
    /// Zero-pixel padding of the random crop; 0 disables the crop.
    public var randomCropPadding: Int
    /// Mirror left-right with probability 1/2.
    public var horizontalFlip: Bool

    public init(randomCropPadding: Int = 0, horizontalFlip: Bool = false) {
        self.randomCropPadding = randomCropPadding
        self.horizontalFlip = horizontalFlip
    }

    /// No augmentation.
    public static let none = Augmentation()
    /// The standard CIFAR augmentation: crop with padding 4 and horizontal flips.
    public static let standardCIFAR = Augmentation(randomCropPadding: 4, horizontalFlip: true)

    /// True when no transformation is applied.
    public var isIdentity: Bool { randomCropPadding == 0 && !horizontalFlip }
}
