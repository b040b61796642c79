import FSBCore

/// A fixed-sign array: each PE adds or subtracts its input by the sign of the current
/// kernel position into `z[o,i,p]` (signs from SRAM or a per-column LFSR), and at the end of
/// each kernel slice one multiplication by `A[o,i]` goes into the output; `K` neighbouring
/// rows share a multiplier (`factorMultipliers`). With a sign codebook of `N < Co` patterns
/// it computes the `N` patterns' sign convolutions instead of `Co` filters'. Runs
/// `fixedSigns` layers only.
struct FSBArray: ArrayModel {
    var nativeEncoding: WeightEncoding { .fixedSigns(codebook: nil) }
    var usesFixedSigns: Bool { true }

    func runs(_ encoding: WeightEncoding) -> Bool {
        if case .fixedSigns = encoding { return true }
        return false
    }

    /// The codebook size that applies to `layer`: its own, else the config's; nil (no
    /// sharing) when it is not below `Co`, since sharing `N >= Co` pattern convolutions per
    /// input channel saves nothing over computing each output channel's own.
    static func codebook(for layer: LayerShape, config: HardwareConfig) -> Int? {
        guard let size = layer.signCodebook ?? config.signCodebook, size < layer.outputChannels else { return nil }
        return size
    }

    /// Multipliers of the factor stage: one per `K` rows of each column, `ceil(R/K) * C` (a
    /// column's rows finish their kernel slices on consecutive cycles).
    static func factorMultipliers(_ layer: LayerShape, on array: ArrayContext) -> Int {
        ceilDiv(array.rows, layer.kernelSize) * array.cols
    }

    /// Bits of one codebook index, `ceil(log2(N))` (0 for `N = 1`).
    static func indexBits(_ codebook: Int) -> Int {
        var bits = 0
        while (1 << bits) < codebook { bits += 1 }
        return bits
    }

    /// The forward GEMM: `P` pixels, `G` columns (`Co`, or the codebook size `N`), window `Ci*K`.
    func forwardMapping(_ layer: LayerShape, on array: ArrayContext) -> SystolicMapping {
        array.mapping(pixels: layer.outputPixels,
                      filters: FSBArray.codebook(for: layer, config: array.config) ?? layer.outputChannels,
                      window: layer.windowSize)
    }

    /// The sign convolutions of the forward array: `G*Ci*K*P` add/subs.
    func signConvolutions(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let columns = FSBArray.codebook(for: layer, config: array.config) ?? layer.outputChannels
        var pass = ArrayPass()
        pass.addsubs = columns * layer.windowSize * layer.outputPixels
        pass.arrayOperations = pass.addsubs
        return pass
    }

    /// `Co*Ci*P` factor products; the array's cycles or the factor stage's, whichever is
    /// longer, plus one per fold.
    func factorStage(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping, to pass: inout ArrayPass) {
        let products = layer.outputChannels * layer.inputChannels * layer.outputPixels
        pass.mults = products
        let stage = ceilDiv(products, FSBArray.factorMultipliers(layer, on: array))
        pass.cycles = max(mapping.computeCycles, stage) + mapping.folds
    }

