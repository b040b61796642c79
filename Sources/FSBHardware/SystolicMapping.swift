/// The mapping of a GEMM `out[pixels, filters] = in[pixels, window] x w[window, filters]`
/// onto an `arrayRows x arrayCols` systolic array, with SCALE-Sim 3's cycle model.
///
/// Per dataflow the GEMM dimensions land on (spatial rows `Sr`, spatial columns `Sc`,
/// temporal `T`):
///
/// | dataflow | Sr | Sc | T | cycles per fold |
/// | --- | --- | --- | --- | --- |
/// | os | pixels | filters | window | `T + R + C - 2` |
/// | ws | window | filters | pixels | `T + 2R + C - 2` |
/// | is | window | pixels | filters | `T + 2R + C - 2` |
///
/// with `ceil(Sr/R) * ceil(Sc/C)` folds run one after the other (each fold fills the
/// skewed pipeline and drains before the next starts; ws/is also spend `R` cycles loading
/// the stationary operand). These are the row counts of SCALE-Sim's demand matrices
/// (`compute/systolic_compute_{os,ws,is}.py`), i.e. its compute cycles as a count;
/// SCALE-Sim *reports* "Total Cycles" as the index of the last cycle, one less.
public struct SystolicMapping: Equatable, Sendable {
    public let dataflow: Dataflow
    public let arrayRows: Int
    public let arrayCols: Int
    /// GEMM rows (output pixels), columns (filters) and reduction depth (window).
    public let pixels: Int
    public let filters: Int
    public let window: Int

    public init(dataflow: Dataflow, arrayRows: Int, arrayCols: Int, pixels: Int, filters: Int, window: Int) {
        self.dataflow = dataflow
        self.arrayRows = arrayRows
        self.arrayCols = arrayCols
        self.pixels = pixels
        self.filters = filters
        self.window = window
    }

    /// `(Sr, Sc, T)` of the table above.
    public var spatialRows: Int {
        dataflow == .outputStationary ? pixels : window
    }
    public var spatialCols: Int {
        dataflow == .inputStationary ? pixels : filters
    }
    public var temporal: Int {
        switch dataflow {
        case .outputStationary: return window
        case .weightStationary: return pixels
        case .inputStationary: return filters
        }
    }

    /// `ceil(Sr / R)`.
    public var rowFolds: Int { ceilDiv(spatialRows, arrayRows) }
    /// `ceil(Sc / C)`.
    public var colFolds: Int { ceilDiv(spatialCols, arrayCols) }
    /// Number of folds.
    public var folds: Int { rowFolds * colFolds }

    /// Cycles of one fold (table above).
    public var cyclesPerFold: Int {
        switch dataflow {
        case .outputStationary: return temporal + arrayRows + arrayCols - 2
        case .weightStationary, .inputStationary: return temporal + 2 * arrayRows + arrayCols - 2
        }
    }

    /// Compute cycles of the whole GEMM: `folds * cyclesPerFold` (SCALE-Sim's count).
    public var computeCycles: Int { folds * cyclesPerFold }

    /// Reads of the streamed/stationary input operand (`in`) from its SRAM, in elements,
    /// as SCALE-Sim counts them: os and ws re-stream the inputs once per filter fold
    /// (`pixels * window * ceil(filters / C)`); is loads every input once.
    public var inputReads: Int {
        switch dataflow {
        case .outputStationary, .weightStationary: return pixels * window * ceilDiv(filters, arrayCols)
        case .inputStationary: return pixels * window
        }
    }

    /// Reads of the weight operand (`w`) in elements: os re-streams the filters once per
    /// pixel fold, ws loads each weight once, is re-streams once per pixel fold.
    public var weightReads: Int {
        switch dataflow {
        case .outputStationary: return window * filters * ceilDiv(pixels, arrayRows)
        case .weightStationary: return window * filters
        case .inputStationary: return window * filters * ceilDiv(pixels, arrayCols)
        }
    }

    /// How many partial sums of each output leave the array: 1 for os (accumulated in the
    /// PE); `ceil(window / R)` for ws/is, whose reduction is split over row folds.
    public var partialSumsPerOutput: Int {
        dataflow == .outputStationary ? 1 : rowFolds
    }

    /// How many times the weights must be re-fetched from DRAM when they do not fit in
    /// their buffer: once per pixel fold for os and is, once for ws (each weight is loaded
    /// into the array exactly once).
    public var weightRefetchFactor: Int {
        switch dataflow {
        case .outputStationary: return ceilDiv(pixels, arrayRows)
        case .weightStationary: return 1
        case .inputStationary: return ceilDiv(pixels, arrayCols)
        }
    }

    /// How many times the inputs must be re-fetched from DRAM when they do not fit: once
    /// per filter fold for os and ws, once for is.
    public var inputRefetchFactor: Int {
        dataflow == .inputStationary ? 1 : ceilDiv(filters, arrayCols)
    }
}

/// `ceil(a / b)` for positive `b`.
@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
