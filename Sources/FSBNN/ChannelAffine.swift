/// A per-channel map `y = x * scale[c] + shift[c]`, optionally followed by ReLU: an inference
/// BatchNorm (and ReLU) that a convolution applies to its output block by block while the
/// block is still in cache (`Conv2D.forward(_:training:epilogue:)`), with the same bits as
/// running the layers afterwards.
struct ChannelAffine {
    var scale: [Float]
    var shift: [Float]
    var relu: Bool
}
