import FSBCore
import FSBData
import FSBNN

/// Evaluates a network on a dataset in inference mode: mean loss, accuracy, confusion matrix.
public enum Evaluator {
    /// What an evaluation measured.
    public struct Result: Equatable, Sendable {
        /// Mean cross-entropy over the images.
        public var loss: Double
        public var correct: Int
        public var count: Int
        /// `confusion[label][predicted]`.
        public var confusion: [[Int]]

        /// Accuracy in percent.
        public var accuracy: Double { accuracyPercent(correct: correct, total: count) }

        /// Accuracy of each class in percent (nil for a class with no images).
        public var perClassAccuracy: [Double?] {
            confusion.enumerated().map { label, row in
                let total = row.reduce(0, +)
                return total == 0 ? nil : accuracyPercent(correct: row[label], total: total)
            }
        }
    }

    /// The predicted class of row `row` of logits `[n, classes]`: the first largest logit
    /// (the one definition used by accuracy, confusion matrix, logits and predictions files).
    public static func predictedClass(_ logits: UnsafeBufferPointer<Float>, row: Int, classes: Int) -> Int {
        var best = 0
        for c in 1..<classes where logits[row * classes + c] > logits[row * classes + best] { best = c }
        return best
    }

    /// Runs the whole dataset through the network in batches of `batchSize`, in order;
    /// `onLogits`, when given, sees each batch's first image index and logits `[n, classes]`.
    public static func evaluate(_ network: Network, on dataset: ImageDataset, batchSize: Int,
                                onLogits: ((_ start: Int, _ logits: Tensor) -> Void)? = nil) -> Result {
        let count = dataset.labels.count
        let classes = dataset.classCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var lossSum: Double = 0
        var correct = 0
        var start = 0
        while start < count {
            let end = min(count, start + batchSize)
            let (images, labels) = dataset.slice(start..<end)
            let logits = network.forward(images, training: false)
            onLogits?(start, logits)
            let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
            lossSum += result.loss * Double(end - start)
            correct += result.correct
            logits.storage.withUnsafeBufferPointer { z in
                for row in 0..<(end - start) {
                    confusion[Int(labels[row])][predictedClass(z, row: row, classes: classes)] += 1
                }
            }
            start = end
        }
        return Result(loss: count == 0 ? 0 : lossSum / Double(count), correct: correct, count: count, confusion: confusion)
    }
}
