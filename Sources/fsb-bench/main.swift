// fsb-bench: benchmarks (not tests) of the GEMM, training/inference throughput and data loading.
// Usage: fsb-bench <subcommand> [options]; each subcommand parses its own options.
import FSBCore
import Foundation

/// Subcommands by name: (one-line summary, usage text, entry point). Add new benchmarks here.
let subcommands: [String: (summary: String, usage: String, run: ([String]) throws -> Void)] = [
    "gemm": ("GFLOP/s of the SGEMM on square and conv-shaped problems", GEMMBenchmark.usage,
             GEMMBenchmark.run(arguments:)),
    "data": ("CIFAR-10 training set load time against zcat", DataBenchmark.usage, DataBenchmark.run(arguments:)),
    "train": ("training and inference images/s and peak memory of LeNet-5, ResNet-20, VGG-small", TrainBenchmark.usage,
              TrainBenchmark.run(arguments:)),
    "signconv": ("FSB inference: plain GEMM path vs sign path per conv shape and codebook, and a whole ResNet-20",
                 SignConvolutionBenchmark.usage, SignConvolutionBenchmark.run(arguments:)),
]

@MainActor func printOverview() {
    print("usage: fsb-bench <subcommand> [options]\nsubcommands:")
    for name in subcommands.keys.sorted() { print("  \(name)  \(subcommands[name]!.summary)") }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let subcommand = subcommands[name] else {
    printOverview()
    exit(arguments.isEmpty || ["help", "--help", "-h"].contains(arguments[0]) ? 0 : 2)
}
if arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
    print(subcommand.usage)
    exit(0)
}
FreedMemoryReuse.enable()
do {
    try subcommand.run(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n\(subcommand.usage)\n".utf8))
    exit(2)
}
