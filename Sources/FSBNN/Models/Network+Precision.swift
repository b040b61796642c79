extension Network {
    /// Sets the arithmetic of the products of every Conv2D and Linear layer (`ComputePrecision`);
    /// parameters, BatchNorm and the loss are unaffected.
    public func setPrecision(_ precision: ComputePrecision) {
        for case let layer as any ComputeLayer in allLayers { layer.precision = precision }
    }
}
