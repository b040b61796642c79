import FSBCore
import FSBData
import FSBNN
import Foundation

/// Thrown when SIGINT/SIGTERM stopped training after the `last` checkpoint was written.
public struct TrainingInterrupted: UserFacingError {
    public let signal: String
    public let runDirectory: String
    public let epoch: Int
    public let batch: Int
    public var description: String {
        "interrupted by \(signal) at epoch \(epoch), batch \(batch); state saved. Resume with: fsb train --resume \(runDirectory)"
    }
}

/// Thrown when the loss becomes NaN or infinite; the last good checkpoint is kept.
public struct TrainingDiverged: UserFacingError {
    public let epoch: Int
    public let step: Int
    public let loss: Double
    public let lastCheckpoint: String
    /// What is not finite when it is the state rather than the loss (a tensor's value).
    public var state: NonFiniteTensor? = nil
    public var description: String {
        let kept = FileManager.default.fileExists(atPath: lastCheckpoint)
            ? "the last good checkpoint is \(lastCheckpoint)" : "no checkpoint was written yet"
        let what = state.map { $0.description } ?? "loss is \(loss)"
        return "training diverged: \(what) at epoch \(epoch), step \(step); \(kept)"
    }
}

/// Runs training for one experiment: epochs of shuffled mini-batches, evaluation after each
/// epoch, metrics, checkpoints, interruption and bit-exact resume.
public final class Trainer {
    /// How a run is started.
    public struct Options {
        public var runDirectory: String
        public var dataRoot: String?
        public var quiet: Bool
        /// Test hook: raise the interrupt flag after this many optimizer steps.
        public var interruptAfterSteps: Int?
        /// The run folder's lock when the caller already holds it (a compare cell);
        /// otherwise the trainer takes it itself.
        public var heldLock: DirectoryLock?
        /// On resume: continue in this precision (`fsb train --resume DIR --precision P`);
        /// nil keeps the precision of the run folder's `config.json`.
        public var precision: TrainingConfig.Precision?

        public init(runDirectory: String, dataRoot: String? = nil, quiet: Bool = false, interruptAfterSteps: Int? = nil,
                    heldLock: DirectoryLock? = nil, precision: TrainingConfig.Precision? = nil) {
            self.runDirectory = runDirectory
            self.dataRoot = dataRoot
            self.quiet = quiet
            self.interruptAfterSteps = interruptAfterSteps
            self.heldLock = heldLock
            self.precision = precision
        }
    }

    public let config: ExperimentConfig
    public let folder: RunFolder
    public let options: Options
    private let reporter: ProgressReporter
    private let data: DataPipeline
    private let network: Network
    private let optimizer: Optimizer
    /// The products' arithmetic on this CPU (`training.precision` resolved).
    public let precision: ComputePrecision
    private let schedule: LearningRateSchedule
    private var progress: TrainingProgress
    /// The run folder's lock, held from resume or the start of `run()` to its end.
    private var lock: DirectoryLock?
    /// Seconds spent loading the data and building the model.
    private var dataSeconds: Double = 0
    /// Start of this session's training and the optimizer step it started at (for the total ETA).
    private var sessionStart = Date()
    private var sessionFirstStep = 0
    private var sessionWallBefore: Double = 0

    /// Prepares a new run in `options.runDirectory` (which must not already hold a run).
    public convenience init(config: ExperimentConfig, options: Options) throws {
        try self.init(config: config, options: options, resumeFrom: nil)
    }

