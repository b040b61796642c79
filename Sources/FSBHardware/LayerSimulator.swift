import FSBCore
/// Simulates one layer on one accelerator: operation counts, cycles, memory traffic and
/// energy. The model and its formulas are documented in `docs/hardware.md`.
///
/// Inference is one forward pass per input; a training step (`.train`) is, per example,
/// forward + input gradient + weight gradient, then one SGD-momentum update per step.
/// Every array pass is a GEMM mapped with `SystolicMapping` (the `mac` forward pass is
/// SCALE-Sim's model exactly); bwn and fsb add one cycle per fold for their factor
/// multiplier stage; fsb with a sign codebook of `N` patterns computes the sign
/// convolutions for `N` patterns instead of `Co` filters and needs its factor stage
/// (`ceil(R/K) * C` multipliers) to keep up: `max(array, Co*Ci*P / multipliers)`.
public enum LayerSimulator {
    /// The cost of `layer` on `accelerator` in `mode`, for `batchSize` inputs (inference)
    /// or one training step over `batchSize` examples (train).
    public static func simulate(_ layer: LayerShape, on accelerator: Accelerator, mode: SimulationMode,
                                batchSize: Int = 1) -> LayerReport {
        let config = accelerator.config
        var perExample = forwardPass(layer, config: config)
        var stored = modelBytes(layer, config: config)
        if mode == .train {
            perExample = perExample + inputGradientPass(layer, config: config)
            perExample = perExample + weightGradientPass(layer, config: config)
            stored += trainingStateBytes(layer, config: config)
        }
        var step = perExample * max(1, batchSize)
        if mode == .train { step = step + updatePass(layer, config: config) }

        var report = LayerReport(layer: layer.name, hardware: config.name, kind: config.kind,
                                 dataflow: config.dataflow, mode: mode)
        report.mults = step.mults
        report.addsubs = step.addsubs
        report.accumulations = step.accumulations
        report.lfsrSteps = step.lfsrSteps
        report.arrayOperations = step.arrayOperations
        report.computeCycles = step.cycles
        report.sramRead = step.sramRead
        report.sramWrite = step.sramWrite
        report.dramRead = step.dramRead
        report.dramWrite = step.dramWrite
        report.storedBytes = stored
        report.arrayPEs = config.arrayRows * config.arrayCols
        report.clockMHz = config.clockMHz
        let transferCycles = CheckedArithmetic.ceilingInt(Double(step.dramRead.total + step.dramWrite.total) / config.dramBytesPerCycle) ?? Int.max
        report.stallCycles = max(0, transferCycles - step.cycles)

        let e = OperationEnergies(accelerator: accelerator, layer: layer)
        report.energyComputePJ = Double(step.mults) * e.multiply + Double(step.addsubs) * e.addSub
            + Double(step.accumulations) * e.accumulate
        report.energySRAMPJ = sramEnergy(step.sramRead + step.sramWrite, energies: e)
        report.energyDRAMPJ = Double(step.dramRead.total + step.dramWrite.total) / 8 * e.dram
        report.energySignGenPJ = Double(step.lfsrSteps) * e.lfsrStep
        return report
    }

    /// SRAM energy of `bytes` (reads plus writes): inputs in the input buffer; weights,
    /// signs and state in the weight buffer; partial sums and outputs in the output buffer.
    public static func sramEnergy(_ bytes: OperandBytes, energies e: OperationEnergies) -> Double {
        Double(bytes.input) / 8 * e.inputBuffer
            + Double(bytes.weight + bytes.sign + bytes.state) / 8 * e.weightBuffer
            + Double(bytes.partialSum + bytes.output) / 8 * e.outputBuffer
    }

    /// The GEMM of the forward pass's array: `P` pixels, `G` columns (`Co`, or the
    /// codebook size `N` for fsb with a codebook), window `Ci*K`.
    public static func forwardMapping(_ layer: LayerShape, config: HardwareConfig) -> SystolicMapping {
        SystolicMapping(dataflow: config.dataflow, arrayRows: config.arrayRows, arrayCols: config.arrayCols,
                        pixels: layer.outputPixels, filters: config.codebook(for: layer) ?? layer.outputChannels,
                        window: layer.windowSize)
    }

