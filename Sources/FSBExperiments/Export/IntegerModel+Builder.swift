import FSBCore
import FSBData
import FSBHardware
import FSBNN
import Foundation

// Building an `IntegerModel` from its `InferenceGraph`: the graph's steps in order, each
// compute layer held pending until BatchNorm, ReLU or a residual fixes its epilogue, and
// activation scales calibrated by running the integer steps built so far.
extension IntegerModel {
    /// How a graph value is held while the integer steps are being built.
    enum Held {
        /// An integer tensor (the image or activations).
        case tensor(Int)
        /// A compute layer whose epilogue is not fixed yet: real value
        /// `acc * scale[o] + offset[o]` (BatchNorm composes into it).
        case pending(Pending)
        /// ResNet option A: tensor subsampled by `stride`, at channels `offset...`; only a
        /// residual sum reads it.
        case subsampled(tensor: Int, stride: Int, offset: Int)
    }

    /// A compute layer whose epilogue is not fixed yet, with its accumulators on every
    /// calibration image.
    struct Pending {
        var compute: IntegerNetwork.Compute
        var scale: [Double]
        var offset: [Double]
        /// Accumulators of each calibration image.
        var accumulators: [[Int64]]
    }

    /// Appends the integer steps of a graph one by one, running each on the calibration
    /// images as it is appended (an activation tensor's scale is the largest value they reach).
    struct Builder {
        let graph: InferenceGraph
        let widths: IntegerNetwork.Widths
        var network: IntegerNetwork
        var states: [IntegerNetwork.State]
        var held: [Held?]
        var signSources: [String: SignSource] = [:]
        var methods: [String: String] = [:]
        /// Graph step index of each value's last reader.
        var lastUse: [Int]
        var skip = Set<Int>()

        init(graph: InferenceGraph, widths: IntegerNetwork.Widths, calibration: [[UInt8]]) throws {
            self.graph = graph
            self.widths = widths
            let shape = graph.values[0].shape
            guard shape.count == 3 else { throw FSBError("integer model: the input must be an image [C, H, W], found \(shape)") }
            let offsets = graph.mean.map { Int32((255 * Double($0)).rounded()) }
            let network = IntegerNetwork(widths: widths,
                                         tensors: [.init(name: "input", shape: shape, kind: .pixels, scale: 1)],
                                         steps: [], pixelOffsets: offsets, scoresTensor: 0)
            self.network = network
            states = try calibration.map { try network.start($0) }
            held = [Held?](repeating: nil, count: graph.values.count)
            held[0] = .tensor(0)
            lastUse = [Int](repeating: -1, count: graph.values.count)
            for (index, step) in graph.steps.enumerated() {
                for input in step.inputs { lastUse[input] = index }
            }
        }

        var activationMaximum: Double { Double(QuantizedTensor.maximum(bits: widths.activationBits)) }

        mutating func build() throws {
            for (index, step) in graph.steps.enumerated() where !skip.contains(index) {
                try append(step, index: index)
                release(after: index)
            }
            guard case .pending(let last)? = held[graph.outputValue] else {
                throw FSBError("integer model: the network must end in a linear layer (its accumulators are the class scores)")
            }
            guard last.offset.allSatisfy({ $0 == 0 }), Set(last.scale).count == 1 else {
                throw FSBError("integer model: the last layer '\(last.compute.name)' is followed by a normalisation; the class scores must be its accumulators")
            }
            var compute = last.compute
            compute.epilogue = .scores
            let output = addTensor(name: compute.name, shape: graph.values[graph.outputValue].shape, kind: .scores,
                                   scale: compute.accumulatorScale)
            compute.output = output
            network.steps.append(.compute(compute))
            network.scoresTensor = output
        }

        /// Drops calibration values no later step reads (memory).
        mutating func release(after index: Int) {
            var live = Set<Int>()
            for (value, use) in lastUse.enumerated() where use > index {
                switch held[value] {
                case .tensor(let t)?, .subsampled(let t, _, _)?: live.insert(t)
                case .pending(let p)?: live.insert(p.compute.input)
                case nil: break
                }
            }
            if case .pending(let p)? = held[graph.outputValue] { live.insert(p.compute.input) }
            for t in network.tensors.indices where !live.contains(t) {
                for s in states.indices { states[s].values[t] = nil }
            }
        }

