import FSBCore

/// Simulates one layer on one accelerator: operation counts, cycles, memory traffic and
/// energy. The model and its formulas are documented in `docs/hardware.md`.
///
/// The layer runs on the accelerator's unit for its weight encoding
/// (`HardwareConfig.unit(running:)`), whose `ArrayModel` gives the passes. Inference is one
/// forward pass per input; a training step (`.train`) is, per example, forward + input
/// gradient + weight gradient, then one optimizer update per step. Every array pass is a
/// GEMM mapped with `SystolicMapping` (the mac forward pass is SCALE-Sim's model exactly).
public enum LayerSimulator {
    /// The cost of `layer` on `accelerator` in `mode`, for `batchSize` inputs (inference)
    /// or one training step over `batchSize` examples (train). A unit of the accelerator
    /// must run the layer (`HardwareSimulation.run` checks it first).
    public static func simulate(_ layer: LayerShape, on accelerator: Accelerator, mode: SimulationMode,
                                batchSize: Int = 1) -> LayerReport {
        let config = accelerator.config
        guard let unit = config.unit(running: layer) else { preconditionFailure(config.noUnitMessage(layer)) }
        let array = ArrayContext(unit: unit, config: config)
        let model = array.model
        var layer = layer
        if layer.weights == nil { layer.weights = model.nativeEncoding }

        var perExample = model.forwardPass(layer, on: array)
        var stored = model.modelBytes(layer, on: array)
        if mode == .train {
            perExample = perExample + model.inputGradientPass(layer, on: array)
            perExample = perExample + model.weightGradient(layer, on: array)
            stored += byteCount(2 * model.trainableParameters(layer), bits: config.bits.accumulators)
        }
        var step = perExample * max(1, batchSize)
        if mode == .train { step = step + model.update(layer, on: array) }

        var report = LayerReport(layer: layer.name, hardware: config.name, kind: config.kind,
                                 dataflow: config.dataflow, mode: mode)
        report.unit = unit.kind.rawValue
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
        report.arrayPEs = array.processingElements
        report.clockMHz = config.clockMHz
        let transferCycles = CheckedArithmetic.ceilingInt(Double(step.dramRead.total + step.dramWrite.total) / config.dramBytesPerCycle) ?? Int.max
        report.stallCycles = max(0, transferCycles - step.cycles)
        report.peCycles = Double(report.arrayPEs) * Double(report.totalCycles)

        let e = OperationEnergies(accelerator: accelerator, array: array, layer: layer)
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

    /// Extra bytes a training device stores for `layer`: its trainable parameters and their
    /// momentum at the accumulator width (latent real weights; fsb only `A`).
    public static func trainingStateBytes(_ layer: LayerShape, config: HardwareConfig) -> Int {
        guard let unit = config.unit(running: layer) else { preconditionFailure(config.noUnitMessage(layer)) }
        return byteCount(2 * unit.kind.model.trainableParameters(layer), bits: config.bits.accumulators)
    }
}
