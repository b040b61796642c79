extension Network {
    /// Sets the arithmetic of the products of every Conv2D and Linear layer (`ComputePrecision`);
    /// parameters, BatchNorm and the loss are unaffected.
    public func setPrecision(_ precision: ComputePrecision) {
        for layer in allLayers {
            if let convolution = layer as? Conv2D { convolution.precision = precision }
            if let linear = layer as? Linear { linear.precision = precision }
        }
    }
}
