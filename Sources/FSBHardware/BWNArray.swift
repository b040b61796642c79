import FSBCore

/// An XNOR-Net binary-weight array (Rastegari et al., 2016): each PE adds or subtracts its
/// input by a stored sign over all `Ci*K` inputs, then one multiplication by `alpha[o]` per
/// output pixel. Runs `binary` layers (bwn; binaryconnect with `alpha = 1`) and `ternary`
/// ones (TWN), whose codes take 2 bits and whose zero weights skip their add/sub: a zero
/// gates its PE for that cycle, so the add/sub's energy is saved but not the cycle (the
/// systolic schedule stays dense).
struct BWNArray: ArrayModel {
    var nativeEncoding: WeightEncoding { .binary }

    func runs(_ encoding: WeightEncoding) -> Bool {
        switch encoding {
        case .binary, .ternary: return true
        case .dense, .fixedSigns: return false
        }
    }

    /// Bits of one stored sign (binary) or ternary code.
    func codeBits(_ layer: LayerShape) -> Int {
        if case .ternary = layer.weights { return 2 }
        return 1
    }

    /// The add/subs done of `positions` weight positions: all of them, or the nonzero
    /// fraction of a ternary layer (rounded to the nearest count).
    func addsubs(_ positions: Int, _ layer: LayerShape) -> Int {
        if case .ternary(let fraction) = layer.weights { return Int((Double(positions) * fraction).rounded()) }
        return positions
    }

    /// The sign array over `mapping`, then `Co*P` alpha multiplications (one cycle per fold
    /// for the multipliers at the drain). The input gradient is the same on its GEMM:
    /// `alpha[o] * delta` first, then the signs transposed.
    func forward(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass {
        var pass = ArrayPass()
        pass.addsubs = addsubs(layer.macs, layer)
        pass.mults = layer.outputChannels * layer.outputPixels
        pass.arrayOperations = pass.addsubs
        pass.cycles = mapping.computeCycles + mapping.folds
        return pass
    }

    /// The latent real weights' full gradient.
    func weightGradient(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        .latentWeightGradient(layer, on: array)
    }

    /// The momentum step, then new signs and `alpha[o] = mean|W[o]|` (`n` add/subs, `Co`
    /// mults); ternary: the threshold `0.7 * mean|W[o]|` and `alpha[o]` over the weights
    /// above it (`2n` add/subs, `2*Co` mults) and new 2-bit codes.
    func update(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let n = trainableParameters(layer), co = layer.outputChannels
        let rounds = codeBits(layer)
        var pass = ArrayPass.momentumStep(parameters: n, on: array)
        pass.addsubs = rounds * n
        pass.mults += rounds * co
        pass.sramWrite.sign = byteCount(n, bits: codeBits(layer))
        pass.sramWrite.weight = byteCount(co, bits: array.config.bits.factors)
        return pass
    }

    /// `alpha[o]` (read `Co` times per weight refetch) and the signs or codes of every weight
    /// position the array streams.
    func weightStream(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping, shared: Bool) -> WeightStream {
        let co = layer.outputChannels, factorBits = array.config.bits.factors, signBits = codeBits(layer)
        return WeightStream(parts: [
            StreamPart(role: \.weight, sramReadBytes: byteCount(co * mapping.weightRefetchFactor, bits: factorBits),
                       storedBytes: byteCount(co, bits: factorBits)),
            StreamPart(role: \.sign, sramReadBytes: byteCount(mapping.weightReads, bits: signBits),
                       storedBytes: byteCount(layer.weightElements, bits: signBits)),
        ])
    }

    func modelBytes(_ layer: LayerShape, on array: ArrayContext) -> Int {
        byteCount(layer.weightElements, bits: codeBits(layer)) + byteCount(layer.outputChannels, bits: array.config.bits.factors)
    }

    func trainableParameters(_ layer: LayerShape) -> Int { layer.weightElements }

    /// Add/sub at `zBits = activations + ceil(log2(Ci*K))`, multiply `max(zBits, factors)` bits.
    func integerEnergies(_ layer: LayerShape, on array: ArrayContext, table: EnergyTable) -> (multiply: Double, addSub: Double) {
        OperationEnergies.signSumEnergies(terms: layer.windowSize, bits: array.config.bits, table: table)
    }

    /// A bwn array stores its (learned) signs: an LFSR can only serve an fsb array.
    func problem(in config: HardwareConfig) -> (field: String, message: String)? {
        guard config.signSource == .lfsr, !config.units.contains(where: { $0.kind.model.usesFixedSigns }) else { return nil }
        return ("signSource", "must be \"stored\" for kind \"bwn\" (its signs are learned), got \"lfsr\"")
    }
}
