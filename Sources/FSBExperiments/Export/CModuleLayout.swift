import FSBCore
import FSBData
import FSBHardware
import Foundation

/// Where the parameters and signs of an `IntegerModel` live in the exported C module, what
/// identifies the model, and the bytes a model update carries. Shared by the C generator
/// (`CModule`) and the update writer (`ModelUpdate`), so both agree to the byte.
///
/// Parameters (everything but the signs) are four arrays by storage type — `fsb_p8`
/// (`int8_t`), `fsb_p16`, `fsb_p32`, `fsb_p64` — holding, per step: fp weights, bwn/fsb
/// factors (8 or 16 bits by width), int32 biases, per-channel requantisation multipliers
/// (int16), shifts (int8) and offsets (int64). Their serialized form (the update payload
/// and the base of the parameters' CRC-32) is `fsb_p8` bytes, then `fsb_p16`, `fsb_p32`,
/// `fsb_p64`, each element little-endian two's complement.
///
/// Signs are constant data: per sign-carrying layer the weights' signs packed 1 bit each
/// (bit `j % 8` of byte `j / 8` for weight `j` in row-major order; 1 = -1), or for a layer
/// with a sign codebook its distinct patterns packed alike plus one pattern index per
/// kernel slice; a ternary (twn) layer's codes take 2 bits each (bits `2(j % 4)` and up of
/// byte `j / 4`: `00` = 0, `01` = +1, `11` = -1). The model identity is the FNV-1a 64-bit hash of a canonical description
/// of the steps (operations, shapes, widths, parameter sizes) followed by every layer's
/// packed signs; an update applies only to a module of the same identity.
struct CModuleLayout {
    enum Storage: Int, CaseIterable {
        case p8 = 0, p16, p32, p64
        var cType: String { ["int8_t", "int16_t", "int32_t", "int64_t"][rawValue] }
        var name: String { ["fsb_p8", "fsb_p16", "fsb_p32", "fsb_p64"][rawValue] }
        var bytes: Int { [1, 2, 4, 8][rawValue] }
        var range: ClosedRange<Int64> {
            switch self {
            case .p8: return -128...127
            case .p16: return -32768...32767
            case .p32: return Int64(Int32.min)...Int64(Int32.max)
            case .p64: return Int64.min...Int64.max
            }
        }

        /// The storage of a `bits`-wide operand.
        static func holding(bits: Int) -> Storage { bits <= 8 ? .p8 : (bits <= 16 ? .p16 : .p32) }
    }

    /// A parameter tensor and the range each of its values must stay in (checked by
    /// `fsb_model_apply_update`).
    struct Slot {
        var name: String
        var storage: Storage
        var offset: Int
        var count: Int
        var range: ClosedRange<Int64>
    }

    /// A parameter reference in C: `fsb_p8 + 120`.
    struct Reference {
        var storage: Storage
        var offset: Int
        var expression: String { "\(storage.name) + \(offset)" }
        var cType: String { storage.cType }
    }

    /// The constant sign data of one layer.
    struct SignData {
        /// Packed bits (all weights, or the codebook patterns).
        var bits: [UInt8]
        /// Per kernel slice the pattern index (codebook form), else nil.
        var assignment: [Int]?
        var patternCount: Int
        /// Bits per weight: 1 (signs) or 2 (ternary codes).
        var codeBits = 1
    }

    private(set) var values: [[Int64]] = [[], [], [], []]
    private(set) var slots: [Slot] = []
    /// Per compute step name, its packed signs (sign-carrying layers only).
    private(set) var signs: [String: SignData] = [:]
    /// Packed signs of every sign-carrying layer in step order, raw (not codebook form): the
    /// part of the identity that says "same signs".
    private(set) var signBytes: [UInt8] = []
    private(set) var description: [String] = []

    /// Adds a parameter tensor; returns where it is.
    mutating func add(_ name: String, _ tensor: [Int64], storage: Storage, range: ClosedRange<Int64>? = nil) -> Reference {
        let offset = values[storage.rawValue].count
        values[storage.rawValue] += tensor
        slots.append(Slot(name: name, storage: storage, offset: offset, count: tensor.count, range: range ?? storage.range))
        describe("param \(name) \(storage.name) \(tensor.count)")
        return Reference(storage: storage, offset: offset)
    }

    mutating func describe(_ line: String) { description.append(line) }