        mutating func addTensor(name: String, shape: [Int], kind: IntegerNetwork.TensorKind, scale: Double) -> Int {
            network.tensors.append(.init(name: name, shape: shape, kind: kind, scale: scale))
            for i in states.indices { states[i].values.append(nil) }
            return network.tensors.count - 1
        }

        /// Runs `body` on every calibration state, in parallel, storing what it returns.
        mutating func updateStates(_ body: (IntegerNetwork.State) throws -> IntegerNetwork.State) throws {
            let states = self.states
            self.states = try parallelMap(states.count) { try body(states[$0]) }
        }

        /// `body` of every calibration state (index, state), in parallel.
        func mapStates<T>(_ body: (Int, IntegerNetwork.State) throws -> T) throws -> [T] {
            let states = self.states
            return try parallelMap(states.count) { try body($0, states[$0]) }
        }

        func tensorOf(_ value: Int, for step: InferenceGraph.Step) throws -> Int {
            switch held[value] {
            case .tensor(let t)?: return t
            default: throw FSBError("integer model: step '\(step.name)' reads a value that is not materialised")
            }
        }

        /// The value as a tensor, requantising a pending layer (no ReLU) if needed.
        mutating func materialized(_ value: Int) throws -> Int {
            switch held[value] {
            case .tensor(let t)?: return t
            case .pending(let p)?:
                let t = try materialize(p, relu: false, residual: nil, name: p.compute.name, shape: graph.values[value].shape)
                held[value] = .tensor(t)
                return t
            case .subsampled?:
                throw FSBError("integer model: a subsampled shortcut is only read by a residual sum")
            case nil:
                throw FSBError("integer model: value \(value) (\(graph.values[value].name)) is not computed")
            }
        }

        mutating func append(_ step: InferenceGraph.Step, index: Int) throws {
            let shape = graph.values[step.output].shape
            switch step.operation {
            case .convolution, .linear, .flatten: break
            default:
                if step.inputs.contains(where: { if case .tensor(0)? = held[$0] { return true } else { return false } }) {
                    throw FSBError("integer model: step '\(step.name)' reads the image directly; only a convolution or linear layer (after a flatten) can take the raw pixels")
                }
            }
            switch step.operation {
            case .convolution(let weights, let kernel, let stride, let padding):
                let input = try materialized(step.inputs[0])
                let inputShape = graph.values[step.inputs[0]].shape
                held[step.output] = .pending(try pendingCompute(step.name, weights: weights, input: input, inputShape: inputShape,
                                                                 kernel: (kernel, kernel), stride: stride, padding: padding))
            case .linear(let weights):
                let input = try materialized(step.inputs[0])
                let features = graph.values[step.inputs[0]].shape.reduce(1, *)
                held[step.output] = .pending(try pendingCompute(step.name, weights: weights, input: input, inputShape: [features, 1, 1],
                                                                 kernel: (1, 1), stride: 1, padding: 0))
            case .batchNorm(let norm):
                guard case .pending(var p)? = held[step.inputs[0]] else {
                    throw FSBError("integer model: BatchNorm '\(step.name)' does not follow a convolution or linear layer; it has no integer form here")
                }
                for c in p.scale.indices {
                    let g = Double(norm.gamma[c]) / (Double(norm.variance[c]) + Double(norm.epsilon)).squareRoot()
                    p.scale[c] *= g
                    p.offset[c] = g * (p.offset[c] - Double(norm.mean[c])) + Double(norm.beta[c])
                }
                held[step.output] = .pending(p)
            case .relu:
                switch held[step.inputs[0]] {
                case .pending(let p)?:
                    held[step.output] = .tensor(try materialize(p, relu: true, residual: nil, name: step.name, shape: shape))
                default:
                    throw FSBError("integer model: ReLU '\(step.name)' does not follow a layer, BatchNorm or residual sum")
                }
            case .maxPool(let kernel, let stride):
                let input = try materialized(step.inputs[0])
                let output = addTensor(name: step.name, shape: shape, kind: .activation, scale: network.tensors[input].scale)
                network.steps.append(.maxPool(name: step.name, input: input, output: output, kernel: kernel, stride: stride))
                try runLast()
                held[step.output] = .tensor(output)
            case .averagePool(let kernel, let stride):
                held[step.output] = .tensor(try averagePool(step, kernel: (kernel, kernel), stride: stride))
            case .globalAveragePool:
                let inputShape = graph.values[step.inputs[0]].shape
                held[step.output] = .tensor(try averagePool(step, kernel: (inputShape[1], inputShape[2]), stride: 1))
            case .flatten:
                held[step.output] = .tensor(try materialized(step.inputs[0]))
            case .paddedSubsample(let stride, let offset, _):
                held[step.output] = .subsampled(tensor: try materialized(step.inputs[0]), stride: stride, offset: offset)
            case .add:
                try appendAdd(step, index: index)
            }
        }

