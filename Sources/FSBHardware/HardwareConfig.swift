import FSBCore
import Foundation

/// One accelerator: its arrays (`units`: kind and size of each, the main one first),
/// dataflow, clock, bit widths, buffers, DRAM bandwidth, sign source and energy table,
/// shared by all its arrays. Decoded strictly from JSON (unknown keys, wrong types and
/// out-of-range values are `ConfigError`s naming the JSON path), for example:
///
/// ```json
/// { "name": "fsb-int8-os",
///   "units": [ { "kind": "fsb", "arrayRows": 32, "arrayCols": 32 },
///              { "kind": "mac", "arrayRows": 16, "arrayCols": 16 } ],
///   "dataflow": "os", "clockMHz": 200, "arithmetic": "int8",
///   "bits": { "activations": 8, "weights": 8, "factors": 8, "accumulators": 32 },
///   "buffersKiB": { "input": 64, "weight": 64, "output": 64 },
///   "dramBytesPerCycle": 16, "signSource": "lfsr", "signCodebook": null,
///   "energyTable": "energy-horowitz-45nm.json" }
/// ```
///
/// A config without `units` names its main array with `kind`, `arrayRows` and `arrayCols`
/// and gets the default units (`defaultUnits`); a config with `units` must not give those
/// three. `energyTable` is a path resolved relative to the config file's folder first, then
/// to the working directory.
public struct HardwareConfig: Equatable, Sendable, Decodable {
    /// Operand widths in bits.
    public struct BitWidths: Equatable, Sendable, Decodable {
        public var activations: Int
        public var weights: Int
        /// Scaling factors (`alpha` of bwn, `A` of fsb).
        public var factors: Int
        public var accumulators: Int

        public init(activations: Int, weights: Int, factors: Int, accumulators: Int) {
            self.activations = activations
            self.weights = weights
            self.factors = factors
            self.accumulators = accumulators
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case activations, weights, factors, accumulators }

        /// Decodes with defaults taken from `arithmetic` (its operand width; accumulators 32).
        init(from decoder: Decoder, arithmetic: Arithmetic) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let limit = arithmetic.maximumOperandBits
            let operand: (Int) -> String? = { bits in
                (1...limit).contains(bits) ? nil : "must be in 1...\(limit) for arithmetic \(arithmetic.rawValue)"
            }
            activations = try c.decode(Int.self, forKey: .activations, default: limit, check: operand)
            weights = try c.decode(Int.self, forKey: .weights, default: limit, check: operand)
            factors = try c.decode(Int.self, forKey: .factors, default: limit, check: operand)
            accumulators = try c.decode(Int.self, forKey: .accumulators, default: 32) { bits in
                (1...32).contains(bits) ? nil : "must be in 1...32"
            }
        }

