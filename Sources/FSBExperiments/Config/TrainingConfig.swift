import FSBCore
import FSBNN

/// The `training` section: epochs, batch size, optimizer, schedule, regularisation.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The documented ranges of the section's numbers (`--epochs` uses `epochRange`).
    public static let epochRange = ValueRange(1...100_000)
    public static let batchSizeRange = ValueRange(1...65_536)
    public static let threadRange = ValueRange(1...256)
    public static let labelSmoothingRange = ValueRange(0.0, 1.0, upperIncluded: false)
    public static let clipNormRange = ValueRange(0.0, 1e6, lowerIncluded: false)

    /// Number of epochs (1...100000, default 10).
    public var epochs: Int
    /// Mini-batch size (1...65536, default 128).
    public var batchSize: Int
    /// Batch size used for evaluation (1...65536, default 500).
    public var evalBatchSize: Int
    public var optimizer: OptimizerConfig
    public var schedule: ScheduleConfig
    /// Label smoothing in [0, 1) (default 0).
    public var labelSmoothing: Double
    /// Clip gradients to this global L2 norm, in (0, 1e6], or absent for no clipping.
    public var gradientClipNorm: Double?
    /// Worker threads for the kernels (1...256; default: all cores). Results are identical
    /// for the same thread count.
    public var threads: Int?
    /// Arithmetic of the convolution and linear products (default `fp32`; see `Precision`).
    public var precision: Precision = .fp32

    /// `training.precision`: `fp32`, or `bf16` mixed precision (bfloat16 operands of the
    /// products, float32 accumulation; weights, factors, BatchNorm, loss and optimizer state
    /// stay float32). bf16 needs a CPU with AMX-BF16 or AVX512-BF16 (`PrecisionResolution`).
    public enum Precision: String, CaseIterable, Codable, Sendable { case fp32, bf16 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, batchSize, evalBatchSize, optimizer, schedule, labelSmoothing, gradientClipNorm, threads, precision
    }

    /// Every default for an architecture (`ArchitectureDefaults`).
    public static func defaults(for architecture: ModelConfig.Architecture) -> TrainingConfig {
        TrainingConfig(epochs: 10, batchSize: 128, evalBatchSize: 500,
                       optimizer: OptimizerConfig(defaults: .of(architecture)), schedule: ScheduleConfig(),
                       labelSmoothing: 0, gradientClipNorm: nil, threads: nil)
    }

    public init(epochs: Int, batchSize: Int, evalBatchSize: Int, optimizer: OptimizerConfig, schedule: ScheduleConfig,
                labelSmoothing: Double, gradientClipNorm: Double?, threads: Int?) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.evalBatchSize = evalBatchSize
        self.optimizer = optimizer
        self.schedule = schedule
        self.labelSmoothing = labelSmoothing
        self.gradientClipNorm = gradientClipNorm
        self.threads = threads
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, defaults: .generic)
    }

    /// Decodes the section with the optimizer defaults of an architecture.
    init(from decoder: Decoder, defaults: ArchitectureDefaults) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs, default: 10, check: Self.epochRange.check)
        batchSize = try c.decode(Int.self, forKey: .batchSize, default: 128, check: Self.batchSizeRange.check)
        evalBatchSize = try c.decode(Int.self, forKey: .evalBatchSize, default: 500, check: Self.batchSizeRange.check)
        optimizer = c.contains(.optimizer)
            ? try OptimizerConfig(from: try c.superDecoder(forKey: .optimizer), defaults: defaults)
            : OptimizerConfig(defaults: defaults)
        schedule = try c.decodeIfPresent(ScheduleConfig.self, forKey: .schedule) ?? ScheduleConfig()
        labelSmoothing = try c.decode(Double.self, forKey: .labelSmoothing, default: 0, check: Self.labelSmoothingRange.check)
        gradientClipNorm = try c.decodeOptional(Double.self, forKey: .gradientClipNorm, check: Self.clipNormRange.check)
        threads = try c.decodeOptional(Int.self, forKey: .threads, check: Self.threadRange.check)
        precision = try c.decodeChoice(Precision.self, forKey: .precision, default: .fp32)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(evalBatchSize, forKey: .evalBatchSize)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encode(gradientClipNorm, forKey: .gradientClipNorm)
        try c.encode(threads, forKey: .threads)
        try c.encode(precision, forKey: .precision)
    }
}

