import FSBCore
import FSBNN
import Foundation

/// Turns `training.precision` into the engine's `ComputePrecision` for this CPU.
///
/// `bf16` runs on the fastest hardware bf16 path (AMX, else AVX512-BF16). On a CPU with
/// neither it is refused — there is no silent fallback — unless the environment variable
/// `FSB_BF16_PATH` names a path explicitly: `portable` runs the plain-C reference (the
/// numerics of bf16, much slower than fp32: for tests and numerical studies), `amx` or
/// `avx512-bf16` force that path where the CPU has it.
public enum PrecisionResolution {
    /// The environment variable that forces a bf16 path.
    public static let pathVariable = "FSB_BF16_PATH"

    /// `precision` for this CPU; `field` names the config field or option in errors.
    public static func resolve(_ precision: TrainingConfig.Precision, field: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ComputePrecision {
        guard precision == .bf16 else { return .float32 }
        if let forced = environment[pathVariable] {
            guard let path = BFloat16GEMM.Path(rawValue: forced) else {
                let names = BFloat16GEMM.Path.allCases.map(\.rawValue).joined(separator: ", ")
                throw FSBError("\(pathVariable): expected one of \(names), got \"\(forced)\"")
            }
            guard path.isAvailable else {
                throw FSBError("\(pathVariable)=\(forced): this CPU cannot run it (it needs \(path.requirement))")
            }
            return .bfloat16(path)
        }
        guard let path = BFloat16GEMM.hardwarePath else {
            throw FSBError("\(field): bf16 needs AMX-BF16 or AVX512-BF16 instructions (cpuinfo flags amx_bf16 or avx512_bf16) and this CPU has neither; use fp32, or set \(pathVariable)=portable for the slow reference path")
        }
        return .bfloat16(path)
    }

    /// How a resolved precision is written in summaries and logs: `fp32`, `bf16 (amx)`.
    public static func describe(_ precision: ComputePrecision) -> String {
        switch precision {
        case .float32: return "fp32"
        case .bfloat16(let path): return "bf16 (\(path.rawValue))"
        }
    }
}
