import FSBCore

/// Energy per operation and per memory access, in picojoules, read from a JSON data file
/// (default `configs/hw/energy-horowitz-45nm.json`: M. Horowitz, "Computing's energy
/// problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V).
///
/// Integer operations are looked up by width rounded up to 8, 16 or 32 bits; SRAM energy
/// per 64-bit access by buffer size (the smallest listed size that holds the buffer; a
/// buffer larger than every listed size is an error). SRAM writes cost the same as reads.
/// DRAM energy is per 64-bit access. Energies of byte counts are pro rata: `bytes / 8`
/// accesses.
public struct EnergyTable: Equatable, Sendable, Decodable {
    /// One SRAM size point: energy of a 64-bit read from an SRAM of `sizeKiB`.
    public struct SRAMPoint: Equatable, Sendable, Decodable {
        public var sizeKiB: Double
        public var read64BitPJ: Double

        public init(sizeKiB: Double, read64BitPJ: Double) {
            self.sizeKiB = sizeKiB
            self.read64BitPJ = read64BitPJ
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case sizeKiB, read64BitPJ }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sizeKiB = try c.decodeChecked(Double.self, forKey: .sizeKiB, check: HardwareConfig.bufferRange.check)
            read64BitPJ = try c.decodeChecked(Double.self, forKey: .read64BitPJ, check: EnergyTable.energyRange.check)
        }
    }

    /// Where the numbers come from (free text, shown in reports).
    public var source: String
    /// The range of every energy in picojoules.
    public static let energyRange = ValueRange(0.0, 1e9)
    public var int8AddPJ: Double
    public var int16AddPJ: Double
    public var int32AddPJ: Double
    public var int8MultiplyPJ: Double
    public var int16MultiplyPJ: Double
    public var int32MultiplyPJ: Double
    public var fp16AddPJ: Double
    public var fp16MultiplyPJ: Double
    public var fp32AddPJ: Double
    public var fp32MultiplyPJ: Double
    /// SRAM points, sorted by size.
    public var sram: [SRAMPoint]
    /// One 64-bit DRAM access.
    public var dram64BitPJ: Double
    /// One step of the sign-generating LFSR (one sign bit).
    public var lfsrStepPJ: Double

    public init(source: String, int8AddPJ: Double, int16AddPJ: Double, int32AddPJ: Double,
                int8MultiplyPJ: Double, int16MultiplyPJ: Double, int32MultiplyPJ: Double,
                fp16AddPJ: Double, fp16MultiplyPJ: Double, fp32AddPJ: Double, fp32MultiplyPJ: Double,
                sram: [SRAMPoint], dram64BitPJ: Double, lfsrStepPJ: Double) {
        self.source = source
        self.int8AddPJ = int8AddPJ
        self.int16AddPJ = int16AddPJ
        self.int32AddPJ = int32AddPJ
        self.int8MultiplyPJ = int8MultiplyPJ
        self.int16MultiplyPJ = int16MultiplyPJ
        self.int32MultiplyPJ = int32MultiplyPJ
        self.fp16AddPJ = fp16AddPJ
        self.fp16MultiplyPJ = fp16MultiplyPJ
        self.fp32AddPJ = fp32AddPJ
        self.fp32MultiplyPJ = fp32MultiplyPJ
        self.sram = sram.sorted { $0.sizeKiB < $1.sizeKiB }
        self.dram64BitPJ = dram64BitPJ
        self.lfsrStepPJ = lfsrStepPJ
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case source, int8AddPJ, int16AddPJ, int32AddPJ, int8MultiplyPJ, int16MultiplyPJ, int32MultiplyPJ
        case fp16AddPJ, fp16MultiplyPJ, fp32AddPJ, fp32MultiplyPJ, sram, dram64BitPJ, lfsrStepPJ
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let nonNegative = EnergyTable.energyRange.check
        source = try c.decode(String.self, forKey: .source)
        int8AddPJ = try c.decodeChecked(Double.self, forKey: .int8AddPJ, check: nonNegative)
        int16AddPJ = try c.decodeChecked(Double.self, forKey: .int16AddPJ, check: nonNegative)
        int32AddPJ = try c.decodeChecked(Double.self, forKey: .int32AddPJ, check: nonNegative)
        int8MultiplyPJ = try c.decodeChecked(Double.self, forKey: .int8MultiplyPJ, check: nonNegative)
        int16MultiplyPJ = try c.decodeChecked(Double.self, forKey: .int16MultiplyPJ, check: nonNegative)
        int32MultiplyPJ = try c.decodeChecked(Double.self, forKey: .int32MultiplyPJ, check: nonNegative)
        fp16AddPJ = try c.decodeChecked(Double.self, forKey: .fp16AddPJ, check: nonNegative)
        fp16MultiplyPJ = try c.decodeChecked(Double.self, forKey: .fp16MultiplyPJ, check: nonNegative)
        fp32AddPJ = try c.decodeChecked(Double.self, forKey: .fp32AddPJ, check: nonNegative)
        fp32MultiplyPJ = try c.decodeChecked(Double.self, forKey: .fp32MultiplyPJ, check: nonNegative)
        let points = try c.decode([SRAMPoint].self, forKey: .sram)
        if points.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .sram, in: c,
                                                   debugDescription: "must list at least one SRAM size, got []")
        }
        sram = points.sorted { $0.sizeKiB < $1.sizeKiB }
        dram64BitPJ = try c.decodeChecked(Double.self, forKey: .dram64BitPJ, check: nonNegative)
        lfsrStepPJ = try c.decodeChecked(Double.self, forKey: .lfsrStepPJ, check: nonNegative)
    }

    /// Reads a table from a JSON file (errors carry the file and JSON path).
    public static func load(path: String) throws -> EnergyTable {
        try StrictJSON.decode(EnergyTable.self, fromFile: path)
    }

    /// Energy of an integer addition/subtraction of `bits` (rounded up to 8, 16 or 32).
    public func integerAdd(bits: Int) -> Double {
        bits <= 8 ? int8AddPJ : bits <= 16 ? int16AddPJ : int32AddPJ
    }

    /// Energy of an integer multiplication of `bits`-wide operands (rounded up to 8, 16, 32).
    public func integerMultiply(bits: Int) -> Double {
        bits <= 8 ? int8MultiplyPJ : bits <= 16 ? int16MultiplyPJ : int32MultiplyPJ
    }

    /// Energy of one 64-bit access to an SRAM of `sizeKiB`, or nil when the buffer is larger
    /// than every listed size.
    public func sramAccess(sizeKiB: Double) -> Double? {
        sram.first { $0.sizeKiB >= sizeKiB }?.read64BitPJ
    }
}
