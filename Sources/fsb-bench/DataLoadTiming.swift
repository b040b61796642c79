import FSBData
import Foundation

/// Times loading the full CIFAR-10 training set (inflate + decode + normalise to float)
/// and, for comparison, `zcat` of the same five files to /dev/null. The target is a load
/// time of at most ~1.5x the `zcat` time, for `fsb-bench data` (`DataBenchmark`).
enum DataLoadTiming {
    /// Seconds for `DatasetLoader.load(.cifar10, split: .train)` + `ImageDataset(raw:)`
    /// from `root` (best of `repetitions`); throws when the data is not there.
    static func cifar10TrainLoadSeconds(root: URL, repetitions: Int = 1) throws -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = ContinuousClock.now
            let raw = try DatasetLoader.load(.cifar10, split: .train, root: root)
            let dataset = ImageDataset(raw: raw)
            let elapsed = ContinuousClock.now - start
            guard dataset.count == raw.count else { break }
            best = min(best, seconds(elapsed))
        }
        return best
    }

    /// The files `cifar10TrainLoadSeconds` reads from `root` (folder sources only).
    static func cifar10TrainFiles(root: URL) throws -> [String] {
        let source = try DataLocation(dataRoot: root.path, environment: [:]).source(for: .cifar10)
        return try DatasetLoader.splitFiles(.cifar10, split: .train, in: source)
    }

    /// Seconds for `zcat FILES > /dev/null` run through `/usr/bin/env zcat` (best of `repetitions`).
    static func zcatSeconds(files: [String], repetitions: Int = 1) throws -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["zcat", "-f"] + files
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            let start = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            let elapsed = ContinuousClock.now - start
            guard process.terminationStatus == 0 else {
                throw DataFileError(file: files.first ?? "zcat", "zcat exited with status \(process.terminationStatus)")
            }
            best = min(best, seconds(elapsed))
        }
        return best
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
