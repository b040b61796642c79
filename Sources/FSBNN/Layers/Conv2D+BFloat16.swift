import CKernels
import FSBCore

/// The bf16 products of `Conv2D` (`precision == .bfloat16`), in the C kernels
/// (`fsb_conv_bf16.c`): per image, the column matrix `[Ci*K, P]` (`fsb_im2col`) is multiplied
/// on the bf16 GEMM, which rounds both operands to bfloat16 once while packing (the weights
/// once per call) and accumulates in float32; the images of the batch are split over the
/// threads:
///   forward          out_b[Co, P]    = What[Co, Ci*K] x columns_b
///   weight gradient  dWhat[Co, Ci*K] = sum over b of dOut_b[Co, P] x columns_bᵀ  (float32 sums
///                    of fixed groups of 8 images, added in order)
///   input gradient   dColumns_b      = Whatᵀ x dOut_b, folded back with col2im
/// The float32 path's fusions (implicit im2col, packing-free small layers, inference
/// epilogues) are not used here.
extension Conv2D {
    func bfloat16Forward(_ input: Tensor, _ full: ConvolutionGeometry, into output: inout Tensor) {
        guard case .bfloat16(let path) = precision else { preconditionFailure("\(name): not a bf16 layer") }
        let channels = outputChannels, pixels = full.outputPixels
        input.storage.withUnsafeBufferPointer { x in
            weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                output.storage.withUnsafeMutableBufferPointer { out in
                    let ran = fsb_conv_bf16_forward(path.code, w.baseAddress!, channels, x.baseAddress!,
                                                    full.shape, out.baseAddress!)
                    precondition(ran != 0, "bf16 path \(path.rawValue) is not available on this CPU")
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

    /// dInput (zeros when the layer's input gradient is skipped) and, accumulated into the
    /// parameters, dWhat and the bias gradient.
    func bfloat16Backward(input: Tensor, dOutput: Tensor, _ full: ConvolutionGeometry, wantsInputGradient: Bool) -> Tensor {
        guard case .bfloat16(let path) = precision else { preconditionFailure("\(name): not a bf16 layer") }
        let rows = full.rows, pixels = full.outputPixels, channels = outputChannels
        let dWeight = workspace.buffer(ScratchWorkspace.Slot.weightGradient, count: channels * rows)
        var dInput = Tensor(shape: input.shape)
        input.storage.withUnsafeBufferPointer { x in
            dOutput.storage.withUnsafeBufferPointer { dOut in
                weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                    dInput.storage.withUnsafeMutableBufferPointer { dX in
                        let ran = fsb_conv_bf16_backward(path.code, w.baseAddress!, channels, x.baseAddress!,
                                                         dOut.baseAddress!, full.shape, dWeight,
                                                         wantsInputGradient ? dX.baseAddress! : nil)
                        precondition(ran != 0, "bf16 path \(path.rawValue) is not available on this CPU")
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