/// The `training.optimizer` section.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    /// `sgd`, `adam` or `adamw` (default per architecture: `ArchitectureDefaults`).
    public enum Kind: String, CaseIterable, Codable, Sendable { case sgd, adam, adamw }

    /// The documented ranges of the section's numbers.
    public static let learningRateRange = ValueRange(0.0, 1e9, lowerIncluded: false)
    public static let unitRange = ValueRange(0.0, 1.0, upperIncluded: false)
    public static let weightDecayRange = ValueRange(0.0, 10.0)
    public static let epsilonRange = ValueRange(0.0, 1.0, lowerIncluded: false)

    public var kind: Kind
    /// Base learning rate, in (0, 1e9] (default sgd 0.1, adam/adamw 0.002).
    public var learningRate: Double
    /// SGD momentum in [0, 1) (default 0.9).
    public var momentum: Double
    /// Nesterov momentum for SGD (default: true for VGG-small and ResNets, else false).
    public var nesterov: Bool
    /// Weight decay, in [0, 10] (default 5e-4 for VGG-small and ResNets with sgd, else 0): L2 for
    /// sgd/adam, decoupled for adamw.
    public var weightDecay: Double
    /// Parameter roles that are decayed (default `["weight"]`: never FSB factors,
    /// BatchNorm or biases unless listed). Roles: weight, bias, normalization, scalingFactor.
    public var weightDecayOn: [String]
    /// Adam's beta1 and beta2 in [0, 1) (defaults 0.9, 0.999) and epsilon in (0, 1] (default 1e-8).
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, learningRate, momentum, nesterov, weightDecay, weightDecayOn, beta1, beta2, epsilon
    }

    /// The optimizer of an architecture's defaults (`ArchitectureDefaults`).
    public init(defaults: ArchitectureDefaults) {
        kind = defaults.optimizerKind
        learningRate = ArchitectureDefaults.learningRate(for: kind)
        momentum = 0.9
        nesterov = kind == .sgd && defaults.nesterov
        weightDecay = defaults.weightDecay
        weightDecayOn = ["weight"]
        beta1 = 0.9
        beta2 = 0.999
        epsilon = 1e-8
    }

    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, defaults: .generic)
    }

    /// Decodes the section; absent fields take the architecture's defaults when `kind` is
    /// the architecture's optimizer, else that kind's plain defaults.
    init(from decoder: Decoder, defaults: ArchitectureDefaults) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeChoice(Kind.self, forKey: .kind, default: defaults.optimizerKind)
        let recipe = kind == defaults.optimizerKind
        learningRate = try c.decode(Double.self, forKey: .learningRate, default: ArchitectureDefaults.learningRate(for: kind),
                                    check: Self.learningRateRange.check)
        momentum = try c.decode(Double.self, forKey: .momentum, default: 0.9, check: Self.unitRange.check)
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? (recipe && kind == .sgd && defaults.nesterov && momentum > 0)
        if nesterov && momentum == 0 {
            throw DecodingError.dataCorruptedError(forKey: .nesterov, in: c, debugDescription: "needs momentum > 0, got momentum 0")
        }
        if kind != .sgd && (c.contains(.momentum) || c.contains(.nesterov)) {
            throw DecodingError.dataCorruptedError(forKey: c.contains(.momentum) ? .momentum : .nesterov, in: c,
                debugDescription: "only applies to kind \"sgd\", got kind \"\(kind.rawValue)\"")
        }
        weightDecay = try c.decode(Double.self, forKey: .weightDecay, default: recipe ? defaults.weightDecay : 0,
                                   check: Self.weightDecayRange.check)
        weightDecayOn = try c.decodeIfPresent([String].self, forKey: .weightDecayOn) ?? ["weight"]
        for (index, role) in weightDecayOn.enumerated() where ParameterRole(rawValue: role) == nil {
            let allowed = ParameterRole.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            var list = try c.nestedUnkeyedContainer(forKey: .weightDecayOn)
            for _ in 0..<index { _ = try list.decode(String.self) }
            throw DecodingError.dataCorruptedError(in: list, debugDescription: "expected one of \(allowed), got \"\(role)\"")
        }
        beta1 = try c.decode(Double.self, forKey: .beta1, default: 0.9, check: Self.unitRange.check)
        beta2 = try c.decode(Double.self, forKey: .beta2, default: 0.999, check: Self.unitRange.check)
        epsilon = try c.decode(Double.self, forKey: .epsilon, default: 1e-8, check: Self.epsilonRange.check)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(learningRate, forKey: .learningRate)
        if kind == .sgd {
            try c.encode(momentum, forKey: .momentum)
            try c.encode(nesterov, forKey: .nesterov)
        }
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(weightDecayOn, forKey: .weightDecayOn)
        try c.encode(beta1, forKey: .beta1)
        try c.encode(beta2, forKey: .beta2)
        try c.encode(epsilon, forKey: .epsilon)
    }

    /// Builds the engine's optimizer.
    public func makeOptimizer() -> Optimizer {
        let roles = Set(weightDecayOn.compactMap(ParameterRole.init(rawValue:)))
        let decay = WeightDecayPolicy(coefficient: Float(weightDecay), roles: roles)
        switch kind {
        case .sgd: return SGD(momentum: Float(momentum), nesterov: nesterov, weightDecay: decay)
        case .adam: return Adam(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon), weightDecay: decay)
        case .adamw: return Adam(beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon), weightDecay: decay, decoupled: true)
        }
    }
}

