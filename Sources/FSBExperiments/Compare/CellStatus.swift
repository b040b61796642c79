import FSBCore
import Foundation

/// Where one cell of a compare grid stands, read from its run folder without training,
/// writing or locking anything (`fsb compare --status`): finished (its summary), in
/// progress (the epochs its `last.fsbckpt` holds), failed (`error.txt`, or a folder holding
/// a run of another config, `CellIdentity`), or not started.
public struct CellStatus: Equatable, Sendable {
    /// The cell's state.
    public enum State: Equatable, Sendable {
        /// Finished: the final and best test accuracy of `summary.json`.
        case done(epochs: Int, finalAccuracy: Double, bestAccuracy: Double, bestEpoch: Int)
        /// Resumable: `epochsDone` completed epochs (and `nextBatch` batches of the next one)
        /// in its latest checkpoint, the test accuracy of the last completed epoch, the
        /// training time so far, and the time the remaining epochs would take at the pace of
        /// the last completed one (nil before the first).
        case inProgress(epochsDone: Int, nextBatch: Int, lastAccuracy: Double?, wallSeconds: Double, secondsLeft: Double?)
        /// Not resumable: the first line of `error.txt`, or why the checkpoint cannot be read.
        case failed(String)
        case notStarted
    }

    /// The cell's axis values, with the axes' labels where the spec gives them (`model.method=fsb, seed=2`).
    public var cell: String
    /// The run folder's name under `<output>/runs/`.
    public var folder: String
    /// Epochs the cell's config asks for.
    public var epochs: Int
    public var state: State

    /// Reads the state of `cell` from `folder`.
    static func read(cell: CompareCell, label: String, folder: URL, grid: String) -> CellStatus {
        var status = CellStatus(cell: label, folder: cell.folderName, epochs: cell.config.training.epochs, state: .notStarted)
        let run = RunFolder(path: folder.path)
        do {
            try CellIdentity.verify(cell, folder: folder, grid: grid, context: folder.path)
        } catch {
            status.state = .failed("\(error)")
            return status
        }
        if let data = FileManager.default.contents(atPath: run.summaryJSON.path) {
            guard let summary = try? JSONDecoder().decode(RunSummary.self, from: data) else {
                status.state = .failed("\(run.summaryJSON.path): not a readable run summary")
                return status
            }
            status.state = .done(epochs: summary.epochs, finalAccuracy: summary.finalTestAccuracy,
                                 bestAccuracy: summary.bestTestAccuracy, bestEpoch: summary.bestEpoch)
        } else if FileManager.default.fileExists(atPath: run.lastCheckpoint.path) {
            do {
                let progress = try Checkpoint.read(from: run.lastCheckpoint).header.progress
                status.state = .inProgress(epochsDone: progress.epoch, nextBatch: progress.nextBatch,
                                           lastAccuracy: progress.metrics.last?.testAccuracy, wallSeconds: progress.wallSeconds,
                                           secondsLeft: Self.secondsLeft(progress, epochs: status.epochs))
            } catch {
                status.state = .failed("\(error)")
            }
        } else if let text = try? String(contentsOf: folder.appendingPathComponent("error.txt"), encoding: .utf8) {
            status.state = .failed(text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "error.txt is empty")
        }
        return status
    }

    /// One line: `seed=2, model.method=fp  in progress: 12/60 epochs (+ 83 batches), test 71.30% at epoch 12, 41 min so far, ~3.1 h left at the last epoch's pace`.
    public func line(cellWidth: Int) -> String {
        let name = cell.padding(toLength: max(cellWidth, cell.count), withPad: " ", startingAt: 0)
        return "\(name)  \(describe())"
    }

    private func describe() -> String {
        switch state {
        case .done(let epochs, let final, let best, let bestEpoch):
            return String(format: "done: %d epochs, test %.2f%% (best %.2f%% at epoch %d)", epochs, final, best, bestEpoch)
        case .inProgress(let done, let batch, let accuracy, let seconds, let left):
            var text = "in progress: \(done)/\(epochs) epochs"
            if batch > 0 { text += " (+ \(batch) batches)" }
            if let accuracy { text += String(format: ", test %.2f%% at epoch %d", accuracy, done) }
            text += ", \(Self.duration(seconds)) so far"
            if let left { text += ", ~\(Self.duration(left)) left at the last epoch's pace" }
            return text
        case .failed(let message):
            return "failed: \(message)"
        case .notStarted:
            return "not started"
        }
    }

    /// The remaining epochs (the one in progress counted by its batches still to run) times
    /// the last completed epoch's time; nil before the first epoch completes.
    static func secondsLeft(_ progress: TrainingProgress, epochs: Int) -> Double? {
        guard progress.epoch > 0, let last = progress.metrics.last else { return nil }
        let stepsPerEpoch = Double(progress.globalStep - progress.nextBatch) / Double(progress.epoch)
        guard stepsPerEpoch > 0 else { return nil }
        let remaining = Double(epochs - progress.epoch) - Double(progress.nextBatch) / stepsPerEpoch
        return max(0, remaining) * last.epochSeconds
    }

    /// `40 s`, `12 min`, `3.5 h`.
    static func duration(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(Int(s)) s" }
        if s < 3600 { return "\(Int(s / 60)) min" }
        return String(format: "%.1f h", s / 3600)
    }

    /// The report: a count line, then one line per cell.
    public static func report(_ statuses: [CellStatus], grid: String, output: String) -> String {
        var done = 0, running = 0, failed = 0, waiting = 0
        for status in statuses {
            switch status.state {
            case .done: done += 1
            case .inProgress: running += 1
            case .failed: failed += 1
            case .notStarted: waiting += 1
            }
        }
        var lines = ["compare \(grid): \(statuses.count) cells: \(done) done, \(running) in progress, \(failed) failed, \(waiting) not started (output \(output))"]
        let width = statuses.map(\.cell.count).max() ?? 0
        lines += statuses.map { $0.line(cellWidth: width) }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension CompareRunner {
    /// The state of each cell of the grid (or of one shard), in grid order; reads only.
    public func status(shard: (index: Int, count: Int)? = nil) throws -> [CellStatus] {
        try cells(shard: shard).map { cell in
            let label = zip(spec.axes, cell.assignment).map { axis, setting in
                "\(axis.path)=\(axis.label(ofValue: setting.value.compactText))"
            }.joined(separator: ", ")
            return CellStatus.read(cell: cell, label: label.isEmpty ? "(base)" : label, folder: folder(of: cell), grid: spec.name)
        }
    }
}
