import FSBCore
import FSBData
import Foundation

/// The datasets of an experiment: training (after any validation hold-out), validation, test.
public struct DataPipeline {
    public var train: ImageDataset
    public var validation: ImageDataset?
    public var test: ImageDataset

    /// `[C, H, W]` of one image.
    public var inputShape: [Int] { Array(train.images.shape.dropFirst()) }
    public var classCount: Int { train.classCount }

    /// Loads and normalises the configured dataset from `dataRoot` (or the config's explicit path).
    public init(_ config: ExperimentConfig, dataRoot: String?) throws {
        let dataset = config.dataset
        let location = try DataLocation.resolve(dataset.name, explicitPath: dataset.path, dataRoot: dataRoot)
        let rawTrain = try DatasetLoader.load(dataset.name, split: .train, from: location,
                                              labels: dataset.cifar100Labels, limit: dataset.trainLimit)
        let rawTest = try DatasetLoader.load(dataset.name, split: .test, from: location,
                                             labels: dataset.cifar100Labels, limit: dataset.testLimit)
        var training = ImageDataset(raw: rawTrain)
        if dataset.validationFraction > 0 {
            try Self.checkHoldOut(dataset, trainingImages: training.count)
            let (kept, heldOut) = try training.splitValidation(fraction: dataset.validationFraction, seed: config.seed)
            training = kept
            validation = heldOut
        } else {
            validation = nil
        }
        train = training
        test = ImageDataset(raw: rawTest)
    }

    /// Throws when `dataset.validationFraction` of `trainingImages` would hold out no image or
    /// every image (the hold-out is the fraction of the images, rounded).
    static func checkHoldOut(_ dataset: DatasetConfig, trainingImages: Int) throws {
        let held = Int((dataset.validationFraction * Double(trainingImages)).rounded())
        guard held >= 1, held < trainingImages else {
            throw ConfigError(file: "", path: "dataset.validationFraction", message: "\(dataset.validationFraction) of the \(trainingImages) training images (dataset.trainLimit \(dataset.trainLimit.map(String.init) ?? "none")) holds out \(held); expected at least 1 validation image and 1 training image")
        }
    }

    /// The batches of one training epoch (shuffled and augmented from the seed).
    public func trainingBatches(_ config: ExperimentConfig, epoch: Int) throws -> EpochBatches {
        let augment = config.dataset.augment
        return try EpochBatches(dataset: train, batchSize: config.training.batchSize, seed: config.seed, epoch: epoch,
                            shuffle: true,
                            augmentation: Augmentation(randomCropPadding: augment.randomCrop ? augment.padding : 0,
                                                       horizontalFlip: augment.horizontalFlip),
                            dropLast: false)
    }
}
