/// Which weight method each Conv2D/Linear layer of a model uses: `overrides[layerName]`
/// first, then `firstLayer` for the first compute layer and `lastLayer` for the last
/// (the classifier `"fc"`), then `default`.
public struct MethodPlan: Equatable, Sendable {
    public var `default`: WeightMethod
    public var firstLayer: WeightMethod?
    public var lastLayer: WeightMethod?
    public var overrides: [String: WeightMethod]

    public init(default defaultMethod: WeightMethod, firstLayer: WeightMethod? = nil,
                lastLayer: WeightMethod? = nil, overrides: [String: WeightMethod] = [:]) {
        self.default = defaultMethod
        self.firstLayer = firstLayer
        self.lastLayer = lastLayer
        self.overrides = overrides
    }

    /// The method of the layer `name`.
    public func method(for name: String, isFirst: Bool, isLast: Bool) -> WeightMethod {
        if let override = overrides[name] { return override }
        if isFirst, let firstLayer { return firstLayer }
        if isLast, let lastLayer { return lastLayer }
        return self.default
    }
}
