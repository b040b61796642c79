import FSBCore
import Foundation

/// The tests' own mean softmax cross-entropy over logits `[N, C]` (the trainer's loss lives
/// in FSBNN and is not used here): the loss and its gradient w.r.t. the logits.
enum TestLoss {
    static func softmaxCrossEntropy(_ logits: Tensor, labels: [Int]) -> (loss: Double, dLogits: Tensor) {
        let n = logits.shape[0], c = logits.shape[1]
        var d = Tensor(shape: logits.shape)
        var loss: Double = 0
        for i in 0..<n {
            var maxLogit = -Float.infinity
            for j in 0..<c { maxLogit = max(maxLogit, logits[i * c + j]) }
            var total: Double = 0
            for j in 0..<c { total += exp(Double(logits[i * c + j] - maxLogit)) }
            for j in 0..<c {
                let p = exp(Double(logits[i * c + j] - maxLogit)) / total
                d[i * c + j] = Float((p - (j == labels[i] ? 1 : 0)) / Double(n))
            }
            loss += (log(total) - Double(logits[i * c + labels[i]] - maxLogit)) / Double(n)
        }
        return (loss, d)
    }
}