    /// Multipliers of the fsb factor stage: one per `K` rows of each column, `ceil(R/K) * C`
    /// (a column's rows finish their kernel slices on consecutive cycles, so `K` rows can
    /// share one multiplier).
    public static func factorMultipliers(_ layer: LayerShape, config: HardwareConfig) -> Int {
        ceilDiv(config.arrayRows, layer.kernelSize) * config.arrayCols
    }

    /// Bits of one codebook index, `ceil(log2(N))` (0 for `N = 1`).
    static func indexBits(_ codebook: Int) -> Int {
        var bits = 0
        while (1 << bits) < codebook { bits += 1 }
        return bits
    }

    // MARK: - Passes

    /// Costs of one array pass (or a sum of passes).
    struct Pass {
        var mults = 0, addsubs = 0, accumulations = 0, lfsrSteps = 0, arrayOperations = 0, cycles = 0
        var sramRead = OperandBytes(), sramWrite = OperandBytes()
        var dramRead = OperandBytes(), dramWrite = OperandBytes()

        static func + (a: Pass, b: Pass) -> Pass {
            Pass(mults: a.mults + b.mults, addsubs: a.addsubs + b.addsubs,
                 accumulations: a.accumulations + b.accumulations, lfsrSteps: a.lfsrSteps + b.lfsrSteps,
                 arrayOperations: a.arrayOperations + b.arrayOperations, cycles: a.cycles + b.cycles,
                 sramRead: a.sramRead + b.sramRead, sramWrite: a.sramWrite + b.sramWrite,
                 dramRead: a.dramRead + b.dramRead, dramWrite: a.dramWrite + b.dramWrite)
        }

        static func * (a: Pass, n: Int) -> Pass {
            Pass(mults: a.mults * n, addsubs: a.addsubs * n, accumulations: a.accumulations * n,
                 lfsrSteps: a.lfsrSteps * n, arrayOperations: a.arrayOperations * n, cycles: a.cycles * n,
                 sramRead: a.sramRead * n, sramWrite: a.sramWrite * n,
                 dramRead: a.dramRead * n, dramWrite: a.dramWrite * n)
        }
    }

    /// One part of an operand stream: its role, the bytes the array reads from SRAM, and
    /// the bytes it occupies in memory (what DRAM must deliver at least once).
    struct StreamPart {
        var role: WritableKeyPath<OperandBytes, Int>
        var sramReadBytes: Int
        var storedBytes: Int
    }

    /// Adds the traffic of one operand side: SRAM reads by the array, and DRAM reads (each
    /// also an SRAM fill write) of the stored bytes, once if they fit in `bufferKiB`, else
    /// `refetch` times.
    static func addStream(_ parts: [StreamPart], bufferKiB: Double, refetch: Int, to pass: inout Pass) {
        let stored = parts.reduce(0) { $0 + $1.storedBytes }
        let times = Double(stored) <= bufferKiB * 1024 ? 1 : refetch
        for part in parts {
            pass.sramRead[keyPath: part.role] += part.sramReadBytes
            pass.dramRead[keyPath: part.role] += part.storedBytes * times
            pass.sramWrite[keyPath: part.role] += part.storedBytes * times
        }
    }

    /// Adds the results of a pass: `elements` of `bits` written to SRAM and drained to DRAM
    /// once; for ws/is with several row folds, `rowFolds - 1` partial sums per output at the
    /// accumulator width written and read back (through DRAM when they do not fit the
    /// output buffer).
    static func addOutput(role: WritableKeyPath<OperandBytes, Int>, elements: Int, bits: Int,
                          mapping: SystolicMapping, config: HardwareConfig, to pass: inout Pass) {
        let bytes = byteCount(elements, bits: bits)
        pass.sramWrite[keyPath: role] += bytes
        pass.sramRead[keyPath: role] += bytes
        pass.dramWrite[keyPath: role] += bytes
        let extra = mapping.partialSumsPerOutput - 1
        guard extra > 0 else { return }
        let partialBytes = byteCount(elements, bits: config.bits.accumulators)
        pass.sramWrite.partialSum += partialBytes * extra
        pass.sramRead.partialSum += partialBytes * extra
        if Double(partialBytes) > config.buffersKiB.output * 1024 {
            pass.dramWrite.partialSum += partialBytes * extra
            pass.dramRead.partialSum += partialBytes * extra
        }
    }

