import FSBCore

/// A per-channel map `y = x * scale[c] + shift[c]`, optionally plus a tensor shaped like the
/// output (a residual block's shortcut), optionally followed by ReLU: an inference BatchNorm
/// (residual sum, ReLU) that a convolution applies to its output block by block while the
/// block is still in cache (`Conv2D.forward(_:training:epilogue:)`), with the same bits as
/// running the layers afterwards.
struct ChannelAffine {
    var scale: [Float]
    var shift: [Float]
    var addend: Tensor?
    var relu: Bool
}