    /// Records the signs of `layer` (+1/-1 in row-major weight order), with the codebook
    /// form when `kernelSize` slices share patterns.
    mutating func addSigns(_ layer: String, signs raw: [Int8], kernelSize: Int, codebook: Bool) {
        let packed = Self.pack(raw)
        signBytes += packed
        describe("signs \(layer) \(raw.count)")
        if codebook {
            let book = SignCodebook(signs: raw, slices: raw.count / kernelSize, kernelSize: kernelSize)
            signs[layer] = SignData(bits: Self.pack(book.patterns.flatMap { $0 }), assignment: book.assignment,
                                    patternCount: book.patterns.count)
        } else {
            signs[layer] = SignData(bits: packed, assignment: nil, patternCount: 0)
        }
    }

    /// Records the ternary codes of `layer` (+1/0/-1 in row-major weight order), 2 bits each.
    mutating func addTernaryCodes(_ layer: String, codes: [Int8]) {
        let packed = Self.packTernary(codes)
        signBytes += packed
        describe("ternary codes \(layer) \(codes.count)")
        signs[layer] = SignData(bits: packed, assignment: nil, patternCount: 0, codeBits: 2)
    }

    /// 2 bits per code, bits `2(j % 4)`, `2(j % 4) + 1` of byte `j / 4`: 00 = 0, 01 = +1, 11 = -1.
    static func packTernary(_ codes: [Int8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (codes.count + 3) / 4)
        for (j, t) in codes.enumerated() where t != 0 {
            bytes[j / 4] |= UInt8(t > 0 ? 1 : 3) << UInt8(2 * (j % 4))
        }
        return bytes
    }

    /// 1 bit per sign, bit `j % 8` of byte `j / 8`, 1 = -1.
    static func pack(_ signs: [Int8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (signs.count + 7) / 8)
        for (j, s) in signs.enumerated() where s < 0 { bytes[j / 8] |= UInt8(1) << UInt8(j % 8) }
        return bytes
    }

    var counts: [Int] { values.map(\.count) }

