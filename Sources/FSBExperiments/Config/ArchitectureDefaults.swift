/// The defaults that depend on the architecture, in one place (the README's defaults table
/// and `configs/schema/experiment.schema.json` describe these values; tests keep them equal).
///
/// Chosen so that a config naming only `dataset.name` and `model.architecture` trains for
/// every method (fp, binaryconnect, bwn, fsb):
/// - every architecture uses BatchNorm (without it, SGD 0.1 with momentum leaves LeNet-5 at
///   chance level);
/// - LeNet-5 and the MLP train with Adam, learning rate 0.002 (the recipe of the MNIST
///   results: 99.0-99.2% on full MNIST for every method in 15 epochs);
/// - VGG-small and the ResNets train with SGD 0.1, Nesterov momentum 0.9 and weight decay
///   5e-4 on weights (the converged CIFAR-10 recipe, He et al. 2016).
///
/// A default that belongs to an optimizer applies only when the config keeps the
/// architecture's optimizer kind: choosing another `kind` gives that kind's learning rate
/// (`learningRate(for:)`), no weight decay and no Nesterov momentum.
public struct ArchitectureDefaults: Equatable, Sendable {
    /// `model.batchNorm`.
    public var batchNorm: Bool
    /// `training.optimizer.kind`.
    public var optimizerKind: OptimizerConfig.Kind
    /// `training.optimizer.nesterov` (sgd only).
    public var nesterov: Bool
    /// `training.optimizer.weightDecay`.
    public var weightDecay: Double

    /// The defaults of one architecture.
    public static func of(_ architecture: ModelConfig.Architecture) -> ArchitectureDefaults {
        switch architecture {
        case .mlp, .lenet5:
            return ArchitectureDefaults(batchNorm: true, optimizerKind: .adam, nesterov: false, weightDecay: 0)
        case .vggSmall, .resnet20, .resnet32, .resnet56:
            return ArchitectureDefaults(batchNorm: true, optimizerKind: .sgd, nesterov: true, weightDecay: 5e-4)
        }
    }

    /// The default learning rate of an optimizer kind: sgd 0.1, adam and adamw 0.002.
    public static func learningRate(for kind: OptimizerConfig.Kind) -> Double {
        kind == .sgd ? 0.1 : 0.002
    }

    /// Defaults used when a config is decoded without a known architecture.
    static let generic = ArchitectureDefaults(batchNorm: true, optimizerKind: .sgd, nesterov: false, weightDecay: 0)
}
