import FSBCore
import FSBNN
import Foundation

/// `fsb-bench signconv`: inference time of FSB convolutions (kernel granularity) by the plain
/// GEMM path (im2col + `W[Co, Ci*K]` GEMM, `gemm_ms`) against the sign path
/// (`SignConvolutionPlan`: sign convolutions, then `A' x Z`) with its dense contraction
/// (one `A'[Co, N*Ci]` GEMM, `sign_ms`, `speedup`) and its gather contraction (only the
/// nonzero entries of `A'`, `sign_gather_ms`, `gather_speedup`), for sign codebooks of `N`
/// patterns and for free random signs ("none": all distinct patterns of the layer), on the
/// ResNet-20 3x3 shapes and LeNet-5's conv2; then a whole ResNet-20 (fsb, codebook 4, first
/// and last layer fp).
///
/// The paths' samples are interleaved (GEMM, dense, gather, GEMM, ...) after warm-up calls,
/// so load changes on a busy machine hit both alike; each time is the median of the samples,
/// and a sample of a fast case is the mean of enough calls to last about 20 ms.
/// Each case first checks that both paths agree (relative 1e-3), else the benchmark fails.
enum SignConvolutionBenchmark {

    /// One convolution shape to measure.
    struct LayerShape {
        var name: String
        var inputChannels: Int, outputChannels: Int, size: Int, kernel: Int, padding: Int
    }

    static let layers = [
        LayerShape(name: "resnet20_16@32x32", inputChannels: 16, outputChannels: 16, size: 32, kernel: 3, padding: 1),
        LayerShape(name: "resnet20_32@16x16", inputChannels: 32, outputChannels: 32, size: 16, kernel: 3, padding: 1),
        LayerShape(name: "resnet20_64@8x8", inputChannels: 64, outputChannels: 64, size: 8, kernel: 3, padding: 1),
        LayerShape(name: "lenet5_conv2", inputChannels: 6, outputChannels: 16, size: 14, kernel: 5, padding: 0),
    ]

    /// One measured case.
    struct Row {
        var layer: String
        var batch: Int
        /// Codebook size, nil for free random signs.
        var codebook: Int?
        var distinctPatterns: Int
        var gemmSeconds: Double
        var signSeconds: Double
        var gatherSeconds: Double
    }

    static var table: CSVTable<Row> { CSVTable(columns: [
        .init("layer") { $0.layer },
        .init("batch") { String($0.batch) },
        .init("codebook") { $0.codebook.map(String.init) ?? "none" },
        .init("distinct_patterns") { String($0.distinctPatterns) },
        .init("gemm_ms") { String(format: "%.3f", $0.gemmSeconds * 1e3) },
        .init("sign_ms") { String(format: "%.3f", $0.signSeconds * 1e3) },
        .init("speedup") { String(format: "%.2f", $0.gemmSeconds / $0.signSeconds) },
        .init("sign_gather_ms") { String(format: "%.3f", $0.gatherSeconds * 1e3) },
        .init("gather_speedup") { String(format: "%.2f", $0.gemmSeconds / $0.gatherSeconds) },
    ]) }

    static func run(_ options: SignConvolutionBenchmarkCommand) throws {
        let batches = try integers(options.batches, option: "batches")
        let codebooks = try codebookList(options.codebooks, option: "codebooks")
        let networkCodebooks = try codebookList(options.networkCodebooks, option: "network-codebooks")
        let samples = options.samples
        guard samples >= 5 else { throw FSBError("--samples must be an integer of at least 5, found \(samples)") }
        Kernels.threadCount = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let selected: [LayerShape]
        let names = options.layers
        if names != "all" {
            selected = try names.split(separator: ",").map { name in
                guard let layer = layers.first(where: { $0.name == name }) else { throw FSBError("unknown layer \(name)") }
                return layer
            }
        } else {
            selected = layers
        }
        var rows: [Row] = []
        for batch in batches {
            for layer in selected {
                for codebook in codebooks {
                    let row = try measureLayer(layer, batch: batch, codebook: codebook, samples: samples)
                    report(row)
                    rows.append(row)
                }
            }
        }
        for codebook in networkCodebooks {
            for batch in batches {
                let row = try measureResNet20(batch: batch, codebook: codebook, samples: samples)
                report(row)
                rows.append(row)
            }
        }
        let columns = table.columns
        print(TextTable.render(header: columns.map(\.name), rows: rows.map { row in columns.map { $0.value(row) } }),
              terminator: "")
        if let path = options.csv { try AtomicFile.write(table.render(rows), to: URL(fileURLWithPath: path)) }
    }

    static func report(_ row: Row) {
        FileHandle.standardError.write(Data((table.columns.map { $0.value(row) }.joined(separator: ",") + "\n").utf8))
    }

    static func integers(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { item in
            guard let value = Int(item), value >= 1 else { throw FSBError("--\(option): expected positive integers, found '\(item)'") }
            return value
        }
    }

    /// `none` is nil (free random signs).
    static func codebookList(_ text: String, option: String) throws -> [Int?] {
        try text.split(separator: ",").map { item in
            if item == "none" { return nil }
            guard let value = Int(item), value >= 1 else { throw FSBError("--\(option): expected positive integers or 'none', found '\(item)'") }
            return value
        }
    }

