/// What model to build: architecture, width, normalisation, shortcut, dropout and the
/// per-layer weight methods (see `ModelFactory`).
public struct ModelSpec: Equatable, Sendable {
    /// The network families of the experiments.
    public enum Architecture: Equatable, Hashable, Sendable {
        /// Flatten, then `Linear(h) [BN] ReLU [Dropout]` per hidden size, then `fc`.
        case mlp(hidden: [Int])
        /// LeCun et al. 1998 (modern variant with ReLU and max-pooling).
        case lenet5
        /// The VGG-small CIFAR network of the binary-network literature (e.g. LQ-Nets, ECCV 2018).
        case vggSmall
        /// CIFAR ResNet of He et al. (CVPR 2016), depth `6n + 2` (20, 32, 56, ...).
        case resnet(depth: Int)
    }

    public var architecture: Architecture
    /// Scales every hidden channel / feature count (rounded, at least 1).
    public var widthMultiplier: Double
    /// BatchNorm after convs (and hidden fc) for MLP and LeNet; VGG and ResNet always use it.
    public var batchNorm: Bool
    public var shortcut: ShortcutOption
    /// Dropout rate before the classifier (and after hidden fc layers of MLP/LeNet); 0 = none.
    public var dropout: Double
    public var methods: MethodPlan

    public init(architecture: Architecture, widthMultiplier: Double = 1, batchNorm: Bool = false,
                shortcut: ShortcutOption = .optionA, dropout: Double = 0,
                methods: MethodPlan = MethodPlan(default: .fp)) {
        self.architecture = architecture
        self.widthMultiplier = widthMultiplier
        self.batchNorm = batchNorm
        self.shortcut = shortcut
        self.dropout = dropout
        self.methods = methods
    }
}
