import FSBCore

/// Forward through a list of layers in order, fusing each `BatchNorm2D` that is directly
/// followed by a `ReLU` into one pass over the tensor (`BatchNorm2D.forward(_:training:then:)`):
/// the same values, one full read and write of the activation fewer. Used by `Sequential`
/// and `ResidualBlock`; backward runs the layers one by one as before.
enum LayerChain {
    static func forward(_ layers: [Layer], _ input: Tensor, training: Bool) -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
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
