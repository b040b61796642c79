import CKernels

/// The convolution products of the C kernels with labelled arguments, over this geometry's
/// batch (`N = batch`, `P = outputPixels`, `rows = channels*kh*kw`, `columns(images)` the
/// batch's im2col matrix `[rows, N*P]`, never stored: the kernels pack it from the images).
extension ConvolutionGeometry {
    /// `output[N, outputs, P] = filters[outputs, rows] x columns(images)`, written straight
    /// into NCHW (`fsb_sgemm_im2col` with C's columns grouped per image).
    func convolve(_ images: UnsafePointer<Float>, filters: UnsafePointer<Float>, outputs: Int,
                  into output: UnsafeMutablePointer<Float>) {
        fsb_sgemm_im2col(outputs, 1, filters, rows, images, shape, 0, output, outputPixels, outputPixels,
                         outputs * outputPixels)
    }

    /// `convolve` with the filters packed by `Kernels.pack` and, when `epilogue` is set, each
    /// output channel `o` mapped to `value * scale[o] + shift[o]` (+ the addend's element at
    /// the same place) (then `max(., 0)` with `relu`) while it is in cache.
    func convolve(_ images: UnsafePointer<Float>, packedFilters: UnsafePointer<Float>, outputs: Int,
                  into output: UnsafeMutablePointer<Float>,
                  epilogue: (scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?, addend: UnsafePointer<Float>?, relu: Bool)?) {
        fsb_sgemm_im2col_packed(outputs, 1, packedFilters, images, shape, 0, output, outputPixels, outputPixels,
                                outputs * outputPixels, epilogue?.scale, epilogue?.shift, epilogue?.addend,
                                epilogue?.relu == true ? 1 : 0)
    }

    /// `dFilters[outputs, rows] = dProduct[outputs, N*P] x columns(images)ᵀ`, or `+=` that
    /// with `accumulate` (`fsb_sgemm_im2col_transposed`).
    func filterGradient(_ dProduct: UnsafePointer<Float>, outputs: Int, images: UnsafePointer<Float>,
                        accumulate: Bool, into dFilters: UnsafeMutablePointer<Float>) {
        fsb_sgemm_im2col_transposed(outputs, 1, dProduct, columnCount, images, shape, accumulate ? 1 : 0, dFilters, rows)
    }

    /// `dFilters[outputs, rows] = dOutput[N, outputs, P] (NCHW) x columns(images)ᵀ` without
    /// packing, for small stride-1 layers (`fsb_conv_weight_gradient_direct`); false, writing
    /// nothing, when that kernel does not apply.
    func filterGradientDirect(_ dOutput: UnsafePointer<Float>, outputs: Int, images: UnsafePointer<Float>,
                              into dFilters: UnsafeMutablePointer<Float>) -> Bool {
        fsb_conv_weight_gradient_direct(outputs, dOutput, images, shape, dFilters, rows) == 1
    }
}
