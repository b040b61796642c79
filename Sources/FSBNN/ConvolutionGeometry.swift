/// Sizes of one 2-D convolution or pooling window over an NCHW batch, and the batched
/// im2col / col2im loops that unfold a whole batch into one column matrix.
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

    var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    var outputPixels: Int { outputHeight * outputWidth }
    var rows: Int { channels * kernelHeight * kernelWidth }
    var columnCount: Int { batch * outputPixels }

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

    /// Fills `columns` (rows x columnCount) from `image` ([batch, channels, height, width]).
    func im2col(_ image: UnsafePointer<Float>, _ columns: UnsafeMutablePointer<Float>) {
        let outH = outputHeight, outW = outputWidth, pixels = outputPixels
        let total = columnCount
        let kernelArea = kernelHeight * kernelWidth
        ParallelLoop.run(count: rows, work: rows * total) { rowRange in
            for row in rowRange {
                let c = row / kernelArea
                let ky = (row / kernelWidth) % kernelHeight
                let kx = row % kernelWidth
                let xRange = validRange(kernelOffset: kx, outputSize: outW, inputSize: width)
                let rowBase = columns + row * total
                for b in 0..<batch {
                    let plane = image + (b * channels + c) * height * width
                    let out = rowBase + b * pixels
                    for oy in 0..<outH {
                        let dst = out + oy * outW
                        let iy = oy * stride - padding + ky
                        if iy < 0 || iy >= height {
                            dst.update(repeating: 0, count: outW)
                            continue
                        }
                        if xRange.isEmpty { dst.update(repeating: 0, count: outW); continue }
                        if xRange.lowerBound > 0 { dst.update(repeating: 0, count: xRange.lowerBound) }
                        let src = plane + iy * width - padding + kx
                        if stride == 1 {
                            (dst + xRange.lowerBound).update(from: src + xRange.lowerBound, count: xRange.count)
                        } else {
                            for ox in xRange { dst[ox] = src[ox * stride] }
                        }
                        if xRange.upperBound < outW {
                            (dst + xRange.upperBound).update(repeating: 0, count: outW - xRange.upperBound)
                        }
                    }
                }
            }
        }
    }

    /// ADDS every column entry back into `image` ([batch, channels, height, width]).
    func col2imAdd(_ columns: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        let outH = outputHeight, outW = outputWidth, pixels = outputPixels
        let total = columnCount
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
