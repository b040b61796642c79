import FSBCore
import FSBData
import Foundation

/// `fsb-bench data`: seconds to load the full CIFAR-10 training set (inflate, decode,
/// normalise to float) against `zcat` of the same five files, side by side.
enum DataBenchmark {
    static func run(root: String, repeats: Int) throws {
        let rootURL = URL(fileURLWithPath: root)
        let files = try DataLoadTiming.cifar10TrainFiles(root: rootURL)
        let zcat = try DataLoadTiming.zcatSeconds(files: files, repetitions: repeats)
        let load = try DataLoadTiming.cifar10TrainLoadSeconds(root: rootURL, repetitions: repeats)
        print("what,seconds")
        print(String(format: "zcat_5_files,%.3f", zcat))
        print(String(format: "fsb_load_decode_normalise,%.3f", load))
        print(String(format: "ratio_fsb_over_zcat,%.2f", load / zcat))
    }
}
