@testable import FSBHardware
import Foundation

/// Shared test fixtures: the repository root, a simple energy table and configs.
enum HardwareFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// A table with distinct, easy numbers so that every lookup is visible in a sum.
    static let energy = EnergyTable(
        source: "test", int8AddPJ: 0.03, int16AddPJ: 0.05, int32AddPJ: 0.1,
        int8MultiplyPJ: 0.2, int16MultiplyPJ: 0.8, int32MultiplyPJ: 3.1,
        fp16AddPJ: 0.4, fp16MultiplyPJ: 1.1, fp32AddPJ: 0.9, fp32MultiplyPJ: 3.7,
        sram: [.init(sizeKiB: 8, read64BitPJ: 10), .init(sizeKiB: 32, read64BitPJ: 20),
               .init(sizeKiB: 1024, read64BitPJ: 100)],
        dram64BitPJ: 2000, lfsrStepPJ: 0.03)

    static func config(_ kind: AcceleratorKind, _ dataflow: Dataflow = .outputStationary, rows: Int = 4,
                       cols: Int = 4, arithmetic: Arithmetic = .int8, signSource: SignSource = .stored,
                       codebook: Int? = nil, bufferKiB: Double = 32) -> HardwareConfig {
        let width = arithmetic.maximumOperandBits
        return HardwareConfig(
            name: "\(kind.rawValue)-\(dataflow.rawValue)", kind: kind, arrayRows: rows, arrayCols: cols,
            dataflow: dataflow, clockMHz: 200, arithmetic: arithmetic,
            bits: .init(activations: width, weights: width, factors: width, accumulators: 32),
            buffersKiB: .init(input: bufferKiB, weight: bufferKiB, output: bufferKiB), dramBytesPerCycle: 16,
            signSource: signSource, signCodebook: codebook)
    }

    static func accelerator(_ config: HardwareConfig) -> Accelerator {
        Accelerator(config: config, energy: energy)
    }
}
