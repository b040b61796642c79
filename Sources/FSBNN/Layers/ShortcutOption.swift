/// How a residual block's shortcut matches shapes when the block changes the channel count
/// or strides (He et al., "Deep Residual Learning", CVPR 2016, section 3.3 / 4.2).
public enum ShortcutOption: String, Sendable, CaseIterable {
    /// Identity subsampled by the stride and zero-padded in channels (no parameters),
    /// the CIFAR ResNet default; new channels are split evenly before and after.
    case optionA
    /// 1x1 convolution with the block's stride, followed by BatchNorm.
    case optionB
}