    /// The serialized parameters (the update payload).
    var payload: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(zip(counts, Storage.allCases).reduce(0) { $0 + $1.0 * $1.1.bytes })
        for storage in Storage.allCases {
            for value in values[storage.rawValue] {
                let bits = UInt64(bitPattern: value)
                for b in 0..<storage.bytes { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * b))) }
            }
        }
        return bytes
    }

    /// CRC-32 of the serialized parameters.
    var parametersCRC: UInt32 { CRC32.checksum(payload) }

    static func fnv1a(_ bytes: [UInt8], hash start: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        var hash = start
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Identity of the architecture (the description, without the signs).
    var architectureIdentity: UInt64 { Self.fnv1a(Array(description.joined(separator: "\n").utf8)) }
    /// Identity of the signs alone.
    var signIdentity: UInt64 { Self.fnv1a(signBytes) }
    /// The model identity: description then signs.
    var identity: UInt64 { Self.fnv1a(signBytes, hash: architectureIdentity) }

    /// Lays out `model`: every step's parameters in order, and the signs.
    init(_ model: IntegerModel) {
        let network = model.network
        let widths = network.widths
        describe("fsb-integer-network 1 widths \(widths.activationBits) \(widths.weightBits) \(widths.factorBits) \(widths.accumulatorBits)")
        describe("input \(network.tensors[0].shape) offsets \(network.pixelOffsets)")
        for tensor in network.tensors { describe("tensor \(tensor.name) \(tensor.shape) \(tensor.kind.rawValue)") }
        for step in network.steps {
            switch step {
            case .compute(let c):
                describe("compute \(c.name) \(c.method) \(c.input)->\(c.output) \(c.inputShape) co \(c.outputChannels) ci \(c.inputChannels) k \(c.kernelHeight)x\(c.kernelWidth) s \(c.stride) p \(c.padding)")
                addCompute(c, network: network)
            case .maxPool(let name, let input, let output, let kernel, let stride):
                describe("maxpool \(name) \(input)->\(output) \(kernel) \(stride)")
            case .avgPool(let name, let input, let output, let kh, let kw, let stride, let rescale):
                describe("avgpool \(name) \(input)->\(output) \(kh)x\(kw) \(stride)")
                _ = addRescales(name, [rescale], withOffsets: false)
            case .add(let name, let inputs, let output, let rescales, let relu):
                describe("add \(name) \(inputs.0),\(inputs.1)->\(output) relu \(relu)")
                _ = addRescales(name + ".a", [rescales.0], withOffsets: false)
                _ = addRescales(name + ".b", [rescales.1], withOffsets: false)
            }
        }
    }

    /// The references of one compute step's parameters, in `references[name]`.
    struct ComputeParameters {
        var weights: Reference?
        var factors: Reference?
        var bias: Reference
        var rescale: RescaleReferences?
        var residual: RescaleReferences?
    }

    struct RescaleReferences {
        var multipliers: Reference
        var shifts: Reference
        var offsets: Reference?
    }

    private(set) var computeParameters: [String: ComputeParameters] = [:]
    private(set) var stepRescales: [String: RescaleReferences] = [:]

    mutating func addRescales(_ name: String, _ rescales: [IntegerNetwork.Rescale], withOffsets: Bool) -> RescaleReferences {
        let limit = Int64(IntegerNetwork.Rescale.multiplierLimit)
        let m = add("\(name).multiplier", rescales.map { Int64($0.multiplier) }, storage: .p16, range: -limit...limit)
        let s = add("\(name).shift", rescales.map { Int64($0.shift) }, storage: .p8, range: 0...Int64(IntegerNetwork.Rescale.shiftLimit))
        let o = withOffsets ? add("\(name).offset", rescales.map(\.offset), storage: .p64,
                                  range: -IntegerNetwork.Rescale.offsetLimit...IntegerNetwork.Rescale.offsetLimit) : nil
        let references = RescaleReferences(multipliers: m, shifts: s, offsets: o)
        stepRescales[name] = references
        return references
    }

    mutating func addCompute(_ c: IntegerNetwork.Compute, network: IntegerNetwork) {
        let widths = network.widths
        func operand(_ bits: Int) -> (Storage, ClosedRange<Int64>) {
            (Storage.holding(bits: bits), QuantizedTensor.minimum(bits: bits)...QuantizedTensor.maximum(bits: bits))
        }
        var weights: Reference?, factors: Reference?
        switch c.kernel {
        case .multiplyAccumulate(let w):
            let (storage, range) = operand(widths.weightBits)
            weights = add("\(c.name).weight", w.map(Int64.init), storage: storage, range: range)
        case .signs(let s, let f):
            let (storage, range) = operand(widths.factorBits)
            factors = add("\(c.name).factor", f.map(Int64.init), storage: storage, range: range)
            addSigns(c.name, signs: s, kernelSize: c.kernelSize, codebook: false)
        case .ternary(let t, let f, _):
            let (storage, range) = operand(widths.factorBits)
            factors = add("\(c.name).factor", f.map(Int64.init), storage: storage, range: range)
            addTernaryCodes(c.name, codes: t)
        case .fsb(let datapath, let shared):
            let (storage, range) = operand(widths.factorBits)
            factors = add("\(c.name).factor", datapath.factors.values, storage: storage, range: range)
            addSigns(c.name, signs: datapath.signs, kernelSize: c.kernelSize, codebook: shared)
        }
        let limit = network.accumulatorLimit - network.productBound(c)
        let bias = add("\(c.name).bias", c.bias, storage: .p32, range: -max(0, limit)...max(0, limit))
        var rescale: RescaleReferences?, residual: RescaleReferences?
        if case .requantize(let r, let res, let relu) = c.epilogue {
            describe("epilogue \(c.name) relu \(relu) residual \(res.map { "\($0.tensor) \($0.stride) \($0.channelOffset)" } ?? "none")")
            rescale = addRescales(c.name, r, withOffsets: true)
            if let res { residual = addRescales("\(c.name).residual", [res.rescale], withOffsets: false) }
        } else {
            describe("epilogue \(c.name) scores")
        }
        computeParameters[c.name] = ComputeParameters(weights: weights, factors: factors, bias: bias, rescale: rescale,
                                                      residual: residual)
    }

    /// Values outside their slot's range, as messages (empty when the layout can be exported).
    var rangeProblems: [String] {
        slots.compactMap { slot in
            let v = values[slot.storage.rawValue][slot.offset..<(slot.offset + slot.count)]
            guard let bad = v.first(where: { !slot.range.contains($0) }) else { return nil }
            return "\(slot.name): value \(bad) outside \(slot.range.lowerBound)...\(slot.range.upperBound)"
        }
    }
}