        /// Runs the last appended step on every calibration image.
        mutating func runLast() throws {
            let network = self.network
            let index = network.steps.count - 1
            try updateStates { state in
                var state = state
                try network.run(step: index, &state)
                return state
            }
        }

        mutating func averagePool(_ step: InferenceGraph.Step, kernel: (Int, Int), stride: Int) throws -> Int {
            let input = try materialized(step.inputs[0])
            let inputScale = network.tensors[input].scale
            let window = Double(kernel.0 * kernel.1)
            let output = addTensor(name: step.name, shape: graph.values[step.output].shape, kind: .activation, scale: 1)
            // Calibrate on the window sums (rescale 1/1 placeholder), then fix the scale.
            network.steps.append(.avgPool(name: step.name, input: input, output: output, kernelHeight: kernel.0,
                                          kernelWidth: kernel.1, stride: stride, rescale: .init(multiplier: 1, shift: 0)))
            let network = self.network
            let largest = try mapStates { _, state in
                network.pool(input: input, kernelHeight: kernel.0, kernelWidth: kernel.1, stride: stride, state: state,
                             maximum: false).reduce(0) { max($0, abs(Double($1))) } * inputScale / window
            }
            let scale = outputScale(largest.max() ?? 0)
            guard let rescale = IntegerNetwork.Rescale.approximating(inputScale / (window * scale)) else {
                throw FSBError("integer model: '\(step.name)': requantisation factor out of range")
            }
            self.network.tensors[output].scale = scale
            self.network.steps[self.network.steps.count - 1] = .avgPool(
                name: step.name, input: input, output: output, kernelHeight: kernel.0, kernelWidth: kernel.1, stride: stride,
                rescale: rescale)
            try runLast()
            return output
        }

        /// The activation scale for a largest |value| of `maximum`.
        func outputScale(_ maximum: Double) -> Double {
            maximum > 0 && maximum.isFinite ? maximum / activationMaximum : 1
        }

        func isPending(_ value: Int) -> Bool {
            if case .pending? = held[value] { return true }
            return false
        }

        mutating func appendAdd(_ step: InferenceGraph.Step, index: Int) throws {
            // A ReLU right after, reading only the sum, is fused.
            var relu = false
            var name = step.name
            var outputValue = step.output
            if index + 1 < graph.steps.count, case .relu = graph.steps[index + 1].operation,
               graph.steps[index + 1].inputs == [step.output], lastUse[step.output] == index + 1 {
                relu = true
                skip.insert(index + 1)
                name = graph.steps[index + 1].name
                outputValue = graph.steps[index + 1].output
            }
            let shape = graph.values[step.output].shape
            var (a, b) = (step.inputs[0], step.inputs[1])
            if isPending(b) && !isPending(a) { swap(&a, &b) }
            if case .pending(let main)? = held[a] {
                // The residual: a tensor (identity), a subsampled tensor (option A) or a
                // pending projection (option B), materialised first.
                let residualTensor: Int, stride: Int, offset: Int
                switch held[b] {
                case .subsampled(let t, let s, let o)?: (residualTensor, stride, offset) = (t, s, o)
                default: (residualTensor, stride, offset) = (try materialized(b), 1, 0)
                }
                let residual = IntegerNetwork.Residual(tensor: residualTensor, rescale: .init(multiplier: 1, shift: 0),
                                                       stride: stride, channelOffset: offset)
                held[outputValue] = .tensor(try materialize(main, relu: relu, residual: residual, name: name, shape: shape))
                if outputValue != step.output { held[step.output] = held[outputValue] }
                return
            }
            let ta = try materialized(a), tb = try materialized(b)
            let sa = network.tensors[ta].scale, sb = network.tensors[tb].scale
            var largest = [Double](repeating: 0, count: states.count)
            let count = network.tensors[ta].count
            for (i, state) in states.enumerated() {
                let va = state.values[ta]!, vb = state.values[tb]!
                var m: Double = 0
                for j in 0..<count {
                    var y = Double(va[j]) * sa + Double(vb[j]) * sb
                    if relu { y = max(y, 0) }
                    m = max(m, abs(y))
                }
                largest[i] = m
            }
            let scale = outputScale(largest.max() ?? 0)
            guard let ra = IntegerNetwork.Rescale.approximating(sa / scale), let rb = IntegerNetwork.Rescale.approximating(sb / scale) else {
                throw FSBError("integer model: '\(step.name)': requantisation factor out of range")
            }
            let output = addTensor(name: name, shape: shape, kind: .activation, scale: scale)
            network.steps.append(.add(name: name, inputs: (ta, tb), output: output, rescales: (ra, rb), relu: relu))
            try runLast()
            held[outputValue] = .tensor(output)
            if outputValue != step.output { held[step.output] = held[outputValue] }
        }

