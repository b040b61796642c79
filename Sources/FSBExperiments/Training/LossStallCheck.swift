import Foundation

/// The check after epoch 1 that the network is learning at all: a freshly initialised
/// classifier predicts about uniformly, so its loss starts near ln(classes); a training
/// loss still within 5% of that after a whole epoch means training has not moved (a
/// diverged learning rate, a network without BatchNorm at a high rate, ...). An epoch of
/// fewer than `minimumSteps` optimizer steps is too short to judge and gives no warning.
public enum LossStallCheck {
    /// Fraction of ln(classes) above which the loss counts as not having moved.
    static let threshold = 0.95
    /// Optimizer steps an epoch needs before its loss is judged.
    static let minimumSteps = 20

    /// The warning to print after epoch 1 (of `steps` optimizer steps), or nil when the loss has moved.
    public static func warning(epochOneTrainLoss loss: Double, trainAccuracy: Double, classCount: Int, steps: Int) -> String? {
        let chance = log(Double(max(classCount, 2)))
        guard steps >= minimumSteps, loss >= threshold * chance else { return nil }
        return String(format: "warning: after epoch 1 the training loss is %.4f (accuracy %.2f%%), not below the loss of an untrained network (ln %d = %.4f): "
                      + "training is not making progress; try a lower training.optimizer.learningRate, model.batchNorm true, or another training.optimizer.kind",
                      loss, trainAccuracy, classCount, chance)
    }
}
