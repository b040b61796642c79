import FSBCore
import FSBData
import Foundation

/// `fsb-bench data`: seconds to load the full CIFAR-10 training set (inflate, decode,
/// normalise to float) against `zcat` of the same five files, side by side.
enum DataBenchmark {
    static let usage = "usage: fsb-bench data [--data-root DIR] [--repeats 3]"

    static func run(arguments: [String]) throws {
        var root = "datasets"
        var repeats = 3
        var index = 0
        while index + 1 < arguments.count {
            switch arguments[index] {
            case "--data-root": root = arguments[index + 1]
            case "--repeats": repeats = Int(arguments[index + 1]) ?? 3
            default: throw FSBError("unexpected argument \(arguments[index])")
            }
            index += 2
        }
        let rootURL = URL(fileURLWithPath: root)
        let files = try DataLoadBenchmark.cifar10TrainFiles(root: rootURL)
        let zcat = try DataLoadBenchmark.zcatSeconds(files: files, repetitions: repeats)
        let load = try DataLoadBenchmark.cifar10TrainLoadSeconds(root: rootURL, repetitions: repeats)
        print("what,seconds")
        print(String(format: "zcat_5_files,%.3f", zcat))
        print(String(format: "fsb_load_decode_normalise,%.3f", load))
        print(String(format: "ratio_fsb_over_zcat,%.2f", load / zcat))
    }
}
