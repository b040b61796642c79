import FSBCore

/// The energy of each counted event for one layer on one accelerator, in picojoules,
/// taken from the `EnergyTable`. Every report energy is these numbers times counts:
///
/// - compute = `mults * multiply + addsubs * addSub + accumulations * accumulate`
/// - SRAM = sum over operands of `(read + write bytes) / 8 * buffer access` (inputs in the
///   input buffer; weights, factors, signs and state in the weight buffer; partial sums and
///   outputs in the output buffer)
/// - DRAM = `(read + write bytes) / 8 * dram`
/// - sign generation = `lfsrSteps * lfsrStep`
///
/// Widths: `fp32` arithmetic uses the fp32 entries for everything. Integer arithmetic: the
/// unit's array gives its multiply and add/sub (`ArrayModel.integerEnergies`: mac multiplies
/// `max(activations, weights)`-bit operands; bwn/fsb add/sub the sign convolution at
/// `zBits = activations + ceil(log2(n))` bits, n = terms summed: `Ci*K` for bwn, `K` for
/// fsb, at most the accumulator width, and multiply `max(zBits, factors)` bits);
/// accumulations are at the accumulator width.
public struct OperationEnergies: Equatable, Sendable {
    public var multiply: Double
    public var addSub: Double
    public var accumulate: Double
    public var inputBuffer: Double
    public var weightBuffer: Double
    public var outputBuffer: Double
    public var dram: Double
    public var lfsrStep: Double

    /// Energies for `layer` on the unit of `accelerator` that runs it (the main unit when
    /// none does).
    public init(accelerator: Accelerator, layer: LayerShape) {
        let config = accelerator.config
        let array = ArrayContext(unit: config.unit(running: layer) ?? config.units[0], config: config)
        var layer = layer
        if layer.weights == nil { layer.weights = array.model.nativeEncoding }
        self.init(accelerator: accelerator, array: array, layer: layer)
    }

    /// Energies for `layer` on `array` of `accelerator` (buffer entries fall back to the
    /// largest SRAM when a buffer is too large; `Accelerator.load` rejects such configs).
    init(accelerator: Accelerator, array: ArrayContext, layer: LayerShape) {
        let config = accelerator.config
        let table = accelerator.energy
        let fallback = table.sram.last?.read64BitPJ ?? 0
        inputBuffer = table.sramAccess(sizeKiB: config.buffersKiB.input) ?? fallback
        weightBuffer = table.sramAccess(sizeKiB: config.buffersKiB.weight) ?? fallback
        outputBuffer = table.sramAccess(sizeKiB: config.buffersKiB.output) ?? fallback
        dram = table.dram64BitPJ
        lfsrStep = table.lfsrStepPJ
        if config.arithmetic == .fp32 {
            multiply = table.fp32MultiplyPJ
            addSub = table.fp32AddPJ
            accumulate = table.fp32AddPJ
            return
        }
        accumulate = table.integerAdd(bits: config.bits.accumulators)
        (multiply, addSub) = array.model.integerEnergies(layer, on: array, table: table)
    }

    /// The add/sub and multiply energies of a sign array summing `terms` inputs:
    /// add/sub at `zBits = activations + ceil(log2 terms)` (at most the accumulator width),
    /// multiply `max(zBits, factors)` bits.
    static func signSumEnergies(terms: Int, bits: HardwareConfig.BitWidths, table: EnergyTable) -> (multiply: Double, addSub: Double) {
        let zBits = sumBits(operandBits: bits.activations, terms: terms, limit: bits.accumulators)
        return (table.integerMultiply(bits: max(zBits, bits.factors)), table.integerAdd(bits: zBits))
    }

    /// Width of a sum of `terms` values of `operandBits`: `operandBits + ceil(log2(terms))`,
    /// at most `limit`.
    public static func sumBits(operandBits: Int, terms: Int, limit: Int) -> Int {
        var growth = 0
        while (1 << growth) < terms { growth += 1 }
        return min(operandBits + growth, limit)
    }
}
