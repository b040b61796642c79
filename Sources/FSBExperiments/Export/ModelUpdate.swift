import FSBCore
import FSBData
import Foundation

/// `fsb export --update`: what a device running the C module exported from OLD needs to
/// classify like the module exported from NEW, when only the trainable tensors changed
/// (fp weights, FSB factors, BatchNorm, hence biases and requantisation; never the signs).
///
/// Format (little-endian), read by `fsb_model_apply_update`:
///
/// | offset | bytes | field |
/// | ---: | ---: | --- |
/// | 0 | 4 | magic `FSBU` |
/// | 4 | 2 | format version, 1 |
/// | 6 | 2 | header size, 48 |
/// | 8 | 8 | model identity (`CModuleLayout.identity`: architecture, widths, signs) |
/// | 16 | 4 | base identity: CRC-32 of OLD's serialized parameters |
/// | 20 | 4 | CRC-32 of NEW's serialized parameters |
/// | 24 | 16 | element counts of `fsb_p8`, `fsb_p16`, `fsb_p32`, `fsb_p64` |
/// | 40 | 4 | payload bytes |
/// | 44 | 4 | 0 (reserved) |
/// | 48 | payload | NEW's parameters, serialized (`CModuleLayout.payload`) |
/// | end - 4 | 4 | CRC-32 of every byte before it |
public enum ModelUpdate {
    public static let magic: [UInt8] = Array("FSBU".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 48

    /// The update from `base` to `new`; refused when their architectures, widths or signs
    /// differ (the device keeps its signs and structure). `names`: the two checkpoints as
    /// the errors name them.
    public static func make(base: IntegerModel, new: IntegerModel,
                            names: (base: String, new: String) = ("--base", "--checkpoint")) throws -> [UInt8] {
        let old = CModuleLayout(base), next = CModuleLayout(new)
        if old.architectureIdentity != next.architectureIdentity {
            let difference = zip(old.description, next.description).first { $0 != $1 }
                .map { "first difference: \"\($0.0)\" vs \"\($0.1)\"" } ?? "\(old.description.count) vs \(next.description.count) description lines"
            throw FSBError("--update: \(names.base) and \(names.new) differ in architecture, widths or layer methods (\(difference)); an update only carries new parameters")
        }
        if old.signIdentity != next.signIdentity {
            throw FSBError("--update: \(names.base) and \(names.new) have different signs (bwn and binaryconnect signs and twn ternary codes are retrained; fsb signs come from the model seed or a sign checkpoint); a device cannot get new signs from an update, export the new model instead")
        }
        if let problem = next.rangeProblems.first { throw FSBError("--update: \(problem)") }
        let payload = next.payload
        var bytes = magic
        func append(_ value: UInt64, _ count: Int) {
            for b in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * b))) }
        }
        append(UInt64(version), 2)
        append(UInt64(headerSize), 2)
        append(next.identity, 8)
        append(UInt64(old.parametersCRC), 4)
        append(UInt64(CRC32.checksum(payload)), 4)
        for count in next.counts { append(UInt64(count), 4) }
        append(UInt64(payload.count), 4)
        append(0, 4)
        bytes += payload
        append(UInt64(CRC32.checksum(bytes)), 4)
        return bytes
    }
}