    static func fsbMethod(codebook: Int?) -> WeightMethod {
        .fsb(FSBOptions(granularity: .kernel, signCodebook: codebook))
    }

    static func randomInput(_ shape: [Int]) -> Tensor {
        var generator = SeededGenerator(seed: 1, stream: "signconv-bench.input")
        var input = Tensor(shape: shape)
        for i in 0..<input.count { input[i] = generator.nextGaussian() }
        return input
    }

    /// Throws unless `actual` matches `expected` to a relative 1e-3.
    static func checkAgreement(_ actual: Tensor, _ expected: Tensor, _ label: String) throws {
        var largest: Float = 0, worst: Float = 0
        for i in 0..<expected.count {
            largest = max(largest, abs(expected[i]))
            worst = max(worst, abs(actual[i] - expected[i]))
        }
        guard actual.shape == expected.shape, worst <= 1e-3 * max(1, largest) else {
            throw FSBError("\(label): sign path differs from the GEMM path by \(worst) (largest output \(largest))")
        }
    }

    static func measureLayer(_ layer: LayerShape, batch: Int, codebook: Int?, samples: Int) throws -> Row {
        let conv = try Conv2D(name: layer.name, inputChannels: layer.inputChannels, outputChannels: layer.outputChannels,
                              kernelSize: layer.kernel, padding: layer.padding, bias: false,
                              method: fsbMethod(codebook: codebook), seed: 11)
        if let scale = conv.weight.scale {
            var generator = SeededGenerator(seed: 2, stream: "signconv-bench.factors")
            for i in 0..<scale.count { scale.value[i] = abs(generator.nextGaussian()) * 0.1 }
        }
        let input = randomInput([batch, layer.inputChannels, layer.size, layer.size])
        let dense = try SignConvolutionPlan(convolution: conv, contraction: .denseGEMM)
        let gather = try SignConvolutionPlan(convolution: conv, contraction: .gather)
        let plain = conv.forward(input, training: false)
        try checkAgreement(dense.forward(input), plain, "\(layer.name) dense")
        try checkAgreement(gather.forward(input), plain, "\(layer.name) gather")
        let times = interleavedMedians(samples: samples, [
            { _ = conv.forward(input, training: false) }, { _ = dense.forward(input) }, { _ = gather.forward(input) },
        ])
        return Row(layer: layer.name, batch: batch, codebook: codebook, distinctPatterns: dense.patternCount,
                   gemmSeconds: times[0], signSeconds: times[1], gatherSeconds: times[2])
    }

    /// A whole ResNet-20 for CIFAR (fsb with the codebook, conv1 and fc fp), the same weights
    /// three times: one network on the GEMM path, one with the dense and one with the gather
    /// sign path installed.
    static func measureResNet20(batch: Int, codebook: Int?, samples: Int) throws -> Row {
        let spec = ModelSpec(architecture: .resnet(depth: 20),
                             methods: MethodPlan(default: fsbMethod(codebook: codebook), firstLayer: .fp, lastLayer: .fp))
        let plain = try ModelFactory.build(spec, inputShape: [3, 32, 32], classCount: 10, seed: 7)
        let dense = try ModelFactory.build(spec, inputShape: [3, 32, 32], classCount: 10, seed: 7)
        let gather = try ModelFactory.build(spec, inputShape: [3, 32, 32], classCount: 10, seed: 7)
        let plans = try dense.useSignPathForInference(contraction: .denseGEMM)
        try gather.useSignPathForInference(contraction: .gather)
        let input = randomInput([batch, 3, 32, 32])
        let logits = plain.forward(input, training: false)
        try checkAgreement(dense.forward(input, training: false), logits, "resnet20 dense")
        try checkAgreement(gather.forward(input, training: false), logits, "resnet20 gather")
        let times = interleavedMedians(samples: samples, [
            { _ = plain.forward(input, training: false) }, { _ = dense.forward(input, training: false) },
            { _ = gather.forward(input, training: false) },
        ])
        return Row(layer: "resnet20_network", batch: batch, codebook: codebook,
                   distinctPatterns: plans.map(\.patternCount).max() ?? 0,
                   gemmSeconds: times[0], signSeconds: times[1], gatherSeconds: times[2])
    }

    /// Median seconds per call of each body, sampled in turn (ABCABC...) after two warm-up
    /// calls each. A sample is the mean of enough calls for about 20 ms of the slowest body.
    static func interleavedMedians(samples: Int, _ bodies: [() -> Void]) -> [Double] {
        func seconds(_ calls: Int, _ body: () -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(calls)
        }
        let slowest = bodies.map { body in min(seconds(1, body), seconds(1, body)) }.max() ?? 0
        let calls = max(1, Int(0.02 / max(slowest, 1e-7)))
        var times = [[Double]](repeating: [], count: bodies.count)
        for _ in 0..<samples {
            for (index, body) in bodies.enumerated() { times[index].append(seconds(calls, body)) }
        }
        return times.map(median)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
