/// What a BatchNorm layer computes in inference, per channel `c`:
/// `y = gamma[c] * (x - mean[c]) / sqrt(variance[c] + epsilon) + beta[c]`, with the running
/// statistics (Ioffe & Szegedy, ICML 2015). For exporters, which write it out as it is.
public struct BatchNormInference: Equatable, Sendable {
    public var gamma: [Float]
    public var beta: [Float]
    public var mean: [Float]
    public var variance: [Float]
    public var epsilon: Float
}

extension BatchNormalization {
    /// The current inference parameters.
    var inference: BatchNormInference {
        BatchNormInference(gamma: gamma.value.storage, beta: beta.value.storage, mean: runningMean.storage,
                           variance: runningVariance.storage, epsilon: epsilon)
    }
}

extension BatchNorm2D {
    /// The inference parameters (running statistics, gamma, beta, eps).
    public var inference: BatchNormInference { core.inference }
}

extension BatchNorm1D {
    /// The inference parameters (running statistics, gamma, beta, eps).
    public var inference: BatchNormInference { core.inference }
}