/// The `training.schedule` section.
public struct ScheduleConfig: Codable, Equatable, Sendable {
    /// `constant`, `step`, `cosine` (default) or `one-cycle`.
    public enum Kind: String, CaseIterable, Codable, Sendable {
        case constant, step, cosine, oneCycle = "one-cycle"
    }

    /// The documented ranges of the section's numbers (epoch counts are checked against
    /// `training.epochs` by `ExperimentConfig`).
    public static let gammaRange = ValueRange(0.0, 1.0, lowerIncluded: false)
    public static let minimumRateRange = ValueRange(0.0, 1000.0)
    public static let pctStartRange = ValueRange(0.0, 1.0, lowerIncluded: false, upperIncluded: false)
    public static let divFactorRange = ValueRange(1.0, 1e12)

    public var kind: Kind
    /// Linear warm-up epochs (0...epochs-1, default 0; not with one-cycle).
    public var warmupEpochs: Int
    /// `step`: epochs at which the rate is multiplied by `gamma` (strictly increasing).
    public var milestones: [Int]
    /// `step`: the factor, in (0, 1] (default 0.1).
    public var gamma: Double
    /// `cosine`: the final rate (>= 0, default 0).
    public var minimumLearningRate: Double
    /// `one-cycle`: fraction of steps rising (default 0.3), initial divisor (25) and final divisor (1e4).
    public var pctStart: Double
    public var divFactor: Double
    public var finalDivFactor: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, warmupEpochs, milestones, gamma, minimumLearningRate, pctStart, divFactor, finalDivFactor
    }

    public init() {
        kind = .cosine
        warmupEpochs = 0
        milestones = []
        gamma = 0.1
        minimumLearningRate = 0
        pctStart = 0.3
        divFactor = 25
        finalDivFactor = 1e4
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeChoice(Kind.self, forKey: .kind, default: .cosine)
        warmupEpochs = try c.decode(Int.self, forKey: .warmupEpochs, default: 0, check: ValueRange(0...TrainingConfig.epochRange.upper).check)
        if kind == .oneCycle && warmupEpochs > 0 {
            throw DecodingError.dataCorruptedError(forKey: .warmupEpochs, in: c,
                debugDescription: "one-cycle has its own warm-up; must be 0")
        }
        milestones = try c.decodeIfPresent([Int].self, forKey: .milestones) ?? []
        if kind == .step && milestones.isEmpty {
            throw DecodingError.keyNotFound(CodingKeys.milestones, .init(codingPath: c.codingPath,
                debugDescription: "required for kind \"step\""))
        }
        if zip(milestones, milestones.dropFirst()).contains(where: { $0 >= $1 }) || milestones.contains(where: { $0 < 1 }) {
            throw DecodingError.dataCorruptedError(forKey: .milestones, in: c,
                debugDescription: "must be strictly increasing epochs >= 1, got \(milestones)")
        }
        gamma = try c.decode(Double.self, forKey: .gamma, default: 0.1, check: Self.gammaRange.check)
        minimumLearningRate = try c.decode(Double.self, forKey: .minimumLearningRate, default: 0, check: Self.minimumRateRange.check)
        pctStart = try c.decode(Double.self, forKey: .pctStart, default: 0.3, check: Self.pctStartRange.check)
        divFactor = try c.decode(Double.self, forKey: .divFactor, default: 25, check: Self.divFactorRange.check)
        finalDivFactor = try c.decode(Double.self, forKey: .finalDivFactor, default: 1e4, check: Self.divFactorRange.check)
    }

    /// The engine's schedule for a base learning rate.
    public func schedule(baseLearningRate: Double) -> LearningRateSchedule {
        let shape: LearningRateSchedule.Kind
        switch kind {
        case .constant: shape = .constant
        case .step: shape = .step(milestones: milestones, gamma: gamma)
        case .cosine: shape = .cosine(minimum: minimumLearningRate)
        case .oneCycle: shape = .oneCycle(pctStart: pctStart, divFactor: divFactor, finalDivFactor: finalDivFactor)
        }
        return LearningRateSchedule(base: baseLearningRate, kind: shape, warmupEpochs: warmupEpochs)
    }
}
