import FSBCore

/// Inverted dropout: in training each element is zeroed with probability `rate` and the
/// survivors are scaled by `1/(1 - rate)`; inference is the identity. Any shape.
/// The mask draws from `SeededGenerator(seed: modelSeed, stream: "<name>.dropout")`, whose
/// state is exposed in `randomState` under that stream name so training can resume exactly.
/// (Srivastava et al., JMLR 2014.)
public final class Dropout: Layer {
    public let name: String
    public let rate: Float
    private var generator: SeededGenerator
    /// Per-element multiplier of the last training forward (0 or 1/(1-rate)); empty in inference.
    private var mask: [Float] = []

    public init(name: String, rate: Float, seed: UInt64) throws {
        guard rate >= 0, rate < 1 else {
            throw FSBError("layer '\(name)': dropout rate must be in [0, 1), found \(rate)")
        }
        self.name = name
        self.rate = rate
        generator = SeededGenerator(seed: seed, stream: "\(name).dropout")
    }

    public var streamName: String { "\(name).dropout" }

    public var randomState: [String: [UInt64]] {
        get { [streamName: generator.stateWords] }
        set { if let words = newValue[streamName], words.count == 4 { generator = SeededGenerator(state: words) } }
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        guard training, rate > 0 else {
            mask = []
            return input
        }
        let keep = 1 / (1 - rate)
        if mask.count != input.count { mask = [Float](repeating: 0, count: input.count) }
        for i in 0..<mask.count { mask[i] = generator.nextUniform() < rate ? 0 : keep }
        var output = Tensor.uninitialized(shape: input.shape)
        input.storage.withUnsafeBufferPointer { x in
            output.storage.withUnsafeMutableBufferPointer { y in
                mask.withUnsafeBufferPointer { m in for i in 0..<m.count { y[i] = x[i] * m[i] } }
            }
        }
        return output
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        if mask.isEmpty { return dOutput }
        precondition(dOutput.count == mask.count, "\(name): dOutput shape \(dOutput.shape)")
        var dInput = Tensor.uninitialized(shape: dOutput.shape)
        dOutput.storage.withUnsafeBufferPointer { dy in
            dInput.storage.withUnsafeMutableBufferPointer { dx in
                mask.withUnsafeBufferPointer { m in for i in 0..<m.count { dx[i] = dy[i] * m[i] } }
            }
        }
        return dInput
    }
}
