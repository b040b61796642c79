import CKernels
import FSBCore

/// The inference forward of `Conv2D`: `What` packed once for all batches (`fsb_pack_a`,
/// cached until the weights or the micro-kernel change) and, when the layer is followed by a
/// BatchNorm (and a ReLU, and in a residual block the shortcut sum), those applied inside the
/// GEMM (`ChannelAffine`). The same bits as the training-mode product followed by the layers.
extension Conv2D {
    /// Whether an inference forward can take a following BatchNorm (and ReLU) as `epilogue`:
    /// no bias to add first, no override replacing the float path, float32 products.
    var acceptsInferenceEpilogue: Bool { bias == nil && inferenceOverride == nil && precision == .float32 }

    /// `What` packed for inference, from the cache when neither it nor the kernel changed.
    func packedWeightForInference() -> [Float] {
        let stamp = weight.effectiveWeightStamp, kernel = Kernels.gemmKernelName
        if let cached = packedInferenceWeight, cached.stamp == stamp, cached.kernel == kernel { return cached.values }
        let rows = inputChannels * kernelHeight * kernelWidth
        var values = [Float](repeating: 0, count: Kernels.packedSize(rows: outputChannels, columns: rows))
        weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
            values.withUnsafeMutableBufferPointer {
                Kernels.pack(w.baseAddress!, rows: outputChannels, columns: rows, lda: rows, into: $0.baseAddress!)
            }
        }
        packedInferenceWeight = (stamp, kernel, values)
        return values
    }

    /// output = What x columns(input) (+ bias), or, with `epilogue`, that map of it.
    func inferenceProduct(_ input: Tensor, _ full: ConvolutionGeometry, into output: inout Tensor, epilogue: ChannelAffine?) {
        precondition(epilogue?.addend.map { $0.shape == output.shape } ?? true, "\(name): addend shape")
        let channels = outputChannels, pixels = full.outputPixels, batch = input.shape[0]
        let packedWeight = packedWeightForInference()
        let scale = epilogue?.scale ?? [], shift = epilogue?.shift ?? [], addend = epilogue?.addend?.storage ?? []
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { out in
                packedWeight.withUnsafeBufferPointer { packed in
                    scale.withUnsafeBufferPointer { scales in
                        shift.withUnsafeBufferPointer { shifts in
                            addend.withUnsafeBufferPointer { addends in
                                full.convolve(x.baseAddress!, packedFilters: packed.baseAddress!, outputs: channels,
                                              into: out.baseAddress!,
                                              epilogue: epilogue.map { affine in
                                                  (scale: scales.baseAddress, shift: shifts.baseAddress,
                                                   addend: affine.addend == nil ? nil : addends.baseAddress, relu: affine.relu)
                                              })
                            }
                        }
                    }
                }
                if let bias {
                    bias.value.storage.withUnsafeBufferPointer { b in
                        Conv2D.addChannelBias(b.baseAddress!, to: out.baseAddress!, batch: batch, channels: channels, pixels: pixels)
                    }
                }
            }
        }
    }
}
