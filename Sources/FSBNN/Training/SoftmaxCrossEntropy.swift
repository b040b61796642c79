import FSBCore
import Foundation

/// Softmax cross-entropy over logits `[N, classes]` with integer labels, numerically
/// stable (max-subtracted log-sum-exp), with optional label smoothing
/// (Szegedy et al. 2016: target = (1 - e) * onehot + e / classes).
public enum SoftmaxCrossEntropy {
    /// Result of one evaluation.
    public struct Result {
        /// Mean loss over the batch.
        public var loss: Double
        /// Gradient of the mean loss with respect to the logits, `[N, classes]`.
        public var dLogits: Tensor
        /// Number of rows whose arg-max equals the label (ties go to the lowest index).
        public var correct: Int
    }

    /// Loss, gradient and correct count for a batch.
    public static func evaluate(logits: Tensor, labels: [Int32], labelSmoothing: Float = 0) -> Result {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "logits \(logits.shape) vs \(labels.count) labels")
        let rows = logits.shape[0], classes = logits.shape[1]
        var dLogits = Tensor(shape: logits.shape)
        var totalLoss: Double = 0
        var correct = 0
        let offValue = labelSmoothing / Float(classes)
        let onValue = 1 - labelSmoothing + offValue
        logits.storage.withUnsafeBufferPointer { z in
            dLogits.storage.withUnsafeMutableBufferPointer { d in
                for r in 0..<rows {
                    let row = r * classes
                    var maximum = z[row], best = 0
                    for c in 1..<classes where z[row + c] > maximum { maximum = z[row + c]; best = c }
                    var sum: Double = 0
                    for c in 0..<classes { sum += exp(Double(z[row + c] - maximum)) }
                    let logSum = log(sum) + Double(maximum)
                    let label = Int(labels[r])
                    if best == label { correct += 1 }
                    for c in 0..<classes {
                        let target = c == label ? onValue : offValue
                        let logProbability = Double(z[row + c]) - logSum
                        if target != 0 { totalLoss -= Double(target) * logProbability }
                        d[row + c] = (Float(exp(logProbability)) - target) / Float(rows)
                    }
                }
            }
        }
        return Result(loss: totalLoss / Double(max(1, rows)), dLogits: dLogits, correct: correct)
    }
}