    /// The weight side of a pass whose array reads `mapping.weightReads` weight positions:
    /// mac weights; bwn signs plus `alpha[o]`; fsb factors `A[o,i]` plus stored signs (or
    /// LFSR steps) and, with a codebook, pattern indices. Returns the parts and LFSR steps.
    static func weightSide(_ layer: LayerShape, config: HardwareConfig, mapping: SystolicMapping,
                           codebook: Int?) -> (parts: [StreamPart], lfsrSteps: Int) {
        let bits = config.bits
        let refetch = mapping.weightRefetchFactor
        let co = layer.outputChannels, ci = layer.inputChannels, k = layer.kernelSize
        switch config.kind {
        case .mac:
            return ([StreamPart(role: \.weight, sramReadBytes: byteCount(mapping.weightReads, bits: bits.weights),
                                storedBytes: byteCount(layer.weightElements, bits: bits.weights))], 0)
        case .bwn:
            return ([StreamPart(role: \.weight, sramReadBytes: byteCount(co * refetch, bits: bits.factors),
                                storedBytes: byteCount(co, bits: bits.factors)),
                     StreamPart(role: \.sign, sramReadBytes: byteCount(mapping.weightReads, bits: 1),
                                storedBytes: byteCount(layer.weightElements, bits: 1))], 0)
        case .fsb:
            var parts = [StreamPart(role: \.weight, sramReadBytes: byteCount(co * ci * refetch, bits: bits.factors),
                                    storedBytes: byteCount(co * ci, bits: bits.factors))]
            let signBits = mapping.weightReads
            let indexReads = codebook.map { co * ci * refetch * indexBits($0) } ?? 0
            switch config.signSource {
            case .lfsr:
                return (parts, signBits + indexReads)
            case .stored:
                let storedSignBits = codebook.map { $0 * k + co * ci * indexBits($0) } ?? layer.weightElements
                parts.append(StreamPart(role: \.sign, sramReadBytes: byteCount(signBits + indexReads, bits: 1),
                                        storedBytes: byteCount(storedSignBits, bits: 1)))
                return (parts, 0)
            }
        }
    }

    /// The forward pass (also the whole of inference).
    static func forwardPass(_ layer: LayerShape, config: HardwareConfig) -> Pass {
        let mapping = forwardMapping(layer, config: config)
        let codebook = config.codebook(for: layer)
        let co = layer.outputChannels, ci = layer.inputChannels, p = layer.outputPixels
        var pass = Pass()
        switch config.kind {
        case .mac:
            pass.mults = layer.macs
            pass.accumulations = layer.macs
            pass.arrayOperations = layer.macs
            pass.cycles = mapping.computeCycles
        case .bwn:
            pass.addsubs = layer.macs
            pass.mults = co * p
            pass.arrayOperations = layer.macs
            pass.cycles = mapping.computeCycles + mapping.folds
        case .fsb:
            let columns = codebook ?? co
            pass.addsubs = columns * layer.windowSize * p
            pass.mults = co * ci * p
            pass.accumulations = co * ci * p
            pass.arrayOperations = pass.addsubs
            let factorStage = ceilDiv(co * ci * p, factorMultipliers(layer, config: config))
            pass.cycles = max(mapping.computeCycles, factorStage) + mapping.folds
        }
        addActivationWeightStreams(layer, streamed: layer.inputElements, produced: layer.outputElements,
                                   codebook: codebook, mapping: mapping, config: config, to: &pass)
        return pass
    }

    /// Memory traffic of a pass that streams activations (`streamed` elements) against the
    /// layer's weights and writes `produced` activations: the forward pass (x in, y out) and
    /// the input-gradient pass (delta in, dX out) differ only in those counts.
    static func addActivationWeightStreams(_ layer: LayerShape, streamed: Int, produced: Int, codebook: Int?,
                                           mapping: SystolicMapping, config: HardwareConfig, to pass: inout Pass) {
        let input = StreamPart(role: \.input, sramReadBytes: byteCount(mapping.inputReads, bits: config.bits.activations),
                               storedBytes: byteCount(streamed, bits: config.bits.activations))
        addStream([input], bufferKiB: config.buffersKiB.input, refetch: mapping.inputRefetchFactor, to: &pass)
        let weights = weightSide(layer, config: config, mapping: mapping, codebook: codebook)
        pass.lfsrSteps += weights.lfsrSteps
        addStream(weights.parts, bufferKiB: config.buffersKiB.weight, refetch: mapping.weightRefetchFactor, to: &pass)
        addOutput(role: \.output, elements: produced, bits: config.bits.activations,
                  mapping: mapping, config: config, to: &pass)
    }

