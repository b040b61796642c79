import CKernels
import FSBCore

/// The bf16 products of `Conv2D` (`precision == .bfloat16`): per image, the column matrix
/// `[Ci*K, P]` is built (`fsb_im2col`) and multiplied on the bf16 GEMM, which rounds both
/// operands to bfloat16 once while packing and accumulates in float32:
///   forward          out_b[Co, P]    = What[Co, Ci*K] x columns_b
///   weight gradient  dWhat[Co, Ci*K] = sum over b of dOut_b[Co, P] x columns_bᵀ  (float32 sum over images)
///   input gradient   dColumns_b      = Whatᵀ x dOut_b, folded back with col2im
/// The float32 path's fusions (implicit im2col, packing-free small layers, inference
/// epilogues) are not used here.
extension Conv2D {
    func bfloat16Forward(_ input: Tensor, _ full: ConvolutionGeometry, into output: inout Tensor) {
        let rows = full.rows, pixels = full.outputPixels, channels = outputChannels
        let single = geometry(batch: 1, height: full.height, width: full.width)
        let columns = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * pixels)
        let inputPlane = inputChannels * full.height * full.width
        input.storage.withUnsafeBufferPointer { x in
            weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                output.storage.withUnsafeMutableBufferPointer { out in
                    for b in 0..<full.batch {
                        single.im2col(x.baseAddress! + b * inputPlane, into: columns)
                        precision.gemm(transposeA: false, transposeB: false, m: channels, n: pixels, k: rows,
                                       a: w.baseAddress!, lda: rows, b: columns, ldb: pixels,
                                       c: out.baseAddress! + b * channels * pixels, ldc: pixels)
                    }
                    if let bias {
                        bias.value.storage.withUnsafeBufferPointer { bv in
                            Conv2D.addChannelBias(bv.baseAddress!, to: out.baseAddress!, batch: full.batch,
                                                  channels: channels, pixels: pixels)
                        }
                    }
                }
            }
        }
    }

    /// dInput (nil when the layer's input gradient is skipped) and, accumulated into the
    /// parameters, dWhat and the bias gradient.
    func bfloat16Backward(input: Tensor, dOutput: Tensor, _ full: ConvolutionGeometry, wantsInputGradient: Bool) -> Tensor {
        let rows = full.rows, pixels = full.outputPixels, channels = outputChannels
        let single = geometry(batch: 1, height: full.height, width: full.width)
        let columns = workspace.buffer(ScratchWorkspace.Slot.columns, count: rows * pixels)
        let dColumns = workspace.buffer(ScratchWorkspace.Slot.transposed, count: rows * pixels)
        let dWeight = workspace.buffer(ScratchWorkspace.Slot.weightGradient, count: channels * rows)
        let inputPlane = inputChannels * full.height * full.width
        var dInput = Tensor(shape: input.shape)
        input.storage.withUnsafeBufferPointer { x in
            dOutput.storage.withUnsafeBufferPointer { dOut in
                weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                    dInput.storage.withUnsafeMutableBufferPointer { dX in
                        for b in 0..<full.batch {
                            let dOutImage = dOut.baseAddress! + b * channels * pixels
                            single.im2col(x.baseAddress! + b * inputPlane, into: columns)
                            precision.gemm(transposeA: false, transposeB: true, m: channels, n: rows, k: pixels,
                                           a: dOutImage, lda: pixels, b: columns, ldb: pixels,
                                           beta: b == 0 ? 0 : 1, c: dWeight, ldc: rows)
                            if wantsInputGradient {
                                precision.gemm(transposeA: true, transposeB: false, m: rows, n: pixels, k: channels,
                                               a: w.baseAddress!, lda: rows, b: dOutImage, ldb: pixels,
                                               c: dColumns, ldc: pixels)
                                single.col2imAdd(dColumns, dX.baseAddress! + b * inputPlane)
                            }
                        }
                        if let bias {
                            bias.gradient.storage.withUnsafeMutableBufferPointer { dB in
                                for o in 0..<channels {
                                    var total: Double = 0
                                    for b in 0..<full.batch {
                                        total += Double(VectorMath.sum(dOut.baseAddress! + (b * channels + o) * pixels, pixels))
                                    }
                                    dB[o] += Float(total)
                                }
                            }
                        }
                    }
                }
            }
        }
        weight.accumulateGradient(dEffectiveWeight: dWeight)
        return dInput
    }
}
