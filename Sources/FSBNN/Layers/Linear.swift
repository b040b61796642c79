import CKernels
import FSBCore

/// Fully connected layer: `[N, In]` -> `[N, Out]`, `y = x What^T + b`, with the weight
/// `[Out, In]` from a `WeightParameterization` and an optional zero-initialised bias `[Out]`.
public final class Linear: ComputeLayer {
    public let name: String
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: any WeightParameterization
    public let bias: Parameter?
    /// `[N, In]` of the last forward.
    private var cachedInput: Tensor?
    /// `dWhat` scratch `[Out, In]`.
    private var dWeightScratch: [Float]
    /// The arithmetic of the layer's three products.
    public var precision: ComputePrecision = .float32

    public init(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
                method: WeightMethod, seed: UInt64) throws {
        self.name = name
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = try method.makeWeight(layerName: name, shape: [outputFeatures, inputFeatures], seed: seed)
        self.bias = bias ? Parameter(name: "\(name).bias", value: Tensor(shape: [outputFeatures]), role: .bias) : nil
        dWeightScratch = [Float](repeating: 0, count: outputFeatures * inputFeatures)
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inputFeatures] else {
            throw ShapeError(layer: name, expected: "[\(inputFeatures)]", found: inputShape)
        }
        return [outputFeatures]
    }

    /// A 1x1 "convolution" on a 1x1 input.
    public func layerShape(inputShape: [Int]) -> LayerShape {
        LayerShape.linear(name: name, inputFeatures: inputFeatures, outputFeatures: outputFeatures,
                          method: weight.method.name, weights: weight.weightEncoding)
    }

    public var inferenceOverride: ((Tensor) -> Tensor)?

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if !training, let override = inferenceOverride { return override(input) }
        precondition(input.rank == 2 && input.shape[1] == inputFeatures,
                     "\(name): expected [N, \(inputFeatures)], got \(input.shape)")
        cachedInput = input
        weight.refresh()
        let batch = input.shape[0]
        var output = Tensor.uninitialized(shape: [batch, outputFeatures])
        let outF = outputFeatures, inF = inputFeatures
        // y [N, Out] = x [N, In] x What^T
        precision.product(transposeA: false, transposeB: true, m: batch, n: outF, k: inF,
                          a: input, b: weight.effectiveWeight, c: &output.storage)
        if let bias {
            bias.value.storage.withUnsafeBufferPointer { b in
                output.storage.withUnsafeMutableBufferPointer { y in
                    for n in 0..<batch { for j in 0..<outF { y[n * outF + j] += b[j] } }
                }
            }
        }
        return output
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("\(name): backward before forward") }
        let batch = input.shape[0], outF = outputFeatures, inF = inputFeatures
        precondition(dOutput.shape == [batch, outF], "\(name): dOutput shape \(dOutput.shape)")
        var dInput = Tensor.uninitialized(shape: [batch, inF])
        // dWhat [Out, In] = dY^T [Out, N] x x [N, In]
        precision.product(transposeA: true, transposeB: false, m: outF, n: inF, k: batch,
                          a: dOutput, b: input, c: &dWeightScratch)
        dWeightScratch.withUnsafeBufferPointer { weight.accumulateGradient(dEffectiveWeight: $0.baseAddress!) }
        // dX [N, In] = dY [N, Out] x What [Out, In]
        precision.product(transposeA: false, transposeB: false, m: batch, n: inF, k: outF,
                          a: dOutput, b: weight.effectiveWeight, c: &dInput.storage)
        if let bias {
            dOutput.storage.withUnsafeBufferPointer { dY in
                bias.gradient.storage.withUnsafeMutableBufferPointer { dB in
                    for j in 0..<outF {
                        var s: Float = 0
                        for n in 0..<batch { s += dY[n * outF + j] }
                        dB[j] += s
                    }
                }
            }
        }
        return dInput
    }
}
