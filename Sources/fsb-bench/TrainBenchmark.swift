import FSBCore
import FSBExperiments
import FSBNN
import Foundation

/// `fsb-bench train`: training and inference images/s of LeNet-5, ResNet-20 and VGG-small
/// for each weight method, on random data, SGD with momentum 0.9, median step time after
/// warm-up steps; plus inference at batch 1 and the process's peak resident memory.
///
/// Writes the same CSV columns as `scripts/bench_pytorch.py`, so the two can be joined.
/// Peak memory is per process: run one network per invocation to compare it
/// (`scripts/bench.sh` does).
enum TrainBenchmark {

    static let columns = ["framework", "network", "method", "threads", "batch", "train_images_per_second",
                          "infer_images_per_second", "infer_batch1_images_per_second", "peak_rss_mib"]

    static func run(_ options: TrainBenchmarkCommand) throws {
        let networks = options.networks.split(separator: ",").map(String.init)
        let methods = options.methods.split(separator: ",").map(String.init)
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let batch = options.batch
        let choice = options.precision
        let precision = try PrecisionResolution.resolve(choice, field: "--precision")
        let framework = choice == .fp32 ? "fsb" : "fsb-bf16"
        Kernels.threadCount = threads
        var rows: [[String]] = []
        for network in networks {
            guard let architecture = ModelConfig.Architecture(rawValue: network) else { throw FSBError("unknown network \(network)") }
            let input: [Int] = architecture == .lenet5 ? [1, 28, 28] : [3, 32, 32]
            let defaultSteps = architecture == .lenet5 ? 60 : (architecture == .vggSmall ? 4 : 12)
            let steps = options.steps ?? defaultSteps
            for methodName in methods {
                guard let method = WeightMethod(rawValue: methodName) else { throw FSBError("unknown method \(methodName)") }
                var model = ModelConfig(architecture: architecture, method: method)
                model.batchNorm = true
                var config = try ExperimentConfig.decode(json: #"{"dataset": {"name": "mnist"}, "model": {"architecture": "lenet5"}}"#)
                config.model = model
                let net = try ModelBuilder.build(config, inputShape: input, classCount: 10)
                net.setPrecision(precision)
                let optimizer = SGD(momentum: 0.9)
                var generator = SeededGenerator(seed: 1, stream: "bench")
                var images = Tensor(shape: [batch] + input)
                for i in 0..<images.count { images[i] = generator.nextGaussian() }
                let labels = (0..<batch).map { _ in Int32(generator.nextInt(below: 10)) }
                let trainSeconds = median(steps: steps) {
                    net.zeroGradients()
                    let logits = net.forward(images, training: true)
                    let loss = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
                    net.backward(loss.dLogits)
                    optimizer.step(net.parameters, learningRate: 0.01)
                }
                let inferSeconds = median(steps: steps) { _ = net.forward(images, training: false) }
                let single = Tensor(shape: [1] + input, storage: Array(images.storage[0..<input.reduce(1, *)]))
                let singleSeconds = median(steps: 50) { _ = net.forward(single, training: false) }
                let row = [framework, network, methodName, String(threads), String(batch),
                           String(format: "%.1f", Double(batch) / trainSeconds),
                           String(format: "%.1f", Double(batch) / inferSeconds),
                           String(format: "%.1f", 1 / singleSeconds),
                           String(format: "%.0f", peakResidentMiB())]
                FileHandle.standardError.write(Data((row.joined(separator: ",") + "\n").utf8))
                rows.append(row)
            }
        }
        let csv = ([columns] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        if let path = options.csv { try AtomicFile.write(csv, to: URL(fileURLWithPath: path)) } else { print(csv, terminator: "") }
    }

    /// Median seconds of `steps` calls after 3 warm-up calls.
    static func median(steps: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for step in 0..<(steps + 3) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            if step >= 3 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Peak resident set size of this process (VmHWM), in MiB.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }
}
