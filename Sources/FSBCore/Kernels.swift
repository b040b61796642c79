import CKernels

/// The hot numerical kernels of fsb (from the `CKernels` C target): a packed, cache-blocked,
/// multi-threaded SGEMM and im2col/col2im.
///
/// All matrices are row-major `Float`. Results are bit-identical for any thread count (work
/// is split over output blocks only, never over the reduction dimension). Call from one
/// thread at a time for full speed; concurrent calls are still correct but run serially.
/// GEMM blocking follows Goto & van de Geijn, "Anatomy of high-performance matrix
/// multiplication" (ACM TOMS 2008).
public enum Kernels {
    /// `C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C[m,n]`, row-major.
    ///
    /// `op(A)` is `A` stored `m x k` (leading dimension `lda`) or, with `transposeA`, `Aᵀ`
    /// where `A` is stored `k x m`. Likewise `op(B)` is `B` stored `k x n` or, with
    /// `transposeB`, `Bᵀ` where `B` is stored `n x k`. `beta == 0` overwrites `C` without
    /// reading it; `alpha == 0` or `k == 0` only scales `C` by `beta`.
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        fsb_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// `gemm` with C's columns stored in groups of `groupColumns`, `groupStride` floats
    /// apart (column `j` at `c + (j / groupColumns) * groupStride + j % groupColumns`): a
    /// product over a batch written straight into NCHW. Same bits as `gemm`.
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, groupColumns: Int, groupStride: Int
    ) {
        fsb_sgemm_grouped_c(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                            groupColumns, groupStride)
    }

    /// Floats `pack` writes for an `m x k` matrix with the selected micro-kernel.
    @inlinable
    public static func packedSize(rows m: Int, columns k: Int) -> Int { fsb_packed_a_size(m, k) }

    /// Packs `a` (`m x k`, leading dimension `lda`) as the GEMMs pack their A operand with
    /// the selected micro-kernel, once for many products; valid while that kernel stays selected.
    @inlinable
    public static func pack(_ a: UnsafePointer<Float>, rows m: Int, columns k: Int, lda: Int,
                            into packed: UnsafeMutablePointer<Float>) {
        fsb_pack_a(m, k, a, lda, packed)
    }

    /// Unfolds one image `[channels, height, width]` into columns
    /// `[channels * kernelH * kernelW, outH * outW]` (zero padding), where
    /// `outH = (height + 2 * padH - kernelH) / strideH + 1` (likewise `outW`).
    /// Row `(c * kernelH + ky) * kernelW + kx`, column `oy * outW + ox`.
    @inlinable
    public static func im2col(
        image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
        columns: UnsafeMutablePointer<Float>
    ) {
        fsb_im2col(image, channels, height, width, kernelH, kernelW, padH, padW, strideH, strideW, columns)
    }

    /// Adjoint of ``im2col(image:channels:height:width:kernelH:kernelW:padH:padW:strideH:strideW:columns:)``:
    /// ADDS every column entry back into `image` `[channels, height, width]`.
    @inlinable
    public static func col2imAdd(
        columns: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
        kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
        image: UnsafeMutablePointer<Float>
    ) {
        fsb_col2im_add(columns, channels, height, width, kernelH, kernelW, padH, padW, strideH, strideW, image)
    }

    /// Unfolds a batch `[batch, channels, height, width]` into ONE column matrix
    /// `[channels * kernelH * kernelW, batch * outH * outW]`: row `(c * kernelH + ky) * kernelW + kx`,
    /// column `(b * outH + oy) * outW + ox`. One GEMM `W[Co, Ci*kh*kw] * columns` then gives the
    /// output of the whole batch laid out `[Co, batch, outH, outW]` (channel-major, not NCHW).
    @inlinable
    public static func im2colBatched(
        images: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
        kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
        columns: UnsafeMutablePointer<Float>
    ) {
        fsb_im2col_batched(images, batch, channels, height, width, kernelH, kernelW, padH, padW,
                           strideH, strideW, columns)
    }

    /// Adjoint of ``im2colBatched(images:batch:channels:height:width:kernelH:kernelW:padH:padW:strideH:strideW:columns:)``:
    /// ADDS every entry of `columns` `[channels * kernelH * kernelW, batch * outH * outW]`
    /// back into `images` `[batch, channels, height, width]`.
    @inlinable
    public static func col2imAddBatched(
        columns: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
        kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
        images: UnsafeMutablePointer<Float>
    ) {
        fsb_col2im_add_batched(columns, batch, channels, height, width, kernelH, kernelW, padH, padW,
                               strideH, strideW, images)
    }

    /// Number of threads the kernels use (default: online CPUs; values below 1 become 1).
    public static var threadCount: Int {
        get { Int(fsb_get_num_threads()) }
        set { fsb_set_num_threads(Int32(clamping: newValue)) }
    }

    /// Name of the GEMM micro-kernel chosen for this CPU: `"avx512"`, `"avx2"` or `"portable"`.
    public static var gemmKernelName: String { String(cString: fsb_gemm_kernel_name()) }

    /// Forces a GEMM micro-kernel by name (`nil` restores the automatic choice), for tests and
    /// benchmarks. Returns `false` when the name is unknown or this CPU cannot run it.
    @discardableResult
    public static func selectGEMMKernel(_ name: String?) -> Bool {
        guard let name else { return fsb_set_gemm_kernel(nil) != 0 }
        return name.withCString { fsb_set_gemm_kernel($0) != 0 }
    }
}
