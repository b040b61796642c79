import FSBCore

extension HardwareConfig {
    /// One array of the accelerator: its kind and size. Everything else (dataflow, clock,
    /// widths, buffers, DRAM, sign source) is the accelerator's, shared by its arrays.
    public struct Unit: Equatable, Sendable, Decodable {
        public var kind: AcceleratorKind
        public var arrayRows: Int
        public var arrayCols: Int

        public init(kind: AcceleratorKind, arrayRows: Int, arrayCols: Int) {
            self.kind = kind
            self.arrayRows = arrayRows
            self.arrayCols = arrayCols
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case kind, arrayRows, arrayCols }

        public init(from decoder: Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kind = try c.decodeChoiceRequired(AcceleratorKind.self, forKey: .kind)
            arrayRows = try c.decodeChecked(Int.self, forKey: .arrayRows, check: HardwareConfig.arraySideRange.check)
            arrayCols = try c.decodeChecked(Int.self, forKey: .arrayCols, check: HardwareConfig.arraySideRange.check)
        }

        /// `"fsb 32x32"`.
        public var description: String { "\(kind.rawValue) \(arrayRows)x\(arrayCols)" }
    }

    /// The main array's kind (`units[0]`), which also names the accelerator's kind in reports.
    public var kind: AcceleratorKind {
        get { units[0].kind }
        set { units[0].kind = newValue }
    }
    /// The main array's rows.
    public var arrayRows: Int {
        get { units[0].arrayRows }
        set { units[0].arrayRows = newValue }
    }
    /// The main array's columns.
    public var arrayCols: Int {
        get { units[0].arrayCols }
        set { units[0].arrayCols = newValue }
    }

    /// The units of a config that lists none: its `kind` array of `arrayRows x arrayCols`,
    /// and when that array cannot run dense layers (`bwn`, `fsb`) a MAC array with half the rows and columns (rounded up; a
    /// quarter of the PEs) for the layers the main array cannot run (`fp` first and last
    /// layers). The shipped bwn and fsb configs list exactly these units.
    public static func defaultUnits(kind: AcceleratorKind, arrayRows: Int, arrayCols: Int) -> [Unit] {
        let main = Unit(kind: kind, arrayRows: arrayRows, arrayCols: arrayCols)
        if kind.model.runs(.dense) { return [main] }
        return [main, Unit(kind: .mac, arrayRows: ceilDiv(arrayRows, 2), arrayCols: ceilDiv(arrayCols, 2))]
    }

    /// `units`, or the default units of `kind`, `arrayRows` and `arrayCols`; the two forms
    /// exclude each other.
    static func decodeUnits(_ c: KeyedDecodingContainer<CodingKeys>) throws -> [Unit] {
        guard c.contains(.units) else {
            return defaultUnits(kind: try c.decodeChoiceRequired(AcceleratorKind.self, forKey: .kind),
                                arrayRows: try c.decodeChecked(Int.self, forKey: .arrayRows, check: arraySideRange.check),
                                arrayCols: try c.decodeChecked(Int.self, forKey: .arrayCols, check: arraySideRange.check))
        }
        for key in [CodingKeys.kind, .arrayRows, .arrayCols] where c.contains(key) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c, debugDescription: "must be left out when units is given (units[0] is the main array)")
        }
        let units = try c.decode([Unit].self, forKey: .units)
        if units.isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .units, in: c, debugDescription: "must list at least one unit, got []")
        }
        for (index, unit) in units.enumerated() where units[..<index].contains(where: { $0.kind == unit.kind }) {
            throw DecodingError.dataCorruptedError(
                forKey: .units, in: c, debugDescription: "lists kind \"\(unit.kind.rawValue)\" twice (units[\(index)])")
        }
        return units
    }

    /// Why the units do not fit the rest of the config (field and message), or nil: an
    /// array's own condition (`ArrayModel.problem`), or a sign codebook without an fsb unit.
    var problem: (field: String, message: String)? {
        for unit in units {
            if let problem = unit.kind.model.problem(in: self) { return problem }
        }
        if signCodebook != nil, !units.contains(where: { $0.kind.model.usesFixedSigns }) {
            return ("signCodebook", "only applies to an accelerator with an fsb unit, got units \(unitsDescription)")
        }
        return nil
    }

    /// `"fsb 32x32 + mac 16x16"`.
    public var unitsDescription: String { units.map(\.description).joined(separator: " + ") }

    /// The unit that runs `layer`: the first in `units` whose array runs the layer's weight
    /// encoding; a layer without one (a topology layer) runs on the main unit. Nil when no
    /// unit runs it.
    public func unit(running layer: LayerShape) -> Unit? {
        guard let encoding = layer.weights else { return units[0] }
        return units.first { $0.kind.model.runs(encoding) }
    }

    /// The one-line error for a layer no unit runs.
    func noUnitMessage(_ layer: LayerShape) -> String {
        "layer \(layer.name): method \(layer.method ?? "-") (\(layer.weights?.name ?? "-") weights) has no unit on \(name) "
            + "(units: \(unitsDescription)); add a \"mac\" unit, which runs every method"
    }

    /// The sign-codebook size that applies to `layer` on the fsb array of this accelerator
    /// (nil without an fsb array, or when the size is not below `Co`: see `FSBArray.codebook`).
    public func codebook(for layer: LayerShape) -> Int? {
        guard units.contains(where: { $0.kind.model.usesFixedSigns }) else { return nil }
        return FSBArray.codebook(for: layer, config: self)
    }
}
