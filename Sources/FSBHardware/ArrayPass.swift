import FSBCore

/// The costs of one array pass (or a sum of passes) of one layer: operation counts, cycles
/// and the bytes moved per operand role.
struct ArrayPass {
    var mults = 0, addsubs = 0, accumulations = 0, lfsrSteps = 0, arrayOperations = 0, cycles = 0
    var sramRead = OperandBytes(), sramWrite = OperandBytes()
    var dramRead = OperandBytes(), dramWrite = OperandBytes()

    static func + (a: ArrayPass, b: ArrayPass) -> ArrayPass {
        ArrayPass(mults: a.mults + b.mults, addsubs: a.addsubs + b.addsubs,
                  accumulations: a.accumulations + b.accumulations, lfsrSteps: a.lfsrSteps + b.lfsrSteps,
                  arrayOperations: a.arrayOperations + b.arrayOperations, cycles: a.cycles + b.cycles,
                  sramRead: a.sramRead + b.sramRead, sramWrite: a.sramWrite + b.sramWrite,
                  dramRead: a.dramRead + b.dramRead, dramWrite: a.dramWrite + b.dramWrite)
    }

    static func * (a: ArrayPass, n: Int) -> ArrayPass {
        ArrayPass(mults: a.mults * n, addsubs: a.addsubs * n, accumulations: a.accumulations * n,
                  lfsrSteps: a.lfsrSteps * n, arrayOperations: a.arrayOperations * n, cycles: a.cycles * n,
                  sramRead: a.sramRead * n, sramWrite: a.sramWrite * n,
                  dramRead: a.dramRead * n, dramWrite: a.dramWrite * n)
    }

    /// A pass of `macs` multiply-accumulates on the array in `cycles` (a MAC array's GEMM,
    /// and the latent-weight gradient of every array).
    static func multiplyAccumulate(_ macs: Int, cycles: Int) -> ArrayPass {
        ArrayPass(mults: macs, accumulations: macs, arrayOperations: macs, cycles: cycles)
    }
}

/// One part of an operand stream: its role, the bytes the array reads from SRAM, and the
/// bytes it occupies in memory (what DRAM must deliver at least once).
struct StreamPart {
    var role: WritableKeyPath<OperandBytes, Int>
    var sramReadBytes: Int
    var storedBytes: Int
}

/// The weight side of one array pass: the stream parts (weights, factors, signs) and the
/// sign bits an LFSR generates instead of reading them.
struct WeightStream {
    var parts: [StreamPart]
    var lfsrSteps = 0
}

extension ArrayPass {
    /// Adds the traffic of one operand side: SRAM reads by the array, and DRAM reads (each
    /// also an SRAM fill write) of the stored bytes, once if they fit in `bufferKiB`, else
    /// `refetch` times.
    mutating func addStream(_ parts: [StreamPart], bufferKiB: Double, refetch: Int) {
        let stored = parts.reduce(0) { $0 + $1.storedBytes }
        let times = Double(stored) <= bufferKiB * 1024 ? 1 : refetch
        for part in parts {
            sramRead[keyPath: part.role] += part.sramReadBytes
            dramRead[keyPath: part.role] += part.storedBytes * times
            sramWrite[keyPath: part.role] += part.storedBytes * times
        }
    }

    /// Adds the results of a pass: `elements` of `bits` written to SRAM and drained to DRAM
    /// once; for ws/is with several row folds, `rowFolds - 1` partial sums per output at the
    /// accumulator width written and read back (through DRAM when they do not fit the
    /// output buffer).
    mutating func addOutput(role: WritableKeyPath<OperandBytes, Int>, elements: Int, bits: Int,
                            mapping: SystolicMapping, config: HardwareConfig) {
        let bytes = byteCount(elements, bits: bits)
        sramWrite[keyPath: role] += bytes
        sramRead[keyPath: role] += bytes
        dramWrite[keyPath: role] += bytes
        let extra = mapping.partialSumsPerOutput - 1
        guard extra > 0 else { return }
        let partialBytes = byteCount(elements, bits: config.bits.accumulators)
        sramWrite.partialSum += partialBytes * extra
        sramRead.partialSum += partialBytes * extra
        if Double(partialBytes) > config.buffersKiB.output * 1024 {
            dramWrite.partialSum += partialBytes * extra
            dramRead.partialSum += partialBytes * extra
        }
    }

