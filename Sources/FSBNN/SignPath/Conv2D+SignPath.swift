import FSBCore

extension Conv2D {
    /// Makes inference (`forward(_:training: false)`) of this layer use the FSB sign path
    /// (`SignConvolutionPlan`) through `inferenceOverride`; training keeps the GEMM path.
    /// Replaces any other inference override. Returns the installed plan. The options are the
    /// plan's (`SignConvolutionPlan.init`; nil: its defaults).
    /// - Throws: `FSBError` naming the layer unless it is an fsb layer with `kernel` granularity.
    @discardableResult
    public func useSignPathForInference(mergesNegatedPatterns: Bool? = nil,
                                        contraction: SignConvolutionPlan.Contraction? = nil) throws -> SignConvolutionPlan {
        let plan = try SignConvolutionPlan(convolution: self, mergesNegatedPatterns: mergesNegatedPatterns,
                                           contraction: contraction)
        inferenceOverride = { plan.forward($0) }
        return plan
    }

    /// Restores the plain GEMM path for inference (removes any inference override).
    public func usePlainPathForInference() {
        inferenceOverride = nil
    }
}