        /// Fixes the epilogue of a pending layer from the calibration images (scale of the
        /// output: the largest |real value|, after ReLU and residual) and appends it.
        mutating func materialize(_ pending: Pending, relu: Bool, residual: IntegerNetwork.Residual?, name: String,
                                  shape: [Int]) throws -> Int {
            var compute = pending.compute
            let output = addTensor(name: name, shape: shape, kind: .activation, scale: 1)
            compute.output = output
            let co = compute.outputChannels
            let network = self.network
            let residualScale = residual.map { network.tensors[$0.tensor].scale } ?? 0
            // The largest |real value| (with the residual, after ReLU) over the calibration images.
            let accumulators = pending.accumulators
            let largest = try mapStates { i, state -> Double in
                let acc = accumulators[i]
                let plane = acc.count / co
                let residualValues = residual.map { network.residualValues($0, compute: compute, state: state) }
                var m: Double = 0
                for o in 0..<co {
                    for p in 0..<plane {
                        var y = Double(acc[o * plane + p]) * pending.scale[o] + pending.offset[o]
                        if let residualValues { y += Double(residualValues[o * plane + p]) * residualScale }
                        if relu { y = max(y, 0) }
                        m = max(m, abs(y))
                    }
                }
                return m
            }
            let scale = outputScale(largest.max() ?? 0)
            var rescales: [IntegerNetwork.Rescale] = []
            for o in 0..<co {
                guard let r = IntegerNetwork.Rescale.approximating(pending.scale[o] / scale, offset: pending.offset[o] / scale) else {
                    throw FSBError("integer model: layer '\(compute.name)' channel \(o): requantisation factor \(pending.scale[o] / scale) out of range")
                }
                rescales.append(r)
            }
            var finalResidual = residual
            if var r = residual {
                guard let rescale = IntegerNetwork.Rescale.approximating(residualScale / scale) else {
                    throw FSBError("integer model: '\(name)': residual requantisation factor out of range")
                }
                r.rescale = rescale
                finalResidual = r
            }
            compute.epilogue = .requantize(rescale: rescales, residual: finalResidual, relu: relu)
            self.network.tensors[output].scale = scale
            self.network.steps.append(.compute(compute))
            let finalNetwork = self.network
            let outputs = try mapStates { i, state in finalNetwork.finish(compute, accumulators: accumulators[i], state: state) }
            for i in states.indices { states[i].values[output] = outputs[i] }
            return output
        }

