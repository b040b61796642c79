import FSBCore

/// Forward through a list of layers in order, fusing each `BatchNorm2D` that is directly
/// followed by a `ReLU` into one pass over the tensor (`BatchNorm2D.forward(_:training:then:)`),
/// and, during inference, a `Conv2D` directly followed by a `BatchNorm2D` (and a `ReLU`) into
/// the convolution's GEMM (`ChannelAffine`): the same values, one or two full reads and
/// writes of the activation fewer. Used by `Sequential` and `ResidualBlock`; backward runs
/// the layers one by one as before.
enum LayerChain {
    static func forward(_ layers: [Layer], _ input: Tensor, training: Bool) -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
            if !training, let convolution = layers[index] as? Conv2D, convolution.acceptsInferenceEpilogue,
               index + 1 < layers.count, let normalization = layers[index + 1] as? BatchNorm2D {
                let relu = index + 2 < layers.count ? layers[index + 2] as? ReLU : nil
                let (scale, shift) = normalization.inferenceAffine()
                x = convolution.forward(x, training: false,
                                        epilogue: ChannelAffine(scale: scale, shift: shift, addend: nil, relu: relu != nil))
                relu?.adopt(output: x)
                index += relu == nil ? 2 : 3
                continue
            }
            if let normalization = layers[index] as? BatchNorm2D, index + 1 < layers.count,
               let relu = layers[index + 1] as? ReLU, x.rank == 4 {
                x = normalization.forward(x, training: training, then: relu)
                index += 2
                continue
            }
            x = layers[index].forward(x, training: training)
            index += 1
        }
        return x
    }
}
