import FSBCore

/// The JSON header of a checkpoint: config, progress, generator states and the tensor directory.
public struct CheckpointHeader: Codable, Equatable {
    /// What a stored tensor is.
    public enum TensorKind: String, Codable, Sendable {
        case parameter, buffer, optimizer, signs
    }

    /// How a tensor's bytes are stored.
    public enum DType: String, Codable, Sendable {
        /// IEEE-754 float32, little-endian.
        case f32
        /// One bit per element, set = -1, clear = +1, least significant bit first.
        case sign1
    }

    /// One tensor of the data section.
    public struct TensorEntry: Codable, Equatable {
        public var name: String
        public var kind: TensorKind
        public var dtype: DType
        public var shape: [Int]
        /// Byte offset from the start of the data section.
        public var offset: Int
        public var bytes: Int
        /// CRC-32 of the tensor's bytes (format 2; absent in format 1).
        public var crc32: UInt32?
    }

    /// The generator that regenerates FSB signs from (seed, layer name).
    public struct GeneratorInfo: Codable, Equatable {
        public var name: String
        public var version: Int
    }

    /// The experiment config, resolved (every default filled in).
    public var config: ExperimentConfig
    /// SHA-256 of the resolved config's JSON (`ExperimentConfig.resolvedSHA256`), set when
    /// the checkpoint is encoded (format 2; absent in format 1). Resume compares it with
    /// the run folder's `config.json`.
    public var configSHA256: String?
    public var signGenerator: GeneratorInfo
    public var progress: TrainingProgress
    /// Generator states of the network (dropout), by name.
    public var randomState: [String: [UInt64]]
    /// The kinds of the tensors, by name (written into `tensorEntries` on encoding).
    public var tensorKinds: [String: TensorKind]
    /// The tensor directory, filled in when the checkpoint is encoded.
    public var tensorEntries: [TensorEntry]

    public init(config: ExperimentConfig, progress: TrainingProgress, randomState: [String: [UInt64]],
                tensorKinds: [String: TensorKind]) {
        self.config = config
        self.configSHA256 = nil
        self.signGenerator = GeneratorInfo(name: SeededGenerator.algorithmName, version: SeededGenerator.algorithmVersion)
        self.progress = progress
        self.randomState = randomState
        self.tensorKinds = tensorKinds
        self.tensorEntries = []
    }
}

/// Where a training run stands, enough to resume it bit for bit.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// Epochs fully completed (0-based index of the epoch in progress).
    public var epoch: Int
    /// Index of the next batch of the epoch in progress (0 at an epoch boundary).
    public var nextBatch: Int
    /// Optimizer steps taken since the start of the run.
    public var globalStep: Int
    /// Running sums of the epoch in progress (loss summed over images, correct, seen).
    public var epochLossSum: Double
    public var epochCorrect: Int
    public var epochSeen: Int
    /// Seconds spent training before the interruption in the epoch in progress.
    public var epochSeconds: Double
    /// Best accuracy so far (validation if split, else test), in percent, and its epoch (1-based).
    public var bestAccuracy: Double
    public var bestEpoch: Int
    /// Total wall time of the run so far, in seconds.
    public var wallSeconds: Double
    /// The metrics rows of the completed epochs.
    public var metrics: [EpochMetrics]
    /// The precisions the epoch in progress has been trained in so far, in order (more than
    /// one when a run was resumed in the other precision mid-epoch); nil between epochs and
    /// in checkpoints written before precision was recorded.
    public var epochPrecisions: [String]?

    public init() {
        epoch = 0
        nextBatch = 0
        globalStep = 0
        epochLossSum = 0
        epochCorrect = 0
        epochSeen = 0
        epochSeconds = 0
        bestAccuracy = -1
        bestEpoch = 0
        wallSeconds = 0
        metrics = []
    }
}
