import FSBCore
import FSBHardware
import Foundation

/// Writes an `IntegerModel` as a self-contained C99 module, `fsb_model.h` + `fsb_model.c`:
/// no heap, no libc beyond `<stdint.h>`, `<stddef.h>` and `<string.h>`, integer arithmetic
/// only, computing exactly the integers of `IntegerNetwork` (scores and class identical).
///
/// The kernels are emitted per layer with their sizes as constants. Integer sums are
/// reordered for speed (plane accumulators, pixel-outer codebook loops), which changes
/// nothing because the export proves that no partial sum can leave the accumulator range
/// (`IntegerNetwork.productBound` plus the bias limit; the module's update function checks
/// new biases against the same limits), so the saturating reference never saturates.
public struct CModule {
    /// How the module gets its signs.
    public enum SignStorage: String, CaseIterable, Sendable {
        /// Packed in constant data, 1 bit per sign (or codebook patterns + indices).
        case packed
        /// Regenerated at every inference by the training's sign generator
        /// (`SeededGenerator`: SplitMix64-seeded xoshiro256** on the stream
        /// `"<layer>.signs"`) from the model seed.
        case regenerate
    }

    /// The text of `fsb_model.h`.
    public var header: String
    /// The text of `fsb_model.c`.
    public var source: String
    /// Bytes of the activation arena (`fsb_act_t` elements times their size).
    public var arenaBytes: Int
    /// Bytes of the other scratch buffers (accumulator planes, codebook sums, scores).
    public var scratchBytes: Int
    /// Bytes of the updatable parameters and of the constant sign data.
    public var parameterBytes: Int
    public var signBytes: Int
    /// The model identity the module reports and model updates must match.
    public var identity: UInt64

    /// `widthsOrigin` says where the bit widths came from, for the error when an
    /// accumulator could overflow (`bits.accumulators of --hardware HW.json`).
    public init(model: IntegerModel, signs: SignStorage, origin: String,
                widthsOrigin: String = ModelExport.IntegerOptions().widthsOrigin) throws {
        let layout = CModuleLayout(model)
        let network = model.network
        for c in model.computes {
            let bound = network.productBound(c)
            if bound >= network.accumulatorLimit {
                throw FSBError("layer '\(c.name)': its sums can reach \(bound), beyond the \(network.widths.accumulatorBits)-bit accumulators (\(widthsOrigin)); the C module needs accumulators that cannot overflow (wider accumulators or narrower operands)")
            }
        }
        if let problem = layout.rangeProblems.first { throw FSBError("C export: \(problem)") }
        if signs == .regenerate {
            for c in model.computes where layout.signs[c.name] != nil && model.signSources[c.name] == nil {
                let why = c.method == "fsb" ? "its signs were set from a checkpoint, not drawn from the seed"
                    : (c.method == "twn" ? "twn ternary codes are trained, not drawn from a seed"
                                         : "\(c.method) signs are trained, not drawn from a seed")
                throw FSBError("--signs regenerate: layer '\(c.name)' cannot regenerate its signs (\(why)); use --signs packed")
            }
        }
        var generator = CModuleGenerator(model: model, layout: layout, signs: signs, origin: origin)
        try generator.generate()
        header = generator.header
        source = generator.source
        arenaBytes = generator.arenaElements * generator.activationBytes
        scratchBytes = generator.scratchBytes
        parameterBytes = layout.payload.count
        signBytes = generator.signDataBytes
        identity = layout.identity
    }
}