    /// Prepares to continue the run in `runDirectory` from its `last` checkpoint: locks the
    /// folder, reads and verifies the checkpoint, and checks that it belongs to the run.
    public static func resuming(options: Options) throws -> Trainer {
        let folder = RunFolder(path: options.runDirectory)
        var options = options
        // A run folder another fsb is writing (perhaps before its first checkpoint) is
        // refused as such; a folder without a lock file gets none from a refused resume.
        let lockFile = URL(fileURLWithPath: options.runDirectory).appendingPathComponent(DirectoryLock.fileName).path
        if options.heldLock == nil && FileManager.default.fileExists(atPath: lockFile) {
            options.heldLock = try DirectoryLock(directory: options.runDirectory)
        }
        guard FileManager.default.fileExists(atPath: folder.lastCheckpoint.path) else {
            throw FSBError("\(folder.lastCheckpoint.path): no checkpoint to resume from (is \(options.runDirectory) a run folder?)")
        }
        if options.heldLock == nil { options.heldLock = try DirectoryLock(directory: options.runDirectory) }
        let checkpoint = try Checkpoint.read(from: folder.lastCheckpoint)
        if let note = try ResumeCheck.verify(checkpoint, folder: folder) {
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
        if options.dataRoot == nil { options.dataRoot = try RunInvocation.read(folder.invocation)?.dataRoot }
        var config = checkpoint.header.config
        // The precision may change between resumes: config.json holds the latest choice.
        let chosen = try options.precision ?? (checkpoint.header.configSHA256 == nil ? config.training.precision
                                                : ExperimentConfig.load(path: folder.config.path).training.precision)
        let switched = chosen != config.training.precision
        config.training.precision = chosen
        let trainer = try Trainer(config: config, options: options, resumeFrom: checkpoint)
        if switched {
            try AtomicFile.write(try trainer.config.resolvedJSON(), to: folder.config)
            trainer.reporter.note("precision: continuing in \(PrecisionResolution.describe(trainer.precision)) from epoch \(checkpoint.header.progress.epoch + 1), step \(checkpoint.header.progress.nextBatch + 1); metrics.csv's precision column shows each epoch's")
        }
        return trainer
    }

    private init(config: ExperimentConfig, options: Options, resumeFrom checkpoint: Checkpoint?) throws {
        var config = config
        // The resolved config records the thread count in effect (results depend on it).
        if let threads = config.training.threads { Kernels.threadCount = threads } else { config.training.threads = min(256, Kernels.threadCount) }
        self.config = config
        self.options = options
        folder = RunFolder(path: options.runDirectory)
        reporter = ProgressReporter(quiet: options.quiet)
        lock = options.heldLock
        if checkpoint == nil { try Trainer.refuseExistingRun(in: folder, name: options.runDirectory) }
        precision = try PrecisionResolution.resolve(config.training.precision, field: "training.precision")
        let loadStart = Date()
        data = try DataPipeline(config, dataRoot: options.dataRoot)
        network = try ModelBuilder.build(config, inputShape: data.inputShape, classCount: data.classCount)
        network.setPrecision(precision)
        optimizer = config.training.optimizer.makeOptimizer()
        schedule = config.training.schedule.schedule(baseLearningRate: config.training.optimizer.learningRate)
        progress = TrainingProgress()
        dataSeconds = Date().timeIntervalSince(loadStart)
        if let checkpoint {
            try CheckpointState.restore(checkpoint, into: network, optimizer: optimizer, file: folder.lastCheckpoint.path)
            try checkProgress(checkpoint.header.progress, file: folder.lastCheckpoint.path)
            progress = checkpoint.header.progress
        }
    }

    /// A new run never overwrites a folder holding one.
    private static func refuseExistingRun(in folder: RunFolder, name: String) throws {
        if FileManager.default.fileExists(atPath: folder.lastCheckpoint.path) {
            throw FSBError("\(name): already holds a run; resume it with --resume \(name) or choose another --output")
        }
    }

    /// The counters of a checkpoint's progress must fit this run's epochs and batches.
    private func checkProgress(_ stored: TrainingProgress, file: String) throws {
        let epochs = config.training.epochs
        let steps = stepsPerEpoch
        let checks: [(String, Int, ValueRange<Int>)] = [
            ("progress.epoch", stored.epoch, ValueRange(0...epochs)),
            ("progress.nextBatch", stored.nextBatch, ValueRange(0...max(0, steps - 1))),
            ("progress.globalStep", stored.globalStep, ValueRange(0...(CheckedArithmetic.multiply(epochs, steps) ?? Int.max))),
            ("progress.epochSeen", stored.epochSeen, ValueRange(0...data.train.labels.count)),
            ("progress.epochCorrect", stored.epochCorrect, ValueRange(0...stored.epochSeen)),
            ("progress.metrics (rows)", stored.metrics.count, ValueRange(stored.epoch...stored.epoch)),
        ]
        for (field, value, range) in checks {
            if let problem = range.problem(value) { throw FSBError("\(file): checkpoint header: \(field): \(problem), got \(value)") }
        }
    }

    private var stepsPerEpoch: Int { (data.train.labels.count + config.training.batchSize - 1) / config.training.batchSize }

    /// Trains to the configured number of epochs and returns the run's summary.
    public func run() throws -> RunSummary {
        if lock == nil {
            lock = try DirectoryLock(directory: options.runDirectory)
            try Trainer.refuseExistingRun(in: folder, name: options.runDirectory)
        }
        defer { lock?.release(); lock = nil }
        if precision != .float32 { reporter.note("precision: \(PrecisionResolution.describe(precision))") }
        if progress.globalStep == 0 && progress.epoch == 0 {
            try AtomicFile.write(try config.resolvedJSON(), to: folder.config)
            try AtomicFile.write(try RunInvocation.current(dataRoot: options.dataRoot).json(), to: folder.invocation)
            let profile = network.profile()
            try AtomicFile.write(profile.render(), to: folder.profileText)
            try AtomicFile.write(profile.csv(), to: folder.profileCSV)
        }
        reportStart()
        InterruptFlag.install()
        defer { InterruptFlag.uninstall() }
        if !ParentDeath.armFromEnvironment() { InterruptFlag.raise() }
        let runStart = Date()
        sessionStart = runStart
        sessionFirstStep = progress.globalStep
        sessionWallBefore = progress.wallSeconds
        let wallBefore = progress.wallSeconds
        let epochs = config.training.epochs
        let samples = data.train.labels.count
        var batchImages = Tensor(shape: [0])
        var batchLabels: [Int32] = []
        while progress.epoch < epochs {
            let epoch = progress.epoch
            let batches = try data.trainingBatches(config, epoch: epoch)
            let epochStart = Date()
            let secondsBefore = progress.epochSeconds
            // The rate reported for the epoch is the one of its first step.
            let learningRate = schedule.rate(step: epoch * stepsPerEpoch, stepsPerEpoch: stepsPerEpoch, totalEpochs: epochs)
            let current = PrecisionResolution.describe(precision)
            if progress.epochPrecisions?.last != current { progress.epochPrecisions = (progress.epochPrecisions ?? []) + [current] }
            while progress.nextBatch < batches.count {
                batches.fill(batch: progress.nextBatch, images: &batchImages, labels: &batchLabels)
                let (images, labels) = (batchImages, batchLabels)
                network.zeroGradients()
                let logits = network.forward(images, training: true)
                let result = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels,
                                                          labelSmoothing: Float(config.training.labelSmoothing))
                guard result.loss.isFinite else {
                    throw TrainingDiverged(epoch: epoch + 1, step: progress.nextBatch + 1, loss: result.loss,
                                           lastCheckpoint: folder.lastCheckpoint.path)
                }
                network.backward(result.dLogits)
                let parameters = network.parameters
                if let clip = config.training.gradientClipNorm {
                    GradientClipping.clipGlobalNorm(parameters, maxNorm: Float(clip))
                }
                let rate = schedule.rate(step: progress.globalStep, stepsPerEpoch: stepsPerEpoch, totalEpochs: epochs)
                optimizer.step(parameters, learningRate: Float(rate))
                progress.globalStep += 1
                progress.nextBatch += 1
                progress.epochLossSum += result.loss * Double(labels.count)
                progress.epochCorrect += result.correct
                progress.epochSeen += labels.count
                let elapsed = secondsBefore + Date().timeIntervalSince(epochStart)
                reporter.step(epoch: epoch + 1, epochs: epochs, batch: progress.nextBatch, batches: batches.count,
                              loss: progress.epochLossSum / Double(progress.epochSeen),
                              accuracy: accuracyPercent(correct: progress.epochCorrect, total: progress.epochSeen),
                              imagesPerSecond: Double(progress.epochSeen) / max(elapsed, 1e-9), epochElapsed: elapsed,
                              runElapsed: runElapsed(), runRemaining: remainingSeconds())
                if let limit = options.interruptAfterSteps, progress.globalStep == limit { InterruptFlag.raise() }
                if InterruptFlag.isRaised && progress.nextBatch < batches.count {
                    progress.epochSeconds = elapsed
                    progress.wallSeconds = wallBefore + Date().timeIntervalSince(runStart)
                    try saveCheckpoint(to: folder.lastCheckpoint)
                    throw TrainingInterrupted(signal: InterruptFlag.signalName, runDirectory: options.runDirectory,
                                              epoch: epoch + 1, batch: progress.nextBatch)
                }
            }
            let trainSeconds = secondsBefore + Date().timeIntervalSince(epochStart)
            try finishEpoch(epoch: epoch, learningRate: learningRate, trainSeconds: trainSeconds, samples: samples)
            progress.wallSeconds = wallBefore + Date().timeIntervalSince(runStart)
            try saveCheckpoint(to: folder.lastCheckpoint)
            if InterruptFlag.isRaised && progress.epoch < epochs {
                throw TrainingInterrupted(signal: InterruptFlag.signalName, runDirectory: options.runDirectory,
                                          epoch: progress.epoch + 1, batch: 0)
            }
        }
        let summary = makeSummary()
        try AtomicFile.write(RunSummary.table.render([summary]), to: folder.summary)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(summary), to: folder.summaryJSON)
        return summary
    }

    /// Evaluates, records the metrics row, updates `best`, and resets the epoch counters.
    private func finishEpoch(epoch: Int, learningRate: Double, trainSeconds: Double, samples: Int) throws {
        let batchSize = config.training.evalBatchSize
        let test = Evaluator.evaluate(network, on: data.test, batchSize: batchSize)
        let validation = data.validation.map { Evaluator.evaluate(network, on: $0, batchSize: batchSize) }
        let row = EpochMetrics(epoch: epoch + 1, learningRate: learningRate,
                               trainLoss: progress.epochLossSum / Double(max(1, progress.epochSeen)),
                               trainAccuracy: accuracyPercent(correct: progress.epochCorrect, total: progress.epochSeen),
                               validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
                               testLoss: test.loss, testAccuracy: test.accuracy,
                               epochSeconds: trainSeconds, imagesPerSecond: Double(samples) / max(trainSeconds, 1e-9),
                               precision: (progress.epochPrecisions ?? [PrecisionResolution.describe(precision)]).joined(separator: " + "))
        progress.metrics.append(row)
        progress.epochPrecisions = nil
        progress.epoch += 1
        progress.nextBatch = 0
        progress.epochLossSum = 0
        progress.epochCorrect = 0
        progress.epochSeen = 0
        progress.epochSeconds = 0
        let selection = validation?.accuracy ?? test.accuracy
        let isBest = selection > progress.bestAccuracy
        if isBest {
            progress.bestAccuracy = selection
            progress.bestEpoch = epoch + 1
        }
        try AtomicFile.write(EpochMetrics.table(withValidation: data.validation != nil).render(progress.metrics), to: folder.metrics)
        reporter.epochDone(row, epochs: config.training.epochs, runElapsed: runElapsed(), runRemaining: remainingSeconds())
        if epoch == 0, let warning = LossStallCheck.warning(epochOneTrainLoss: row.trainLoss, trainAccuracy: row.trainAccuracy,
                                                            classCount: data.classCount, steps: stepsPerEpoch) {
            reporter.warning(warning)
        }
        if isBest && config.output.saveBest { try saveCheckpoint(to: folder.bestCheckpoint) }
    }

    /// Seconds the run has taken so far, over every session.
    private func runElapsed() -> Double { sessionWallBefore + Date().timeIntervalSince(sessionStart) }

    /// Seconds until the last epoch ends, from this session's time per optimizer step
    /// (evaluation included).
    private func remainingSeconds() -> Double {
        let done = progress.globalStep - sessionFirstStep
        guard done > 0 else { return 0 }
        let perStep = Date().timeIntervalSince(sessionStart) / Double(done)
        return perStep * Double(max(0, config.training.epochs * stepsPerEpoch - progress.globalStep))
    }

    /// The line before epoch 1 (or before continuing): data counts and load time, model size.
    private func reportStart() {
        let profile = network.profile()
        let validation = data.validation.map { ", \($0.labels.count) validation" } ?? ""
        let start = progress.epoch == 0 && progress.globalStep == 0
            ? "training" : "resuming at epoch \(progress.epoch + 1) batch \(progress.nextBatch + 1)"
        reporter.note(String(format: "data: %@ %d train%@, %d test images, loaded in %.1f s; model: %@ (%@), %d parameters (%d trainable); %@: %d epochs x %d steps, %d threads",
                             config.dataset.name.rawValue, data.train.labels.count, validation, data.test.labels.count, dataSeconds,
                             config.model.architecture.rawValue, config.model.method.rawValue, profile.totalParams, profile.trainableParams,
                             start, config.training.epochs, stepsPerEpoch, config.training.threads ?? Kernels.threadCount))
    }

    /// Writes a checkpoint; a non-finite state (the loss was finite but a weight, buffer or
    /// optimizer value overflowed) stops the run as diverged, keeping the last good checkpoint.
    private func saveCheckpoint(to url: URL) throws {
        let checkpoint = CheckpointState.capture(config: config, network: network, optimizer: optimizer, progress: progress)
        let data: Data
        do {
            data = try checkpoint.encoded()
        } catch let problem as NonFiniteTensor {
            throw TrainingDiverged(epoch: max(1, progress.epoch), step: progress.globalStep, loss: .nan,
                                   lastCheckpoint: folder.lastCheckpoint.path, state: problem)
        }
        try AtomicFile.write(data, to: url)
    }

    private func makeSummary() -> RunSummary {
        let profile = network.profile()
        let model = config.model
        let fsbOption = { (value: String) in model.usesFSB ? value : "-" }
        let last = progress.metrics.last
        let best = progress.metrics.first { $0.epoch == progress.bestEpoch } ?? last
        return RunSummary(name: config.name, dataset: config.dataset.name.rawValue, model: model.architecture.rawValue,
                          method: model.method.rawValue, granularity: fsbOption(model.fsb.granularity.rawValue),
                          alphaSign: fsbOption(model.fsb.alphaSign.rawValue), signInit: fsbOption(model.fsb.signInit.rawValue),
                          signCodebook: fsbOption(model.fsb.signCodebook.map(String.init) ?? "none"),
                          firstLayerMethod: model.firstLayerMethod.rawValue, lastLayerMethod: model.lastLayerMethod.rawValue,
                          seed: config.seed, epochs: config.training.epochs,
                          params: profile.totalParams, trainableParams: profile.trainableParams,
                          modelBits: profile.modelSizeBits, updateBits: profile.updateSizeBits,
                          bestTestAccuracy: best?.testAccuracy ?? 0, bestEpoch: progress.bestEpoch,
                          finalTestAccuracy: last?.testAccuracy ?? 0, finalTestLoss: last?.testLoss ?? 0,
                          wallSeconds: progress.wallSeconds, precision: Self.precisionsInOrder(progress.metrics, current: PrecisionResolution.describe(precision)))
    }

    /// The precisions the epochs were trained in, each once in the order first used
    /// (`fp32`, or `fp32 + bf16 (amx)` for a run resumed in bf16).
    static func precisionsInOrder(_ rows: [EpochMetrics], current: String) -> String {
        var seen: [String] = rows.isEmpty ? [current] : []
        let used = rows.flatMap { ($0.precision ?? "fp32").components(separatedBy: " + ") }
        for precision in used where !seen.contains(precision) { seen.append(precision) }
        return seen.joined(separator: " + ")
    }
}
