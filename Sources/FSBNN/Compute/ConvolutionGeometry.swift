import CKernels
import FSBCore

/// Sizes of one 2-D convolution over an NCHW batch (the output size is `LayerShape`'s), and the batched col2im that folds a
/// column matrix back into images. (The column matrix itself is never built for the forward
/// and weight-gradient products: `fsb_sgemm_im2col` / `fsb_sgemm_im2col_transposed` pack the
/// GEMM's panels straight from the images, see `shape`.)
///
/// Columns layout: `[channels * kernelH * kernelW, batch * outH * outW]`, row
/// `(c*kernelH + ky)*kernelW + kx`, column `b*outH*outW + oy*outW + ox` — so that one GEMM
/// `W[Co, Ci*K] x columns` convolves the whole batch.
struct ConvolutionGeometry {
    let batch: Int
    let channels: Int
    let height: Int
    let width: Int
    let kernelHeight: Int
    let kernelWidth: Int
    let stride: Int
    let padding: Int

    /// The same convolution over `batch` images of `height` x `width`.
    func over(batch: Int, height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, channels: channels, height: height, width: width,
                            kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding)
    }

    var outputHeight: Int { LayerShape.outputSize(input: height, kernel: kernelHeight, stride: stride, padding: padding) }
    var outputWidth: Int { LayerShape.outputSize(input: width, kernel: kernelWidth, stride: stride, padding: padding) }
    var outputPixels: Int { outputHeight * outputWidth }
    var rows: Int { channels * kernelHeight * kernelWidth }
    var columnCount: Int { batch * outputPixels }

    /// The same sizes for the C kernels (implicit-im2col GEMMs).
    var shape: fsb_conv_shape {
        fsb_conv_shape(batch: batch, channels: channels, height: height, width: width,
                       kernel_h: kernelHeight, kernel_w: kernelWidth, pad_h: padding, pad_w: padding,
                       stride_h: stride, stride_w: stride)
    }

    /// Valid output columns `ox` for kernel column `kx`: `0 <= ox*stride - padding + kx < width`.
    @inline(__always)
    private func validRange(kernelOffset: Int, outputSize: Int, inputSize: Int) -> Range<Int> {
        // ox*stride >= padding - k  and  ox*stride <= inputSize - 1 + padding - k
        let low = padding - kernelOffset
        let first = low <= 0 ? 0 : (low + stride - 1) / stride
        let high = inputSize - 1 + padding - kernelOffset
        let last = high < 0 ? -1 : min(outputSize - 1, high / stride)
        return first <= last ? first..<(last + 1) : 0..<0
    }

    /// Stride 1 with "same" padding (`outH == H`, `outW == W`; then `2*padding == kernel - 1`
    /// in both axes, so the kernel is square and `padding < kernel`).
    var isSameShapeStrideOne: Bool {
        stride == 1 && outputHeight == height && outputWidth == width
    }

    /// For stride 1, the input gradient of this convolution is itself a stride-1 convolution:
    /// of the output gradient `[batch, Co, outH, outW]` with the kernels flipped in both
    /// spatial axes and their channel axes swapped, padded by `kernel - 1 - padding`, giving
    /// exactly `[batch, channels, height, width]`:
    ///   dX[b, c, y, x] = sum over (o, i, j) of W[o, c, kh-1-i, kw-1-j] * dY[b, o, y + i - pad', x + j - pad'].
    /// This is that convolution's geometry over `outputChannels` input planes for "same"
    /// convolutions (output as large as the input, e.g. 3x3 with padding 1), or nil. For a
    /// convolution that shrinks its input the padded dY is mostly zeros (LeNet-5's 5x5
    /// valid conv2: twice the multiply-adds), so col2im is cheaper there.
    func inputGradientAsConvolution(outputChannels: Int) -> ConvolutionGeometry? {
        guard isSameShapeStrideOne else { return nil }
        let transposed = ConvolutionGeometry(batch: batch, channels: outputChannels, height: outputHeight,
                                             width: outputWidth, kernelHeight: kernelHeight,
                                             kernelWidth: kernelWidth, stride: 1,
                                             padding: kernelHeight - 1 - padding)
        precondition(transposed.outputHeight == height && transposed.outputWidth == width)
        return transposed
    }

    /// Writes this batch's column matrix (`rows x columnCount`, the layout above) into `columns`.
    func im2col(_ images: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        fsb_im2col_batched(images, batch, channels, height, width, kernelHeight, kernelWidth,
                           padding, padding, stride, stride, columns)
    }

    /// ADDS every column entry back into `image` ([batch, channels, height, width]). Only
    /// convolutions whose input gradient is not a convolution call it (`Conv2D.backward`):
    /// strides above 1, or outputs smaller or larger than the input.
    func col2imAdd(_ columns: UnsafeMutablePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let outH = outputHeight, outW = outputWidth, pixels = outputPixels
        let total = columnCount
        if padding == 0 && stride == 1 {
            // "Valid" convolution: every tap adds whole rows; plain pointer loops.
            let width = self.width, planeSize = height * width
            ParallelLoop.run(count: channels, work: rows * total) { channelRange in
                for c in channelRange {
                    for ky in 0..<kernelHeight {
                        for kx in 0..<kernelWidth {
                            let rowBase = columns + ((c * kernelHeight + ky) * kernelWidth + kx) * total
                            for b in 0..<batch {
                                var dst = image + (b * channels + c) * planeSize + ky * width + kx
                                var src = UnsafePointer(rowBase + b * pixels)
                                for _ in 0..<outH {
                                    for ox in 0..<outW { dst[ox] += src[ox] }
                                    dst += width
                                    src += outW
                                }
                            }
                        }
                    }
                }
            }
            return
        }
        ParallelLoop.run(count: channels, work: rows * total) { channelRange in
            for c in channelRange {
                for ky in 0..<kernelHeight {
                    for kx in 0..<kernelWidth {
                        let row = (c * kernelHeight + ky) * kernelWidth + kx
                        let xRange = validRange(kernelOffset: kx, outputSize: outW, inputSize: width)
                        if xRange.isEmpty { continue }
                        let rowBase = columns + row * total
                        for b in 0..<batch {
                            let plane = image + (b * channels + c) * height * width
                            let src = rowBase + b * pixels
                            for oy in 0..<outH {
                                let iy = oy * stride - padding + ky
                                if iy < 0 || iy >= height { continue }
                                let dst = plane + iy * width - padding + kx
                                let line = src + oy * outW
                                if stride == 1 {
                                    for ox in xRange { dst[ox] += line[ox] }
                                } else {
                                    for ox in xRange { dst[ox * stride] += line[ox] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