    /// The input gradient `dX = W^T * delta`: a GEMM with `P` pixels, `Ci` columns and
    /// window `Co*K`, reading the same weights (bwn: `alpha[o] * delta` first, `Co*P`
    /// mults; fsb: `A[o,i] * delta[o]` first, `Co*Ci*P` mults, then add/sub with `S^T`).
    static func inputGradientPass(_ layer: LayerShape, config: HardwareConfig) -> Pass {
        let co = layer.outputChannels, ci = layer.inputChannels, p = layer.outputPixels
        let mapping = SystolicMapping(dataflow: config.dataflow, arrayRows: config.arrayRows,
                                      arrayCols: config.arrayCols, pixels: p, filters: ci,
                                      window: co * layer.kernelSize)
        var pass = Pass()
        switch config.kind {
        case .mac:
            pass.mults = layer.macs
            pass.accumulations = layer.macs
            pass.arrayOperations = layer.macs
            pass.cycles = mapping.computeCycles
        case .bwn:
            pass.addsubs = layer.macs
            pass.mults = co * p
            pass.arrayOperations = layer.macs
            pass.cycles = mapping.computeCycles + mapping.folds
        case .fsb:
            pass.addsubs = layer.macs
            pass.mults = co * ci * p
            pass.arrayOperations = layer.macs
            let factorStage = ceilDiv(co * ci * p, factorMultipliers(layer, config: config))
            pass.cycles = max(mapping.computeCycles, factorStage) + mapping.folds
        }
        addActivationWeightStreams(layer, streamed: layer.outputElements, produced: layer.inputElements,
                                   codebook: nil, mapping: mapping, config: config, to: &pass)
        return pass
    }

    /// The weight gradient. mac and bwn (latent real weights): the full `dW = delta * x^T`,
    /// a GEMM with `Co` rows, `Ci*K` columns and window `P` (`Co*Ci*K*P` MACs). fsb: the
    /// sign convolutions `z` are recomputed (the forward array pass without its factor
    /// stage), then `dA[o,i] = sum_p z[o,i,p] * delta[o,p]`, a GEMM with `Co` rows, `Ci`
    /// columns and window `P` (`Co*Ci*P` mults and accumulations) fed by the sign array.
    static func weightGradientPass(_ layer: LayerShape, config: HardwareConfig) -> Pass {
        let co = layer.outputChannels, ci = layer.inputChannels, p = layer.outputPixels
        let activationBits = config.bits.activations
        let gradientColumns = config.kind == .fsb ? ci : layer.windowSize
        let mapping = SystolicMapping(dataflow: config.dataflow, arrayRows: config.arrayRows,
                                      arrayCols: config.arrayCols, pixels: co, filters: gradientColumns, window: p)
        var pass = Pass()
        let delta = StreamPart(role: \.input, sramReadBytes: byteCount(mapping.inputReads, bits: activationBits),
                               storedBytes: byteCount(layer.outputElements, bits: activationBits))
        addStream([delta], bufferKiB: config.buffersKiB.input, refetch: mapping.inputRefetchFactor, to: &pass)
        switch config.kind {
        case .mac, .bwn:
            pass.mults = layer.macs
            pass.accumulations = layer.macs
            pass.arrayOperations = layer.macs
            pass.cycles = mapping.computeCycles
            let activations = StreamPart(role: \.input,
                                         sramReadBytes: byteCount(mapping.weightReads, bits: activationBits),
                                         storedBytes: byteCount(layer.inputElements, bits: activationBits))
            addStream([activations], bufferKiB: config.buffersKiB.input, refetch: mapping.weightRefetchFactor,
                      to: &pass)
        case .fsb:
            // Recompute z: the forward sign array, without factor multiplications or outputs.
            let forward = forwardMapping(layer, config: config)
            let codebook = config.codebook(for: layer)
            let columns = codebook ?? co
            pass.addsubs = columns * layer.windowSize * p
            pass.arrayOperations = pass.addsubs
            pass.mults = co * ci * p
            pass.accumulations = co * ci * p
            pass.cycles = forward.computeCycles + mapping.computeCycles
            let input = StreamPart(role: \.input, sramReadBytes: byteCount(forward.inputReads, bits: activationBits),
                                   storedBytes: byteCount(layer.inputElements, bits: activationBits))
            addStream([input], bufferKiB: config.buffersKiB.input, refetch: forward.inputRefetchFactor, to: &pass)
            let signs = weightSide(layer, config: config, mapping: forward, codebook: codebook)
            pass.lfsrSteps += signs.lfsrSteps
            let signParts = signs.parts.filter { $0.role == \OperandBytes.sign }
            addStream(signParts, bufferKiB: config.buffersKiB.weight, refetch: forward.weightRefetchFactor, to: &pass)
        }
        addOutput(role: \.state, elements: trainableParameters(layer, config: config),
                  bits: config.bits.accumulators, mapping: mapping, config: config, to: &pass)
        return pass
    }

