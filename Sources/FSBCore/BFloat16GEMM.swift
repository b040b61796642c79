import CKernels

/// The bf16 mixed-precision GEMM of the `CKernels` target (`fsb_gemm_bf16.c`): operands
/// rounded to bfloat16, products accumulated in float32 — the arithmetic of PyTorch's CPU
/// autocast. One packed layout, three compute paths chosen explicitly by the caller.
public enum BFloat16GEMM {
    /// An instruction-set path of the bf16 GEMM.
    public enum Path: String, CaseIterable, Sendable {
        /// Plain C on any CPU (slower than the float32 GEMM): the reference for the others.
        case portable
        /// AVX512-BF16 `vdpbf16ps` (AMD Zen 4, Intel Cooper Lake and later).
        case avx512bf16 = "avx512-bf16"
        /// Intel AMX tiles, `tdpbf16ps` (Sapphire Rapids and later).
        case amx

        /// The path's number in the C kernels (`FSB_BF16_*` of `fsb_kernels.h`).
        public var code: Int32 {
            switch self {
            case .portable: return Int32(FSB_BF16_PORTABLE)
            case .avx512bf16: return Int32(FSB_BF16_AVX512BF16)
            case .amx: return Int32(FSB_BF16_AMX)
            }
        }

        /// Whether this CPU (and, for AMX, the operating system) can run the path.
        public var isAvailable: Bool { fsb_bf16_path_available(code) != 0 }

        /// What the CPU must have for this path, in words (for skip reasons and errors).
        public var requirement: String {
            switch self {
            case .portable: return "nothing"
            case .avx512bf16: return "the AVX512-BF16 instructions (cpuinfo flag avx512_bf16)"
            case .amx: return "AMX-BF16 tiles (cpuinfo flags amx_bf16, amx_tile) with the kernel's tile permission"
            }
        }
    }

    /// The fastest hardware path of this CPU (AMX, then AVX512-BF16), or nil when it has
    /// neither; the portable path is never chosen automatically.
    public static var hardwarePath: Path? {
        switch fsb_bf16_hardware_path() {
        case Int32(FSB_BF16_AMX): return .amx
        case Int32(FSB_BF16_AVX512BF16): return .avx512bf16
        default: return nil
        }
    }

    /// `x` rounded to the nearest bfloat16 (ties to even; NaN stays NaN), as a Float.
    public static func round(_ x: Float) -> Float { fsb_round_to_bf16(x) }

    /// `C[m,n] = alpha * bf16(op(A)) x bf16(op(B)) + beta * C`, row-major, with `op` as in
    /// ``Kernels/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, on `path`.
    /// Returns false (C untouched) when this CPU cannot run `path`.
    @discardableResult
    public static func gemm(
        path: Path, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        fsb_sgemm_bf16(path.code, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha,
                       a, lda, b, ldb, beta, c, ldc) != 0
    }
}