        public init(from decoder: Decoder) throws {
            try self.init(from: decoder, arithmetic: .fp32)
        }
    }

    /// On-chip buffer sizes in KiB.
    public struct BufferSizes: Equatable, Sendable, Decodable {
        public var input: Double
        /// Weights, or factors and signs.
        public var weight: Double
        /// Outputs and partial sums.
        public var output: Double

        public init(input: Double, weight: Double, output: Double) {
            self.input = input
            self.weight = weight
            self.output = output
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case input, weight, output }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let range = HardwareConfig.bufferRange.check
            input = try c.decodeChecked(Double.self, forKey: .input, check: range)
            weight = try c.decodeChecked(Double.self, forKey: .weight, check: range)
            output = try c.decodeChecked(Double.self, forKey: .output, check: range)
        }
    }

    /// Short name used in reports (`fsb-int8-os`).
    public var name: String
    /// The arrays, the main one first (at least one; no kind twice). See `HardwareConfig+Units.swift`.
    public var units: [Unit]
    public var dataflow: Dataflow
    public var clockMHz: Double
    public var arithmetic: Arithmetic
    public var bits: BitWidths
    public var buffersKiB: BufferSizes
    /// Off-chip bandwidth in bytes per cycle.
    public var dramBytesPerCycle: Double
    /// Sign source of the fsb array (a bwn array always stores its signs).
    public var signSource: SignSource
    /// FSB sign codebook size `N` applied to every fixed-sign layer that does not set its own (optional).
    public var signCodebook: Int?
    /// Path of the energy table JSON file, as written in the config.
    public var energyTable: String

    public static let defaultEnergyTable = "configs/hw/energy-horowitz-45nm.json"

    /// The documented ranges of the config's numbers.
    public static let arraySideRange = ValueRange(1...4096)
    public static let clockRange = ValueRange(0.0, 100_000.0, lowerIncluded: false)
    public static let bufferRange = ValueRange(0.0, 1_048_576.0, lowerIncluded: false)
    public static let dramBandwidthRange = ValueRange(0.001, 1_000_000.0)
    public static let codebookRange = ValueRange(1...65_536)

    public init(name: String, kind: AcceleratorKind, arrayRows: Int, arrayCols: Int, dataflow: Dataflow,
                clockMHz: Double, arithmetic: Arithmetic, bits: BitWidths, buffersKiB: BufferSizes,
                dramBytesPerCycle: Double, signSource: SignSource, signCodebook: Int? = nil,
                energyTable: String = HardwareConfig.defaultEnergyTable, units: [Unit]? = nil) {
        self.name = name
        self.units = units ?? HardwareConfig.defaultUnits(kind: kind, arrayRows: arrayRows, arrayCols: arrayCols)
        self.dataflow = dataflow
        self.clockMHz = clockMHz
        self.arithmetic = arithmetic
        self.bits = bits
        self.buffersKiB = buffersKiB
        self.dramBytesPerCycle = dramBytesPerCycle
        self.signSource = signSource
        self.signCodebook = signCodebook
        self.energyTable = energyTable
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, units, kind, arrayRows, arrayCols, dataflow, clockMHz, arithmetic, bits, buffersKiB
        case dramBytesPerCycle, signSource, signCodebook, energyTable
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeChecked(String.self, forKey: .name) { $0.isEmpty ? "must not be empty" : nil }
        units = try HardwareConfig.decodeUnits(c)
        dataflow = try c.decodeChoice(Dataflow.self, forKey: .dataflow, default: .outputStationary)
        clockMHz = try c.decodeChecked(Double.self, forKey: .clockMHz, check: Self.clockRange.check)
        arithmetic = try c.decodeChoiceRequired(Arithmetic.self, forKey: .arithmetic)
        if c.contains(.bits) {
            bits = try BitWidths(from: c.superDecoder(forKey: .bits), arithmetic: arithmetic)
        } else {
            let width = arithmetic.maximumOperandBits
            bits = BitWidths(activations: width, weights: width, factors: width, accumulators: 32)
        }
        buffersKiB = try c.decode(BufferSizes.self, forKey: .buffersKiB)
        dramBytesPerCycle = try c.decodeChecked(Double.self, forKey: .dramBytesPerCycle, check: Self.dramBandwidthRange.check)
        signSource = try c.decodeChoice(SignSource.self, forKey: .signSource, default: .stored)
        signCodebook = try c.decodeOptional(Int.self, forKey: .signCodebook, check: Self.codebookRange.check)
        energyTable = try c.decode(String.self, forKey: .energyTable, default: HardwareConfig.defaultEnergyTable)
        if let (field, message) = problem, let key = CodingKeys(rawValue: field) {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: message)
        }
    }

    /// Decodes a config from JSON bytes (`file` names the source in errors).
    public static func decode(_ data: Data, file: String = "") throws -> HardwareConfig {
        try StrictJSON.decode(HardwareConfig.self, from: data, file: file)
    }
}

extension KeyedDecodingContainer {
    /// Decodes a required string field that must be one of an enum's raw values.
    func decodeChoiceRequired<T: RawRepresentable & CaseIterable>(_ type: T.Type, forKey key: Key) throws -> T
    where T.RawValue == String {
        let raw = try decode(String.self, forKey: key)
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "expected one of \(allowed), got \"\(raw)\"")
        }
        return value
    }
}
