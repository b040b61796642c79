import FSBCore

/// A multiply-accumulate array: one MAC per weight and pixel, weights stored at
/// `bits.weights`. It runs every encoding (a binary, ternary or fixed-sign layer's effective
/// weights are just a dense weight tensor), so it is the unit of an accelerator's `fp`
/// layers and the fallback for any layer its other arrays cannot run. Its forward pass is
/// SCALE-Sim's model exactly.
struct MACArray: ArrayModel {
    var nativeEncoding: WeightEncoding { .dense }

    func runs(_ encoding: WeightEncoding) -> Bool { true }

    /// `Co*Ci*K*P` MACs in the GEMM's cycles (the input gradient: the same on its GEMM).
    func forward(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass {
        .multiplyAccumulate(layer.macs, cycles: mapping.computeCycles)
    }

    func weightGradient(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        .latentWeightGradient(layer, on: array)
    }

    /// The momentum step, then the quantized weights `W` rewritten.
    func update(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let n = trainableParameters(layer)
        var pass = ArrayPass.momentumStep(parameters: n, on: array)
        pass.sramWrite.weight = byteCount(n, bits: array.config.bits.weights)
        return pass
    }

    func weightStream(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping, shared: Bool) -> WeightStream {
        let bits = array.config.bits.weights
        return WeightStream(parts: [StreamPart(role: \.weight, sramReadBytes: byteCount(mapping.weightReads, bits: bits),
                                               storedBytes: byteCount(layer.weightElements, bits: bits))])
    }

    func modelBytes(_ layer: LayerShape, on array: ArrayContext) -> Int {
        byteCount(layer.weightElements, bits: array.config.bits.weights)
    }

    func trainableParameters(_ layer: LayerShape) -> Int { layer.weightElements }

    /// Multiplies `max(activations, weights)`-bit operands; accumulates at the accumulator width.
    func integerEnergies(_ layer: LayerShape, on array: ArrayContext, table: EnergyTable) -> (multiply: Double, addSub: Double) {
        let bits = array.config.bits
        return (table.integerMultiply(bits: max(bits.activations, bits.weights)), table.integerAdd(bits: bits.accumulators))
    }
}
