import ArgumentParser
import FSBExperiments

/// `fsb-bench`: the benchmark subcommands (argument parsing only; each benchmark's work is
/// in its own file). Add new benchmarks to `subcommands`.
struct FSBBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsb-bench",
        abstract: "Benchmarks (not tests): GEMM, training and inference, data loading, sign path, multiply-add peak.",
        subcommands: [GEMMBenchmarkCommand.self, TrainBenchmarkCommand.self, DataBenchmarkCommand.self,
                      SignConvolutionBenchmarkCommand.self, FMAPeakBenchmarkCommand.self])
}

extension TrainingConfig.Precision: ExpressibleByArgument {}

/// `fsb-bench gemm` (`GEMMBenchmark`).
struct GEMMBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of the SGEMM on square and conv-shaped problems.",
        usage: """
        fsb-bench gemm [--threads 1,2] [--repeats N] [--filter TEXT] [--csv FILE]
                       [--im2col-compare] [--batch N] [--kernel NAME]
                       [--precision fp32|bf16]
        """)

    @Option(help: "Comma-separated thread counts.")
    var threads = "1,2"
    @Option(help: "Timed runs per cell after one warm-up; the median is reported.")
    var repeats = 7
    @Option(help: "Only shapes whose name contains this (e.g. resnet20, square).")
    var filter = ""
    @Option(help: "Also write the measurements as CSV to this file.")
    var csv: String?
    @Flag(name: .customLong("im2col-compare"),
          help: "Time convolution layers' explicit im2col + GEMM against the implicit-im2col GEMM instead, and check they give the same bits.")
    var im2colCompare = false
    @Option(help: "Images per convolution for --im2col-compare.")
    var batch = 128
    @Option(help: "Force a micro-kernel: avx512, avx2 or portable (default: the best this CPU runs).")
    var kernel: String?
    @Option(help: "fp32, or bf16: the bf16 GEMM on this CPU's AMX or AVX512-BF16 path (FSB_BF16_PATH=portable forces the slow reference).")
    var precision: TrainingConfig.Precision = .fp32

    func run() throws { try GEMMBenchmark.run(self) }
}

/// `fsb-bench train` (`TrainBenchmark`).
struct TrainBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training and inference images/s and peak memory of LeNet-5, ResNet-20, VGG-small.",
        usage: """
        fsb-bench train [--networks LIST] [--methods LIST] [--threads N]
                        [--batch N] [--steps N] [--precision fp32|bf16]
                        [--csv FILE]
        """)

    @Option(help: "Comma-separated networks: lenet5, resnet20, vgg-small.")
    var networks = "lenet5,resnet20,vgg-small"
    @Option(help: "Comma-separated weight methods.")
    var methods = "fp,binaryconnect,bwn,fsb"
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Option(help: "Images per batch.")
    var batch = 128
    @Option(help: "Timed steps (default: 60 LeNet-5, 12 ResNet-20, 4 VGG-small).")
    var steps: Int?
    @Option(help: "fp32, or bf16 products on this CPU's AMX or AVX512-BF16 path (rows say framework fsb-bf16).")
    var precision: TrainingConfig.Precision = .fp32
    @Option(help: "Write the rows as CSV to this file (default: standard output).")
    var csv: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1, got \(threads)") }
        if batch < 1 { throw ValidationError("--batch must be >= 1, got \(batch)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be >= 1, got \(steps)") }
    }

    func run() throws { try TrainBenchmark.run(self) }
}

/// `fsb-bench peak` (`FMAPeakBenchmark`).
struct FMAPeakBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Multiply-add peak GFLOP/s (fp32 FMA, bf16 vdpbf16ps) per instruction set and thread count.",
        usage: "fsb-bench peak [--threads 1,2] [--repeats N] [--iterations N]")

    @Option(help: "Comma-separated thread counts.")
    var threads = "1,2"
    @Option(help: "Runs per cell; the median is reported.")
    var repeats = 5
    @Option(help: "Loop steps per thread and run (12 vector multiply-adds each; 24 for avx512-bf16).")
    var iterations = 50_000_000

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be >= 1, got \(repeats)") }
        if iterations < 1 { throw ValidationError("--iterations must be >= 1, got \(iterations)") }
    }

    func run() throws { try FMAPeakBenchmark.run(self) }
}

/// `fsb-bench data` (`DataBenchmark`).
struct DataBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "CIFAR-10 training set load time against zcat of the same files.",
        usage: "fsb-bench data [--data-root DIR] [--repeats N]")

    @Option(name: .customLong("data-root"), help: "Folder holding cifar-10/.")
    var dataRoot = "datasets"
    @Option(help: "Repetitions of each measurement.")
    var repeats = 3

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be >= 1, got \(repeats)") }
    }

    func run() throws { try DataBenchmark.run(root: dataRoot, repeats: repeats) }
}

/// `fsb-bench signconv` (`SignConvolutionBenchmark`).
struct SignConvolutionBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signconv",
        abstract: "FSB inference: plain GEMM path against the sign path per conv shape and codebook, and a whole ResNet-20.",
        usage: """
        fsb-bench signconv [--batches LIST] [--codebooks LIST]
                           [--layers all|LIST] [--network-codebooks LIST]
                           [--samples N] [--threads N] [--csv FILE]
        """)

    @Option(help: "Comma-separated batch sizes.")
    var batches = "128,1"
    @Option(help: "Comma-separated sign codebook sizes, or none.")
    var codebooks = "2,4,8,16,64,none"
    @Option(help: "all, or comma-separated: resnet20_16@32x32, resnet20_32@16x16, resnet20_64@8x8, lenet5_conv2.")
    var layers = "all"
    @Option(name: .customLong("network-codebooks"), help: "Codebooks of whole-ResNet-20 runs (none|N,...; empty: none).")
    var networkCodebooks = "4"
    @Option(help: "Interleaved samples per measurement (at least 5).")
    var samples = 7
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Option(help: "Also write the rows as CSV to this file.")
    var csv: String?

    func run() throws { try SignConvolutionBenchmark.run(self) }
}
