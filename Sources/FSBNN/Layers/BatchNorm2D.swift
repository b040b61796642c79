import FSBCore

/// Batch normalisation over `[N, C, H, W]` per channel (statistics over N, H, W).
/// Training uses batch statistics and updates the running ones (momentum 0.1, unbiased
/// variance, like PyTorch); inference uses the running statistics. eps = 1e-5.
/// Parameters `"<name>.weight"` (gamma, 1) and `"<name>.bias"` (beta, 0); buffers
/// `"<name>.running_mean"` (0) and `"<name>.running_var"` (1).
public final class BatchNorm2D: BatchNormLayer, Layer {
    public var channels: Int { core.channels }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[0] == channels else {
            throw ShapeError(layer: name, expected: "[\(channels), H, W]", found: inputShape)
        }
        return inputShape
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == channels, "\(name): input \(input.shape)")
        return core.forward(input, batch: input.shape[0], plane: input.shape[2] * input.shape[3], training: training)
    }

    /// `relu.forward(forward(input))` in one pass over the output (same values); `relu`
    /// keeps the output for its backward exactly as if it had run.
    func forward(_ input: Tensor, training: Bool, then relu: ReLU) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == channels, "\(name): input \(input.shape)")
        let output = core.forward(input, batch: input.shape[0], plane: input.shape[2] * input.shape[3],
                                  training: training, thenReLU: true)
        relu.adopt(output: output)
        return output
    }

    /// Inference as `y = x * scale[c] + shift[c]` (running statistics), for fusing it into
    /// the preceding convolution.
    func inferenceAffine() -> (scale: [Float], shift: [Float]) { core.inferenceAffine() }

    public func backward(_ dOutput: Tensor) -> Tensor {
        core.backward(dOutput, batch: dOutput.shape[0], plane: dOutput.shape[2] * dOutput.shape[3])
    }
}
