import FSBCore

/// The cost model of one kind of processing array (`MACArray`, `BWNArray`, `FSBArray`):
/// which weight encodings it runs, and per layer its passes, weight streams, stored bytes
/// and operation energies. `LayerSimulator` composes these into a `LayerReport`; the
/// formulas are documented in `docs/hardware.md`. A new kind of array is one new type
/// conforming to this protocol plus one case in `AcceleratorKind`.
///
/// Every method gets the layer with its `weights` set (a layer that names none, from a
/// SCALE-Sim topology, is given the array's `nativeEncoding`) and the array it runs on. The
/// forward and input-gradient passes are a model's operation counts and cycles on a GEMM
/// mapping; `forwardPass` and `inputGradientPass` (below) add their activation and weight
/// traffic, the same for every array.
protocol ArrayModel: Sendable {
    /// The encoding this array assumes for a layer without one (a topology layer).
    var nativeEncoding: WeightEncoding { get }
    /// Whether this array can run a layer whose weights are `encoding`.
    func runs(_ encoding: WeightEncoding) -> Bool

    /// The forward GEMM (default: `P` pixels, `Co` filters, window `Ci*K`).
    func forwardMapping(_ layer: LayerShape, on array: ArrayContext) -> SystolicMapping
    /// Operation counts and cycles of the forward pass (also the whole of inference) on `mapping`.
    func forward(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass
    /// Operation counts and cycles of the input gradient `dX = W^T * delta` on `mapping`,
    /// the GEMM `P` pixels, `Ci` filters, window `Co*K` (default: as `forward`).
    func inputGradient(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass
    /// The gradient of the trainable weight tensors, with its traffic.
    func weightGradient(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass
    /// One optimizer step and the rewrite of the deployable weights.
    func update(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass
    /// The weight side of a pass whose array reads `mapping.weightReads` weight positions;
    /// `shared`: the pass computes shared sign patterns (the forward sign convolutions).
    func weightStream(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping, shared: Bool) -> WeightStream
    /// Bytes of the deployed model of this layer.
    func modelBytes(_ layer: LayerShape, on array: ArrayContext) -> Int
    /// Trainable scalars of the layer on this array (latent weights, or factors).
    func trainableParameters(_ layer: LayerShape) -> Int
    /// Energies of one multiplication and one addition/subtraction of this array's integer
    /// datapath (fp32 arithmetic uses the fp32 entries for every array).
    func integerEnergies(_ layer: LayerShape, on array: ArrayContext, table: EnergyTable) -> (multiply: Double, addSub: Double)
    /// True for an array of fixed signs, to which the config's `signSource` and
    /// `signCodebook` apply.
    var usesFixedSigns: Bool { get }
    /// Why `config` cannot hold this array (field and message), or nil.
    func problem(in config: HardwareConfig) -> (field: String, message: String)?
    /// Extra words for the accelerator line of `summary.txt` (", signs lfsr"), or "".
    func summaryNote(_ config: HardwareConfig) -> String
}

extension ArrayModel {
    var usesFixedSigns: Bool { false }
    func problem(in config: HardwareConfig) -> (field: String, message: String)? { nil }
    func summaryNote(_ config: HardwareConfig) -> String { "" }

    func forwardMapping(_ layer: LayerShape, on array: ArrayContext) -> SystolicMapping {
        array.mapping(pixels: layer.outputPixels, filters: layer.outputChannels, window: layer.windowSize)
    }

    func inputGradient(_ layer: LayerShape, on array: ArrayContext, mapping: SystolicMapping) -> ArrayPass {
        forward(layer, on: array, mapping: mapping)
    }

    /// The forward pass with its traffic: `x` streamed against the weights, `y` written.
    func forwardPass(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let mapping = forwardMapping(layer, on: array)
        var pass = forward(layer, on: array, mapping: mapping)
        pass.addActivationWeightStreams(streamed: layer.inputElements, produced: layer.outputElements,
                                        weights: weightStream(layer, on: array, mapping: mapping, shared: true),
                                        mapping: mapping, config: array.config)
        return pass
    }

    /// The input-gradient pass with its traffic: `delta` streamed against the same
    /// weights (unshared), `dX` written.
    func inputGradientPass(_ layer: LayerShape, on array: ArrayContext) -> ArrayPass {
        let mapping = array.mapping(pixels: layer.outputPixels, filters: layer.inputChannels,
                                    window: layer.outputChannels * layer.kernelSize)
        var pass = inputGradient(layer, on: array, mapping: mapping)
        pass.addActivationWeightStreams(streamed: layer.outputElements, produced: layer.inputElements,
                                        weights: weightStream(layer, on: array, mapping: mapping, shared: false),
                                        mapping: mapping, config: array.config)
        return pass
    }
}

/// One array of an accelerator with the settings all its arrays share (dataflow, clock,
/// widths, buffers, DRAM bandwidth, sign source): what an `ArrayModel` computes with.
public struct ArrayContext: Sendable {
    public let unit: HardwareConfig.Unit
    public let config: HardwareConfig

    public init(unit: HardwareConfig.Unit, config: HardwareConfig) {
        self.unit = unit
        self.config = config
    }

    var model: any ArrayModel { unit.kind.model }
    var rows: Int { unit.arrayRows }
    var cols: Int { unit.arrayCols }
    /// `R * C`.
    public var processingElements: Int { unit.arrayRows * unit.arrayCols }

    /// The GEMM `pixels x filters`, reduction `window`, mapped on this array.
    func mapping(pixels: Int, filters: Int, window: Int) -> SystolicMapping {
        SystolicMapping(dataflow: config.dataflow, arrayRows: unit.arrayRows, arrayCols: unit.arrayCols,
                        pixels: pixels, filters: filters, window: window)
    }
}
