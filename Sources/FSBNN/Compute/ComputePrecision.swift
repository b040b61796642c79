import FSBCore

/// The arithmetic of the matrix products of the compute layers (Conv2D, Linear): forward,
/// input gradient and weight/factor gradient. Everything else — master weights, FSB factors,
/// BatchNorm, the loss, optimizer state — stays float32 in either precision (mixed precision,
/// as PyTorch's autocast and Lightning's `bf16-mixed` do it).
public enum ComputePrecision: Equatable, Sendable {
    /// float32 operands and accumulation (the default; the fastest kernels and fusions).
    case float32
    /// bfloat16 operands, float32 accumulation, on the given bf16 GEMM path.
    case bfloat16(BFloat16GEMM.Path)

    /// `C[m, n] = op(A) x op(B)` of densely stored row-major matrices (`A` `[m, k]`, or
    /// `[k, m]` when transposed; `B` `[k, n]`, or `[n, k]`): the leading dimensions follow from
    /// the sizes (`lda = transposeA ? m : k`, `ldb = transposeB ? k : n`, `ldc = n`).
    @inline(__always)
    public func product(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                        a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, c: c, ldc: n)
    }

    /// `product` over the elements of `a` and `b` into `c` (overwritten, at least `m*n`).
    @inline(__always)
    public func product(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                        a: Tensor, b: Tensor, c: inout [Float]) {
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                c.withUnsafeMutableBufferPointer { z in
                    product(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                            a: x.baseAddress!, b: y.baseAddress!, c: z.baseAddress!)
                }
            }
        }
    }

    /// The product `C = alpha * op(A) x op(B) + beta * C` in this precision (row-major).
    @inline(__always)
    public func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch self {
        case .float32:
            Kernels.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                         a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        case .bfloat16(let path):
            let ran = BFloat16GEMM.gemm(path: path, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                        alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            precondition(ran, "bf16 GEMM path \(path.rawValue) is not available on this CPU")
        }
    }
}