        /// The integer form of a Conv2D/Linear step reading tensor `input`, run on the
        /// calibration images; its epilogue is fixed later.
        mutating func pendingCompute(_ name: String, weights: InferenceGraph.ComputeWeights, input: Int, inputShape: [Int],
                                     kernel: (Int, Int), stride: Int, padding: Int) throws -> Pending {
            let method = weights.method.name
            methods[name] = method
            let what = weights.effective
            let co = what.shape[0]
            var ci = inputShape[0]
            var kernelShape = kernel
            var shape = inputShape
            let k = kernel.0 * kernel.1
            var w = what.storage.map(Double.init)
            var bias = (weights.bias?.storage ?? [Float](repeating: 0, count: co)).map(Double.init)
            let inputInfo = network.tensors[input]
            let fromPixels = inputInfo.kind == .pixels
            // Image channel of each input position (for the folded normalisation).
            let pixelPlane = inputInfo.plane
            // A linear layer reads the flattened image: feature f is in channel f / (H*W).
            let isLinear = inputShape.count == 3 && inputShape[1] == 1 && inputShape[2] == 1 && kernel == (1, 1)
                && fromPixels && inputInfo.shape.count == 3 && inputInfo.plane > 1
            func imageChannel(_ i: Int) -> Int { isLinear ? i / pixelPlane : i }
            var inputScalePerChannel = [Double](repeating: 1, count: ci)
            if fromPixels {
                // n = (x - f_c) / (255 std_c), x = p - offset_c, f_c = 255 mean_c - offset_c.
                let std = graph.std.map(Double.init), mean = graph.mean.map(Double.init)
                let offsets = network.pixelOffsets.map(Double.init)
                for i in 0..<ci {
                    let c = imageChannel(i)
                    inputScalePerChannel[i] = 1 / (255 * std[c])
                }
                for o in 0..<co {
                    for i in 0..<ci {
                        let c = imageChannel(i)
                        let f = 255 * mean[c] - offsets[c]
                        for j in 0..<k {
                            let index = (o * ci + i) * k + j
                            w[index] *= inputScalePerChannel[i]
                            bias[o] -= w[index] * f
                        }
                    }
                }
            }
            let inputScale = Float(inputInfo.scale)
            let kernelKind: IntegerNetwork.Kernel
            let accumulatorScale: Float
            let quantizedBias: [Int64]
            let accumulatorLow = Double(QuantizedTensor.minimum(bits: widths.accumulatorBits))
            let accumulatorHigh = Double(QuantizedTensor.maximum(bits: widths.accumulatorBits))
            func quantize(_ bias: [Double], scale: Float) -> [Int64] {
                bias.map { Int64(max(accumulatorLow, min(accumulatorHigh, (Double(Float($0)) / Double(scale)).rounded()))) }
            }
            let floats = { (values: [Double]) in values.map(Float.init) }
            /// Dense weights as `weightBits` multiply-accumulates (power-of-two scale per tensor).
            func multiplyAccumulateForm() -> (IntegerNetwork.Kernel, Float, [Int64]) {
                let q = QuantizedTensor.quantize(Tensor(shape: [w.count], storage: floats(w)), bits: widths.weightBits)
                let scale = inputScale * q.scale
                return (.multiplyAccumulate(weights: q.values.map { Int32($0) }), scale, quantize(bias, scale: scale))
            }
            /// `factors` quantized to `factorBits` (power-of-two scale), the accumulator scale
            /// and the bias at it.
            func quantizedFactors(_ factors: [Float]) -> ([Int32], Float, [Int64]) {
                let q = QuantizedTensor.quantize(Tensor(shape: [factors.count], storage: factors), bits: widths.factorBits)
                let scale = inputScale * q.scale
                return (q.values.map { Int32($0) }, scale, quantize(bias, scale: scale))
            }
            let perChannel = fromPixels && Set(inputScalePerChannel).count > 1
            /// A linear layer on the flattened multi-channel image as a convolution whose
            /// kernel is the whole image, so that its slices are the image channels.
            func linearAsImageConvolution() {
                let image = inputInfo.shape
                shape = image
                ci = image[0]
                kernelShape = (image[1], image[2])
            }
            switch method {
            case "fp":
                (kernelKind, accumulatorScale, quantizedBias) = multiplyAccumulateForm()
            case "bwn", "binaryconnect":
                let signs = what.storage.map { $0 < 0 ? Int8(-1) : Int8(1) }
                // alpha[o] (bwn: |What[o, *]|, binaryconnect: 1), with the normalisation's
                // 1 / (255 std_c) when reading the image.
                var alpha = [Double](repeating: 1, count: co)
                if method == "bwn" { for o in 0..<co { alpha[o] = Double(abs(what.storage[o * ci * k])) } }
                if perChannel {
                    // One factor per (output, image channel): the FSB datapath form. A linear
                    // layer on the flattened image becomes a convolution with an image-sized
                    // kernel, whose slices are the image channels.
                    if isLinear { linearAsImageConvolution() }
                    let signShape = [co, ci, kernelShape.0, kernelShape.1]
                    let factors = (0..<(co * ci)).map { Float(alpha[$0 / ci] / (255 * Double(graph.std[$0 % ci]))) }
                    let datapath = try FixedPointDatapath(
                        signs: Tensor(shape: signShape, storage: signs.map(Float.init)),
                        factors: Tensor(shape: [co, ci], storage: factors),
                        bias: Tensor(shape: [co], storage: floats(bias)), stride: stride, padding: padding,
                        widths: widths.datapath)
                    accumulatorScale = inputScale * datapath.factors.scale
                    quantizedBias = datapath.quantizedBias(scale: accumulatorScale)
                    kernelKind = .fsb(datapath, shared: false)
                } else {
                    let factors = alpha.map { Float($0 * inputScalePerChannel[0]) }
                    let q = method == "binaryconnect" && !fromPixels
                        ? QuantizedTensor.quantize(Tensor(shape: [co], storage: factors), bits: widths.factorBits, scale: 1)
                        : QuantizedTensor.quantize(Tensor(shape: [co], storage: factors), bits: widths.factorBits)
                    accumulatorScale = inputScale * q.scale
                    quantizedBias = quantize(bias, scale: accumulatorScale)
                    kernelKind = .signs(signs: signs, factors: q.values.map { Int32($0) })
                }
            case "fsb":
                let parameterization = weights.parameterization
                guard let signTensor = parameterization.signs else {
                    throw FSBError("layer '\(name)': fsb layer without signs")
                }
                if let options = parameterization.fsbOptions, options.granularity == .element, k > 1 {
                    // One factor per weight: the weights A*S are dense, so multiply-
                    // accumulates (as the simulator runs such a layer on its MAC unit).
                    (kernelKind, accumulatorScale, quantizedBias) = multiplyAccumulateForm()
                    break
                }
                // The slice factor A[o,i] = What[o,i,0] * S[o,i,0] (exact: S = +-1), with the
                // normalisation folded in when reading the image.
                var factors = [Float](repeating: 0, count: co * ci)
                for slice in 0..<(co * ci) {
                    factors[slice] = Float(w[slice * k] * Double(signTensor.storage[slice * k]))
                }
                let datapath = try FixedPointDatapath(
                    signs: signTensor.reshaped([co, ci, kernel.0, kernel.1]), factors: Tensor(shape: [co, ci], storage: factors),
                    bias: Tensor(shape: [co], storage: floats(bias)), stride: stride, padding: padding, widths: widths.datapath)
                accumulatorScale = inputScale * datapath.factors.scale
                quantizedBias = datapath.quantizedBias(scale: accumulatorScale)
                let codebook = parameterization.fsbOptions?.signCodebook
                kernelKind = .fsb(datapath, shared: codebook != nil && k > 1)
                if let fsb = parameterization as? FSBWeight, fsb.signsRegeneratedFromSeed {
                    signSources[name] = SignSource(seed: fsb.layout.seed, stream: fsb.layout.signStream,
                                                   codebook: k > 1 ? codebook : nil)
                }
            case "twn":
                // Ternary codes t (What = alpha[o] * t) and alpha[o] = max |What[o, *]| (0 for
                // an all-zero filter), with the normalisation's 1 / (255 std_c) when reading
                // the image: like bwn, with the zero weights skipped.
                let codes = what.storage.map { $0 > 0 ? Int8(1) : ($0 < 0 ? Int8(-1) : Int8(0)) }
                let fanIn = what.count / co
                let alpha = (0..<co).map { o in
                    Double((0..<fanIn).reduce(Float(0)) { max($0, abs(what.storage[o * fanIn + $1])) })
                }
                let factors: [Int32]
                if perChannel {
                    if isLinear { linearAsImageConvolution() }
                    (factors, accumulatorScale, quantizedBias) = quantizedFactors(
                        (0..<(co * ci)).map { Float(alpha[$0 / ci] / (255 * Double(graph.std[$0 % ci]))) })
                } else {
                    (factors, accumulatorScale, quantizedBias) = quantizedFactors(alpha.map { Float($0 * inputScalePerChannel[0]) })
                }
                kernelKind = .ternary(codes: codes, factors: factors, perSlice: perChannel)
            default:
                throw FSBError("layer '\(name)': method \(method) has no integer form (the C export takes fp, bwn, binaryconnect, fsb and twn)")
            }
            let compute = IntegerNetwork.Compute(
                name: name, method: method, input: input, output: -1, kernel: kernelKind, outputChannels: co, inputChannels: ci,
                inputShape: shape, kernelHeight: kernelShape.0, kernelWidth: kernelShape.1, stride: stride, padding: padding,
                bias: quantizedBias, epilogue: .scores, accumulatorScale: Double(accumulatorScale))
            let network = self.network
            let accumulators = try mapStates { _, state -> [Int64] in
                var state = state
                return try network.accumulate(compute, state: &state)
            }
            return Pending(compute: compute, scale: [Double](repeating: Double(accumulatorScale), count: co),
                           offset: [Double](repeating: 0, count: co), accumulators: accumulators)
        }
    }
}
