import FSBCore

extension Network {
    /// Installs the FSB sign path (`Conv2D.useSignPathForInference`) on every Conv2D that
    /// supports it (fsb weight, `kernel` granularity); the other layers keep their path.
    /// Returns the installed plans in execution order. The options are the plans' (nil: their
    /// defaults, chosen per layer).
    @discardableResult
    public func useSignPathForInference(mergesNegatedPatterns: Bool? = nil,
                                        contraction: SignConvolutionPlan.Contraction? = nil) throws -> [SignConvolutionPlan] {
        try shapeRecords.compactMap { record in
            guard let convolution = record.layer as? Conv2D, SignConvolutionPlan.supports(convolution) else { return nil }
            return try convolution.useSignPathForInference(mergesNegatedPatterns: mergesNegatedPatterns,
                                                           contraction: contraction)
        }
    }

    /// Restores the plain GEMM path for inference on every Conv2D.
    public func usePlainPathForInference() {
        for record in shapeRecords { (record.layer as? Conv2D)?.usePlainPathForInference() }
    }
}