    /// Memory traffic of a pass that streams activations (`streamed` elements) against the
    /// layer's weights (`weights`) and writes `produced` activations: the forward pass (x in,
    /// y out) and the input-gradient pass (delta in, dX out) differ only in those counts.
    mutating func addActivationWeightStreams(streamed: Int, produced: Int, weights: WeightStream,
                                             mapping: SystolicMapping, config: HardwareConfig) {
        let input = StreamPart(role: \.input, sramReadBytes: byteCount(mapping.inputReads, bits: config.bits.activations),
                               storedBytes: byteCount(streamed, bits: config.bits.activations))
        addStream([input], bufferKiB: config.buffersKiB.input, refetch: mapping.inputRefetchFactor)
        lfsrSteps += weights.lfsrSteps
        addStream(weights.parts, bufferKiB: config.buffersKiB.weight, refetch: mapping.weightRefetchFactor)
        addOutput(role: \.output, elements: produced, bits: config.bits.activations, mapping: mapping, config: config)
    }

    /// Streams the output gradient `delta` (`Co*P` activations) as the streamed operand of a
    /// weight-gradient GEMM.
    mutating func addOutputGradientStream(_ layer: LayerShape, mapping: SystolicMapping, config: HardwareConfig) {
        let delta = StreamPart(role: \.input, sramReadBytes: byteCount(mapping.inputReads, bits: config.bits.activations),
                               storedBytes: byteCount(layer.outputElements, bits: config.bits.activations))
        addStream([delta], bufferKiB: config.buffersKiB.input, refetch: mapping.inputRefetchFactor)
    }

    /// The full weight gradient of a layer with latent real weights (mac, bwn, ternary):
    /// `dW = delta * x^T`, a GEMM with `Co` rows, `Ci*K` columns and window `P`
    /// (`Co*Ci*K*P` MACs), with `x` as its second operand; writes the gradients.
    static func latentWeightGradient(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let config = array.config
        let mapping = array.mapping(pixels: layer.outputChannels, filters: layer.windowSize, window: layer.outputPixels)
        var pass = ArrayPass()
        pass.addOutputGradientStream(layer, mapping: mapping, config: config)
        pass = pass + .multiplyAccumulate(layer.macs, cycles: mapping.computeCycles)
        let activations = StreamPart(role: \.input,
                                     sramReadBytes: byteCount(mapping.weightReads, bits: config.bits.activations),
                                     storedBytes: byteCount(layer.inputElements, bits: config.bits.activations))
        pass.addStream([activations], bufferKiB: config.buffersKiB.input, refetch: mapping.weightRefetchFactor)
        pass.addOutput(role: \.state, elements: layer.weightElements, bits: config.bits.accumulators,
                       mapping: mapping, config: config)
        return pass
    }

    /// One SGD-momentum step over `n` trainable parameters: `v = mu*v + g`, `w = w - lr*v`
    /// (2 mults, 2 accumulations each), reading `w, v, g` and writing `w, v` at the
    /// accumulator width (both also to and from DRAM), on the array as `R*C` lanes doing one
    /// multiply-accumulate per cycle. The array model adds the rewrite of its deployable
    /// weights.
    static func momentumStep(parameters n: Int, on array: ArrayContext) -> ArrayPass {
        let stateBits = array.config.bits.accumulators
        var pass = ArrayPass()
        pass.mults = 2 * n
        pass.accumulations = 2 * n
        pass.cycles = ceilDiv(2 * n, array.processingElements)
        pass.sramRead.state = byteCount(3 * n, bits: stateBits)
        pass.sramWrite.state = byteCount(2 * n, bits: stateBits)
        pass.dramRead.state = byteCount(2 * n, bits: stateBits)
        pass.dramWrite.state = byteCount(2 * n, bits: stateBits)
        return pass
    }
}