    /// The sign convolutions, then `z * A[o,i]` accumulated into the outputs.
    func forward(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass {
        var pass = signConvolutions(layer, on: array)
        factorStage(layer, on: array, mapping: mapping, to: &pass)
        pass.accumulations = pass.mults
        return pass
    }

    /// `A[o,i] * delta[o]` first (`Co*Ci*P` mults), then add/sub with `S^T` (`Co*Ci*K*P`),
    /// unshared.
    func inputGradient(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass {
        var pass = ArrayPass()
        pass.addsubs = layer.macs
        pass.arrayOperations = layer.macs
        factorStage(layer, on: array, mapping: mapping, to: &pass)
        return pass
    }

    /// The sign convolutions `z` recomputed (the forward array without its factor stage),
    /// then `dA[o,i] = sum_p z[o,i,p] * delta[o,p]`: a GEMM with `Co` rows, `Ci` columns and
    /// window `P` (`Co*Ci*P` mults and accumulations) fed by the sign array.
    func weightGradient(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let config = array.config
        let co = layer.outputChannels, ci = layer.inputChannels, p = layer.outputPixels
        let mapping = array.mapping(pixels: co, filters: ci, window: p)
        let forward = forwardMapping(layer, on: array)
        var pass = signConvolutions(layer, on: array)
        pass.addOutputGradientStream(layer, mapping: mapping, config: config)
        pass.mults = co * ci * p
        pass.accumulations = co * ci * p
        pass.cycles = forward.computeCycles + mapping.computeCycles
        let input = StreamPart(role: \.input, sramReadBytes: byteCount(forward.inputReads, bits: config.bits.activations),
                               storedBytes: byteCount(layer.inputElements, bits: config.bits.activations))
        pass.addStream([input], bufferKiB: config.buffersKiB.input, refetch: forward.inputRefetchFactor)
        let signs = weightStream(layer, on: array, mapping: forward, shared: true)
        pass.lfsrSteps += signs.lfsrSteps
        pass.addStream(signs.parts.filter { $0.role == \OperandBytes.sign }, bufferKiB: config.buffersKiB.weight,
                       refetch: forward.weightRefetchFactor)
        pass.addOutput(role: \.state, elements: trainableParameters(layer), bits: config.bits.accumulators,
                       mapping: mapping, config: config)
        return pass
    }

    /// The momentum step over `A`, then `A` clamped at 0 (`n` add/subs as compares) and rewritten.
    func update(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let n = trainableParameters(layer)
        var pass = ArrayPass.momentumStep(parameters: n, on: array)
        pass.addsubs = n
        pass.sramWrite.weight = byteCount(n, bits: array.config.bits.factors)
        return pass
    }

    /// Factors `A[o,i]` plus stored signs (or LFSR steps) and, with a codebook (`shared`
    /// passes only), pattern indices.
    func weightStream(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping, shared: Bool) -> WeightStream {
        let config = array.config
        let codebook = shared ? FSBArray.codebook(for: layer, config: config) : nil
        let co = layer.outputChannels, ci = layer.inputChannels, refetch = mapping.weightRefetchFactor
        let factors = StreamPart(role: \.weight, sramReadBytes: byteCount(co * ci * refetch, bits: config.bits.factors),
                                 storedBytes: byteCount(co * ci, bits: config.bits.factors))
        let signBits = mapping.weightReads
        let indexReads = codebook.map { co * ci * refetch * FSBArray.indexBits($0) } ?? 0
        switch config.signSource {
        case .lfsr:
            return WeightStream(parts: [factors], lfsrSteps: signBits + indexReads)
        case .stored:
            let storedSignBits = codebook.map { $0 * layer.kernelSize + co * ci * FSBArray.indexBits($0) } ?? layer.weightElements
            return WeightStream(parts: [factors, StreamPart(role: \.sign, sramReadBytes: byteCount(signBits + indexReads, bits: 1),
                                                            storedBytes: byteCount(storedSignBits, bits: 1))])
        }
    }

    /// Factors `A` plus stored signs (with a codebook: patterns and indices), or with an
    /// LFSR an 8-byte seed.
    func modelBytes(_ layer: LayerShape, on array: ArrayContext) -> Int {
        let config = array.config
        let co = layer.outputChannels, ci = layer.inputChannels
        let factors = byteCount(co * ci, bits: config.bits.factors)
        switch config.signSource {
        case .lfsr:
            return factors + 8
        case .stored:
            if let codebook = FSBArray.codebook(for: layer, config: config) {
                return factors + byteCount(codebook * layer.kernelSize + co * ci * FSBArray.indexBits(codebook), bits: 1)
            }
            return factors + byteCount(layer.weightElements, bits: 1)
        }
    }

    /// Only the factors `A[o,i]` are trained.
    func trainableParameters(_ layer: LayerShape) -> Int { layer.outputChannels * layer.inputChannels }

    /// Add/sub at `zBits = activations + ceil(log2 K)`, multiply `max(zBits, factors)` bits.
    func integerEnergies(_ layer: LayerShape, on array: ArrayContext, table: EnergyTable) -> (multiply: Double, addSub: Double) {
        OperationEnergies.signSumEnergies(terms: layer.kernelSize, bits: array.config.bits, table: table)
    }

    func summaryNote(_ config: HardwareConfig) -> String { ", signs \(config.signSource.rawValue)" }
}
