/// A layer made of sublayers (`Sequential`, `ResidualBlock`): it traces its sublayers'
/// shapes itself (`traceShapes`), and its output shape is where that trace ends.
public protocol ContainerLayer: Layer {}

extension ContainerLayer {
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        var records: [LayerShapeRecord] = []
        return try traceShapes(inputShape: inputShape, into: &records)
    }
}