    /// Trainable weights of the layer: `Co*Ci*K` (mac, bwn latent weights) or `Co*Ci` (fsb, `A`).
    public static func trainableParameters(_ layer: LayerShape, config: HardwareConfig) -> Int {
        config.kind == .fsb ? layer.outputChannels * layer.inputChannels : layer.weightElements
    }

    /// One SGD-momentum step per training step: per trainable parameter `v = mu*v + g`,
    /// `w = w - lr*v` (2 mults, 2 accumulations), reading `w, v, g` and writing `w, v` at the
    /// accumulator width (both also to and from DRAM), on the array as `R*C` lanes doing
    /// one multiply-accumulate per cycle. Then the deployable weights are rewritten: mac
    /// quantized `W`; bwn new signs and `alpha[o] = mean|W[o]|` (`n` add/subs, `Co` mults);
    /// fsb `A` (clamped at 0: `n` add/subs as compares).
    static func updatePass(_ layer: LayerShape, config: HardwareConfig) -> Pass {
        let n = trainableParameters(layer, config: config)
        let stateBits = config.bits.accumulators
        var pass = Pass()
        pass.mults = 2 * n
        pass.accumulations = 2 * n
        pass.cycles = ceilDiv(2 * n, config.arrayRows * config.arrayCols)
        pass.sramRead.state = byteCount(3 * n, bits: stateBits)
        pass.sramWrite.state = byteCount(2 * n, bits: stateBits)
        pass.dramRead.state = byteCount(2 * n, bits: stateBits)
        pass.dramWrite.state = byteCount(2 * n, bits: stateBits)
        switch config.kind {
        case .mac:
            pass.sramWrite.weight = byteCount(n, bits: config.bits.weights)
        case .bwn:
            pass.addsubs = n
            pass.mults += layer.outputChannels
            pass.sramWrite.sign = byteCount(n, bits: 1)
            pass.sramWrite.weight = byteCount(layer.outputChannels, bits: config.bits.factors)
        case .fsb:
            pass.addsubs = n
            pass.sramWrite.weight = byteCount(n, bits: config.bits.factors)
        }
        return pass
    }

    /// Bytes of the deployed model of this layer: mac weights; bwn signs plus `alpha`;
    /// fsb factors `A` plus stored signs (LFSR: an 8-byte seed).
    public static func modelBytes(_ layer: LayerShape, config: HardwareConfig) -> Int {
        let co = layer.outputChannels, ci = layer.inputChannels
        switch config.kind {
        case .mac:
            return byteCount(layer.weightElements, bits: config.bits.weights)
        case .bwn:
            return byteCount(layer.weightElements, bits: 1) + byteCount(co, bits: config.bits.factors)
        case .fsb:
            let factors = byteCount(co * ci, bits: config.bits.factors)
            switch config.signSource {
            case .lfsr:
                return factors + 8
            case .stored:
                if let codebook = config.codebook(for: layer) {
                    return factors + byteCount(codebook * layer.kernelSize + co * ci * indexBits(codebook), bits: 1)
                }
                return factors + byteCount(layer.weightElements, bits: 1)
            }
        }
    }

    /// Extra bytes a training device stores: the trainable parameters and their momentum
    /// at the accumulator width (bwn: latent real weights; fsb: only `A`).
    public static func trainingStateBytes(_ layer: LayerShape, config: HardwareConfig) -> Int {
        byteCount(2 * trainableParameters(layer, config: config), bits: config.bits.accumulators)
    }
}
