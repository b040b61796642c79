import CKernels
import FSBCore

/// Fully connected layer: `[N, In]` -> `[N, Out]`, `y = x What^T + b`, with the weight
/// `[Out, In]` from a `WeightParameterization` and an optional zero-initialised bias `[Out]`.
public final class Linear: Layer {
    public let name: String
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: WeightParameterization
    public let bias: Parameter?
    /// `[N, In]` of the last forward.
    private var cachedInput: Tensor?
    /// `dWhat` scratch `[Out, In]`.
    private var dWeightScratch: [Float]

    public init(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
                method: WeightMethod, seed: UInt64) throws {
        self.name = name
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = try WeightParameterization(method: method, layerName: name,
                                            weightShape: [outputFeatures, inputFeatures], seed: seed)
        self.bias = bias ? Parameter(name: "\(name).bias", value: Tensor(shape: [outputFeatures]), role: .bias) : nil
        dWeightScratch = [Float](repeating: 0, count: outputFeatures * inputFeatures)
    }

    public var parameters: [Parameter] { weight.parameters + [bias].compactMap { $0 } }

    public var buffers: [String: Tensor] {
        get {
            if weight.fsbOptions?.signInit == .checkpoint, let signs = weight.signs { return ["\(name).signs": signs] }
            return [:]
        }
        set {
            if let stored = newValue["\(name).signs"] { try? weight.restoreSigns(stored) }
        }
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inputFeatures] else {
            throw ShapeError(layer: name, expected: "[\(inputFeatures)]", found: inputShape)
        }
        return [outputFeatures]
    }

    /// When set, inference (`training == false`) calls this instead of the float path; used
    /// by the simulator's bit-accurate check to run the layer on an integer datapath model.
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
        input.storage.withUnsafeBufferPointer { x in
            weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                output.storage.withUnsafeMutableBufferPointer { y in
                    fsb_sgemm(0, 1, batch, outF, inF, 1, x.baseAddress!, inF, w.baseAddress!, inF,
                              0, y.baseAddress!, outF)
                    if let bias {
                        bias.value.storage.withUnsafeBufferPointer { b in
                            for n in 0..<batch { for j in 0..<outF { y[n * outF + j] += b[j] } }
                        }
                    }
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
        dOutput.storage.withUnsafeBufferPointer { dY in
            input.storage.withUnsafeBufferPointer { x in
                dWeightScratch.withUnsafeMutableBufferPointer { dW in
                    fsb_sgemm(1, 0, outF, inF, batch, 1, dY.baseAddress!, outF, x.baseAddress!, inF,
                              0, dW.baseAddress!, inF)
                    weight.accumulateGradient(dEffectiveWeight: dW.baseAddress!)
                }
            }
            weight.effectiveWeight.storage.withUnsafeBufferPointer { w in
                dInput.storage.withUnsafeMutableBufferPointer { dX in
                    fsb_sgemm(0, 0, batch, inF, outF, 1, dY.baseAddress!, outF, w.baseAddress!, inF,
                              0, dX.baseAddress!, inF)
                }
            }
            if let bias {
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
