import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Live feedback on stderr: a redrawn progress bar on a terminal, plain periodic lines
/// otherwise (logs, CI), or nothing with `--quiet`.
public final class ProgressReporter {
    /// How feedback is shown.
    public enum Style { case bar, lines, quiet }

    public let style: Style
    private var lastLine = Date.distantPast
    private let lineInterval: TimeInterval

    /// Chooses `bar` when stderr is a terminal, else `lines`; `quiet` overrides both.
    public init(quiet: Bool, lineInterval: TimeInterval = 10) {
        style = quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
        self.lineInterval = lineInterval
    }

    /// Reports progress inside an epoch: the epoch's ETA, the run's elapsed time and its
    /// total ETA (`runRemaining`, seconds until the last epoch ends).
    public func step(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double,
                     imagesPerSecond: Double, epochElapsed: Double, runElapsed: Double, runRemaining: Double) {
        let remaining = imagesPerSecond > 0 && batch > 0 ? epochElapsed / Double(batch) * Double(batches - batch) : 0
        let run = "elapsed \(ProgressReporter.clock(runElapsed)) total ETA \(ProgressReporter.clock(runRemaining))"
        switch style {
        case .quiet:
            return
        case .bar:
            let width = 24
            let filled = batches == 0 ? width : width * batch / batches
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = String(format: "\repoch %d/%d [%@] %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %@, %@ ",
                              epoch, epochs, bar, batch, batches, loss, accuracy, imagesPerSecond, ProgressReporter.clock(remaining), run)
            FileHandle.standardError.write(Data(line.utf8))
        case .lines:
            let now = Date()
            guard now.timeIntervalSince(lastLine) >= lineInterval || batch == batches else { return }
            lastLine = now
            let line = String(format: "epoch %d/%d batch %d/%d loss %.4f acc %.2f%% %.0f img/s ETA %@, %@\n",
                              epoch, epochs, batch, batches, loss, accuracy, imagesPerSecond, ProgressReporter.clock(remaining), run)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Reports a finished epoch on its own line, with the run's elapsed time and total ETA.
    public func epochDone(_ metrics: EpochMetrics, epochs: Int, runElapsed: Double, runRemaining: Double) {
        guard style != .quiet else { return }
        var line = style == .bar ? "\r\u{1B}[K" : ""
        line += String(format: "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f%%", metrics.epoch, epochs,
                       metrics.learningRate, metrics.trainLoss, metrics.trainAccuracy)
        if let loss = metrics.validationLoss, let accuracy = metrics.validationAccuracy {
            line += String(format: "  val loss %.4f acc %.2f%%", loss, accuracy)
        }
        line += String(format: "  test loss %.4f acc %.2f%%  %.1fs %.0f img/s", metrics.testLoss, metrics.testAccuracy,
                       metrics.epochSeconds, metrics.imagesPerSecond)
        line += "  elapsed \(ProgressReporter.clock(runElapsed))"
        line += metrics.epoch < epochs ? " total ETA \(ProgressReporter.clock(runRemaining))\n" : "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A one-off message line.
    public func note(_ text: String) {
        guard style != .quiet else { return }
        FileHandle.standardError.write(Data(((style == .bar ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    /// A warning line: printed even with `--quiet`.
    public func warning(_ text: String) {
        FileHandle.standardError.write(Data(((style == .bar ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
