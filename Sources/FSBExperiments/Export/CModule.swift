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

    public var header: String
    public var source: String
    /// Bytes of the activation arena (`fsb_act_t` elements times their size).
    public var arenaBytes: Int
    /// Bytes of the other scratch buffers (accumulator planes, codebook sums, scores).
    public var scratchBytes: Int
    /// Bytes of the updatable parameters and of the constant sign data.
    public var parameterBytes: Int
    public var signBytes: Int
    public var identity: UInt64

    public init(model: IntegerModel, signs: SignStorage, origin: String) throws {
        let layout = CModuleLayout(model)
        let network = model.network
        for c in model.computes {
            let bound = network.productBound(c)
            if bound >= network.accumulatorLimit {
                throw FSBError("layer '\(c.name)': its sums can reach \(bound), beyond \(network.widths.accumulatorBits)-bit accumulators; the C module needs accumulators that cannot overflow (wider accumulators or narrower operands)")
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
        var generator = Generator(model: model, layout: layout, signs: signs, origin: origin)
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

extension CModule {
    fileprivate struct Generator {
        let model: IntegerModel
        let network: IntegerNetwork
        let layout: CModuleLayout
        let signs: SignStorage
        let origin: String
        var header = ""
        var source = ""
        var arenaElements = 0
        var scratchBytes = 0
        var signDataBytes = 0
        var activationBytes: Int { network.widths.activationBits <= 8 ? 1 : 2 }
        /// Arena offset of every tensor (the image and the scores live elsewhere).
        var offsets: [Int?] = []
        var accScratch = 1
        var assignScratch = 0
        var usesGenerator = false
        var usesBelow = false
        var functions: [String] = []
        var calls: [String] = []
        var constants: [String] = []

        init(model: IntegerModel, layout: CModuleLayout, signs: SignStorage, origin: String) {
            self.model = model
            network = model.network
            self.layout = layout
            self.signs = signs
            self.origin = origin
        }

        var classes: Int { network.classCount }

        mutating func generate() throws {
            allocate()
            for (index, step) in network.steps.enumerated() { try emit(step, index: index) }
            scratchBytes = scratchBytesEstimate
            header = makeHeader()
            source = makeSource()
        }

        // MARK: buffers

        /// First-fit allocation of the activation tensors in one arena, freeing each tensor
        /// after its last reader (a step's output never overlaps its inputs).
        mutating func allocate() {
            offsets = [Int?](repeating: nil, count: network.tensors.count)
            var lastUse = [Int](repeating: -1, count: network.tensors.count)
            for (index, step) in network.steps.enumerated() { for t in step.inputs { lastUse[t] = index } }
            var live: [(offset: Int, size: Int, tensor: Int)] = []
            for (index, step) in network.steps.enumerated() {
                let output = step.output
                if network.tensors[output].kind == .activation {
                    let size = network.tensors[output].count
                    var candidate = 0
                    for block in live.sorted(by: { $0.offset < $1.offset }) {
                        if candidate + size <= block.offset { break }
                        candidate = max(candidate, block.offset + block.size)
                    }
                    offsets[output] = candidate
                    arenaElements = max(arenaElements, candidate + size)
                    live.append((candidate, size, output))
                }
                // Free what this step read last, and an output nobody reads.
                live.removeAll { lastUse[$0.tensor] <= index && !($0.tensor == output && lastUse[output] > index) }
            }
            arenaElements = max(arenaElements, 1)
        }

        func pointer(_ tensor: Int) -> String {
            switch network.tensors[tensor].kind {
            case .pixels: return "pixels"
            case .scores: return "w->scores"
            case .activation: return "w->arena + \(offsets[tensor] ?? 0)"
            }
        }

        func inputType(_ tensor: Int) -> String { network.tensors[tensor].kind == .pixels ? "uint8_t" : "fsb_act_t" }

        static func identifier(_ name: String) -> String {
            String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        }

        // MARK: code pieces

        /// Row/column window of output `(r, c)` clipped to the image (no per-tap padding test).
        func window(_ axis: String, _ outVar: String, size: Int, kernel: Int, stride: Int, padding: Int) -> String {
            """
            const int \(axis)0 = \(outVar) * \(stride) - \(padding);
            const int k\(axis)0 = \(axis)0 < 0 ? -\(axis)0 : 0;
            const int k\(axis)1 = \(axis)0 + \(kernel) > \(size) ? \(size) - \(axis)0 : \(kernel);
            """
        }

        /// `x` of input element `index` (pixels minus the channel offset).
        func inputValue(_ tensor: Int, index: String, channel: String) -> String {
            network.tensors[tensor].kind == .pixels ? "((int32_t)in[\(index)] - fsb_pixel_offset[\(channel)])" : "(int32_t)in[\(index)]"
        }

        /// The epilogue of accumulator `acc` of output channel `o` at element `index`
        /// (`r`, `c` the output row/column for a subsampled residual).
        func epilogue(_ c: IntegerNetwork.Compute, acc: String, index: String, indent: String) -> String {
            guard case .requantize(_, let residual, let relu) = c.epilogue else {
                return "\(indent)out[\(index)] = \(acc);\n"
            }
            var code = "\(indent){\n\(indent)    int64_t v = fsb_rescale(\(acc), m[o], sh[o], b[o]);\n"
            if let residual, let refs = layout.computeParameters[c.name]?.residual {
                let rescale = "fsb_rescale(res[%@], \(refs.multipliers.storage.name)[\(refs.multipliers.offset)], \(refs.shifts.storage.name)[\(refs.shifts.offset)], 0)"
                let rs = network.tensors[residual.tensor].shape
                if residual.stride == 1 && residual.channelOffset == 0 && rs == network.tensors[c.output].shape {
                    code += "\(indent)    v += \(rescale.replacingOccurrences(of: "%@", with: index));\n"
                } else {
                    let element = rs.count == 3 ? "(ch * \(rs[1]) + r * \(residual.stride)) * \(rs[2]) + c * \(residual.stride)" : "ch"
                    code += "\(indent)    {\n\(indent)        const int ch = o - \(residual.channelOffset);\n"
                    code += "\(indent)        if (ch >= 0 && ch < \(rs[0])) v += \(rescale.replacingOccurrences(of: "%@", with: element));\n\(indent)    }\n"
                }
            }
            if relu { code += "\(indent)    if (v < 0) v = 0;\n" }
            code += "\(indent)    out[\(index)] = fsb_saturate(v);\n\(indent)}\n"
            return code
        }

        /// Declarations of the parameter pointers of a compute step.
        func parameterDeclarations(_ c: IntegerNetwork.Compute) -> String {
            let p = layout.computeParameters[c.name]!
            var code = ""
            if let w = p.weights { code += "    const \(w.cType) *wt = \(w.expression);\n" }
            if let f = p.factors { code += "    const \(f.cType) *fa = \(f.expression);\n" }
            code += "    const int32_t *bias = \(p.bias.expression);\n"
            if let r = p.rescale {
                code += "    const int16_t *m = \(r.multipliers.expression);\n"
                code += "    const int8_t *sh = \(r.shifts.expression);\n"
                code += "    const int64_t *b = \(r.offsets!.expression);\n"
            }
            return code
        }

        func generatorInit(_ c: IntegerNetwork.Compute) -> String {
            let source = model.signSources[c.name]!
            return "    fsb_rng g;\n    fsb_rng_init(&g, UINT64_C(\(source.seed)), \"\(source.stream)\");\n"
        }

        mutating func signSymbol(_ c: IntegerNetwork.Compute) -> String {
            let symbol = "fsb_signs_\(Self.identifier(c.name))"
            guard signs == .packed, let data = layout.signs[c.name] else { return symbol }
            let what = data.codeBits == 2 ? "ternary codes, 2 bits each (00 = 0, 01 = +1, 11 = -1)"
                : "\(data.assignment == nil ? "signs" : "\(data.patternCount) codebook patterns"), 1 bit each (1 = -1)"
            constants.append("/* \(c.name): \(what) */\nstatic const uint8_t \(symbol)[\(max(1, data.bits.count))] = {\n\(Self.list(data.bits.map(Int64.init)))\n};\n")
            signDataBytes += data.bits.count
            if let assignment = data.assignment {
                let type = data.patternCount <= 256 ? "uint8_t" : "uint16_t"
                constants.append("/* \(c.name): pattern of each kernel slice (o, i) */\nstatic const \(type) fsb_assign_\(Self.identifier(c.name))[\(assignment.count)] = {\n\(Self.list(assignment.map(Int64.init)))\n};\n")
                signDataBytes += assignment.count * (type == "uint8_t" ? 1 : 2)
            }
            return symbol
        }

        static func list(_ values: [Int64], perLine: Int = 16) -> String {
            if values.isEmpty { return "    0" }
            var lines: [String] = []
            var i = 0
            while i < values.count {
                let chunk = values[i..<min(values.count, i + perLine)]
                lines.append("    " + chunk.map { v -> String in
                    if v == Int64.min { return "INT64_MIN" }
                    if v > Int64(Int32.max) || v < Int64(Int32.min) { return "INT64_C(\(v))" }
                    if v == Int64(Int32.min) { return "INT32_MIN" }
                    return String(v)
                }.joined(separator: ", ") + ",")
                i += perLine
            }
            return lines.joined(separator: "\n")
        }

        // MARK: steps

        mutating func emit(_ step: IntegerNetwork.Step, index: Int) throws {
            let fn = "fsb_step\(index)_\(Self.identifier(step.name))"
            switch step {
            case .compute(let c):
                let shape = c.inputShape
                let outShape = network.tensors[c.output].shape
                let (oh, ow) = outShape.count == 3 ? (outShape[1], outShape[2]) : (1, 1)
                let isLinear = c.kernelSize == 1 && shape[1] == 1 && shape[2] == 1 && c.padding == 0
                let residual: IntegerNetwork.Residual?
                if case .requantize(_, let r, _) = c.epilogue { residual = r } else { residual = nil }
                let outType = c.output == network.scoresTensor ? "int32_t" : "fsb_act_t"
                var params = "const \(inputType(c.input)) *in, \(outType) *out"
                var args = "\(pointer(c.input)), \(pointer(c.output))"
                if let residual {
                    params += ", const fsb_act_t *res"
                    args += ", \(pointer(residual.tensor))"
                }
                var body: String
                var needsWork = false
                let what: String
                switch c.kernel {
                case .multiplyAccumulate:
                    what = "int\(network.widths.weightBits) multiply-accumulates"
                    body = isLinear ? macLinear(c) : macConvolution(c, oh: oh, ow: ow)
                    needsWork = !isLinear
                    if !isLinear { accScratch = max(accScratch, oh * ow) }
                case .signs:
                    what = "sign additions/subtractions, one multiply per output"
                    let symbol = signSymbol(c)
                    body = isLinear ? signLinear(c, symbol: symbol) : signConvolution(c, symbol: symbol, oh: oh, ow: ow)
                    needsWork = !isLinear
                    if !isLinear { accScratch = max(accScratch, oh * ow) }
                case .ternary(_, _, let perSlice):
                    let symbol = signSymbol(c)
                    if isLinear {
                        what = "ternary additions/subtractions (zero weights skipped), one multiply per output"
                        body = signLinear(c, symbol: symbol, ternary: true)
                    } else if perSlice {
                        what = "ternary additions/subtractions (zero weights skipped) per input channel, one multiply per channel"
                        body = ternaryConvolution(c, symbol: symbol, oh: oh, ow: ow, perSlice: true)
                        accScratch = max(accScratch, 2 * oh * ow)
                    } else {
                        what = "ternary additions/subtractions (zero weights skipped), one multiply per output"
                        body = ternaryConvolution(c, symbol: symbol, oh: oh, ow: ow, perSlice: false)
                        accScratch = max(accScratch, oh * ow)
                    }
                    needsWork = !isLinear
                case .fsb(let datapath, let shared):
                    let symbol = signSymbol(c)
                    if shared {
                        what = "FSB datapath with a \(layout.signs[c.name]?.patternCount ?? 0)-pattern sign codebook: one sign sum per pattern, one multiply per kernel slice"
                        let n = signs == .regenerate ? (model.signSources[c.name]?.codebook ?? 1) : (layout.signs[c.name]?.patternCount ?? 1)
                        body = fsbShared(c, symbol: symbol, patterns: n, oh: oh, ow: ow)
                        accScratch = max(accScratch, c.outputChannels + n + n * c.kernelSize)
                        if signs == .regenerate { assignScratch = max(assignScratch, c.outputChannels * c.inputChannels) }
                    } else if isLinear {
                        what = "FSB datapath (1x1: one multiply per weight)"
                        body = fsbLinear(c, symbol: symbol)
                    } else {
                        what = "FSB datapath: sign sums per kernel slice, one multiply per slice"
                        body = fsbConvolution(c, symbol: symbol, oh: oh, ow: ow)
                        accScratch = max(accScratch, 2 * oh * ow)
                    }
                    _ = datapath
                    needsWork = !isLinear
                }
                if needsWork {
                    params += ", fsb_work *w"
                    args += ", w"
                }
                let geometry = isLinear ? "\(shape[0]) -> \(c.outputChannels)"
                    : "\(shape.map(String.init).joined(separator: "x")) -> \(outShape.map(String.init).joined(separator: "x")), \(c.kernelHeight)x\(c.kernelWidth) kernel, stride \(c.stride), padding \(c.padding)"
                functions.append("/* \(c.name) (\(c.method)): \(what); \(geometry) */\nstatic void \(fn)(\(params)) {\n\(body)}\n")
                calls.append("    \(fn)(\(args));")
            case .maxPool(_, let input, let output, let kernel, let stride):
                let s = network.tensors[input].shape, o = network.tensors[output].shape
                functions.append("""
                /* \(step.name): max pooling \(kernel)x\(kernel), stride \(stride) */
                static void \(fn)(const fsb_act_t *in, fsb_act_t *out) {
                    int ch, r, c, i, j;
                    for (ch = 0; ch < \(o[0]); ++ch)
                        for (r = 0; r < \(o[1]); ++r)
                            for (c = 0; c < \(o[2]); ++c) {
                                fsb_act_t v = in[(ch * \(s[1]) + r * \(stride)) * \(s[2]) + c * \(stride)];
                                for (i = 0; i < \(kernel); ++i)
                                    for (j = 0; j < \(kernel); ++j) {
                                        const fsb_act_t x = in[(ch * \(s[1]) + r * \(stride) + i) * \(s[2]) + c * \(stride) + j];
                                        if (x > v) v = x;
                                    }
                                out[(ch * \(o[1]) + r) * \(o[2]) + c] = v;
                            }
                }

                """)
                calls.append("    \(fn)(\(pointer(input)), \(pointer(output)));")
            case .avgPool(let name, let input, let output, let kh, let kw, let stride, _):
                let s = network.tensors[input].shape
                let outH = (s[1] - kh) / stride + 1, outW = (s[2] - kw) / stride + 1
                let r = layout.stepRescales[name]!
                functions.append("""
                /* \(step.name): average pooling \(kh)x\(kw), stride \(stride): window sum, then rescale */
                static void \(fn)(const fsb_act_t *in, fsb_act_t *out) {
                    const int32_t m = \(r.multipliers.storage.name)[\(r.multipliers.offset)];
                    const int sh = \(r.shifts.storage.name)[\(r.shifts.offset)];
                    int ch, r, c, i, j;
                    for (ch = 0; ch < \(s[0]); ++ch)
                        for (r = 0; r < \(outH); ++r)
                            for (c = 0; c < \(outW); ++c) {
                                int32_t sum = 0;
                                for (i = 0; i < \(kh); ++i)
                                    for (j = 0; j < \(kw); ++j)
                                        sum += in[(ch * \(s[1]) + r * \(stride) + i) * \(s[2]) + c * \(stride) + j];
                                out[(ch * \(outH) + r) * \(outW) + c] = fsb_saturate(fsb_rescale(sum, m, sh, 0));
                            }
                }

                """)
                calls.append("    \(fn)(\(pointer(input)), \(pointer(output)));")
            case .add(let name, let inputs, let output, _, let relu):
                let a = layout.stepRescales[name + ".a"]!, b = layout.stepRescales[name + ".b"]!
                let count = network.tensors[output].count
                functions.append("""
                /* \(step.name): residual sum of two tensors, each rescaled to the output scale\(relu ? ", then ReLU" : "") */
                static void \(fn)(const fsb_act_t *x, const fsb_act_t *y, fsb_act_t *out) {
                    int j;
                    for (j = 0; j < \(count); ++j) {
                        int64_t v = fsb_rescale(x[j], \(a.multipliers.storage.name)[\(a.multipliers.offset)], \(a.shifts.storage.name)[\(a.shifts.offset)], 0)
                                  + fsb_rescale(y[j], \(b.multipliers.storage.name)[\(b.multipliers.offset)], \(b.shifts.storage.name)[\(b.shifts.offset)], 0);
                \(relu ? "        if (v < 0) v = 0;\n" : "")        out[j] = fsb_saturate(v);
                    }
                }

                """)
                calls.append("    \(fn)(\(pointer(inputs.0)), \(pointer(inputs.1)), \(pointer(output)));")
            }
        }

        // MARK: kernels

        /// Output rows (columns) `lo..<hi` whose input row `r * stride - padding + k` is inside
        /// `0..<size`, for each kernel row `k`: `{lo0, hi0, lo1, hi1, ...}` (empty: `lo = hi`).
        static func tapRanges(size: Int, outputs: Int, kernel: Int, stride: Int, padding: Int) -> [Int] {
            (0..<kernel).flatMap { k -> [Int] in
                // r * stride >= padding - k  and  r * stride <= size - 1 + padding - k
                let lowNumerator = padding - k
                let lo = max(0, lowNumerator <= 0 ? 0 : (lowNumerator + stride - 1) / stride)
                let highNumerator = size - 1 + padding - k
                let hi = highNumerator < 0 ? 0 : min(outputs, highNumerator / stride + 1)
                return [lo, max(lo, hi)]
            }
        }

        /// `static const` tables of the tap ranges of `c` (see `tapRanges`).
        func tapTables(_ c: IntegerNetwork.Compute, oh: Int, ow: Int) -> String {
            let s = c.inputShape
            let rows = Self.tapRanges(size: s[1], outputs: oh, kernel: c.kernelHeight, stride: c.stride, padding: c.padding)
            let cols = Self.tapRanges(size: s[2], outputs: ow, kernel: c.kernelWidth, stride: c.stride, padding: c.padding)
            return """
                /* per kernel row (column): the output rows (columns) lo..hi-1 whose tap is inside the input */
                static const int16_t rows[\(rows.count)] = { \(rows.map(String.init).joined(separator: ", ")) };
                static const int16_t cols[\(cols.count)] = { \(cols.map(String.init).joined(separator: ", ")) };

            """
        }

        /// Loops over the kernel taps `(kr, kc)` of input channel `i`: `perTap` (sets up the
        /// tap's weight or sign), then for every output pixel the tap reaches, `update` with
        /// `X` the input value and `P` the output row pointer's element `[c]`.
        func tapLoop(_ c: IntegerNetwork.Compute, ow: Int, plane: String, perTap: String, update: (String) -> String) -> String {
            let s = c.inputShape
            let x = inputValue(c.input, index: "base + c * \(c.stride)", channel: "i")
            return """
                        for (kr = 0; kr < \(c.kernelHeight); ++kr)
                            for (kc = 0; kc < \(c.kernelWidth); ++kc) {
                                const int c0 = cols[2 * kc], c1 = cols[2 * kc + 1];
            \(perTap)
                                for (r = rows[2 * kr]; r < rows[2 * kr + 1]; ++r) {
                                    const int base = (i * \(s[1]) + r * \(c.stride) - \(c.padding) + kr) * \(s[2]) - \(c.padding) + kc;
                                    int32_t *pr = \(plane) + r * \(ow);
            \(update(x))
                                }
                            }

            """
        }

        /// The sign of tap `(kr, kc)` of slice `(o, i)`: `neg` is 1 for -1.
        mutating func tapSign(_ c: IntegerNetwork.Compute, symbol: String) -> String {
            if signs == .regenerate {
                return "                    const int neg = (int)(fsb_rng_next(&g) >> 63);"
            }
            return """
                                const uint32_t j = (uint32_t)(((o * \(c.inputChannels) + i) * \(c.kernelHeight) + kr) * \(c.kernelWidth) + kc);
                                const int neg = (\(symbol)[j >> 3] >> (j & 7)) & 1;
            """
        }

        /// `pr[c] += x` or `-= x` by the tap's sign, over the reached columns.
        static func signedUpdate(_ x: String) -> String {
            """
                                    if (neg) { for (c = c0; c < c1; ++c) pr[c] -= \(x); }
                                    else { for (c = c0; c < c1; ++c) pr[c] += \(x); }
            """
        }

        func epilogueLoop(_ c: IntegerNetwork.Compute, oh: Int, ow: Int, value: String) -> String {
            """
                    for (r = 0; r < \(oh); ++r)
                        for (c = 0; c < \(ow); ++c) {
                            const int32_t total = \(value);

            """ + epilogue(c, acc: "total", index: "(o * \(oh) + r) * \(ow) + c", indent: "                ") + "            }\n"
        }

        /// fp: per output channel an accumulator plane; per input channel and tap, every
        /// reached output pixel adds weight * input.
        func macConvolution(_ c: IntegerNetwork.Compute, oh: Int, ow: Int) -> String {
            parameterDeclarations(c) + tapTables(c, oh: oh, ow: ow) + """
                int32_t *acc = w->acc;
                int o, i, kr, kc, r, c, p;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    for (p = 0; p < \(oh * ow); ++p) acc[p] = bias[o];
                    for (i = 0; i < \(c.inputChannels); ++i) {

            """ + tapLoop(c, ow: ow, plane: "acc", perTap: "                    const int32_t wv = wt[((o * \(c.inputChannels) + i) * \(c.kernelHeight) + kr) * \(c.kernelWidth) + kc];",
                          update: { "                        for (c = c0; c < c1; ++c) pr[c] += wv * \($0);" }) + """
                    }

            """ + epilogueLoop(c, oh: oh, ow: ow, value: "acc[r * \(ow) + c]") + "    }\n"
        }

        func pixelChannel(_ c: IntegerNetwork.Compute, _ f: String) -> String {
            network.tensors[c.input].kind == .pixels ? "\(f) / \(network.tensors[c.input].plane)" : "0"
        }

        func macLinear(_ c: IntegerNetwork.Compute) -> String {
            let f = c.inputShape[0]
            return parameterDeclarations(c) + """
                int o, f;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    const int wbase = o * \(f);
                    int32_t acc = bias[o];
                    for (f = 0; f < \(f); ++f) acc += (int32_t)wt[wbase + f] * \(inputValue(c.input, index: "f", channel: pixelChannel(c, "f")));

            """ + epilogue(c, acc: "acc", index: "o", indent: "        ") + "    }\n"
        }

        /// bwn/binaryconnect linear layer: sign additions/subtractions, one multiply per
        /// output; `ternary` (twn): 2-bit codes, the zero weights skipped.
        func signLinear(_ c: IntegerNetwork.Compute, symbol: String, ternary: Bool = false) -> String {
            let f = c.inputShape[0]
            let x = inputValue(c.input, index: "f", channel: pixelChannel(c, "f"))
            let term = ternary ? """
                        const int code = (\(symbol)[j >> 2] >> ((j & 3) << 1)) & 3;
                        if (code != 0) {
                            const int32_t mask = -(int32_t)(code >> 1);
                            const int32_t x = \(x);
                            z += (x ^ mask) - mask;
                        }
            """ : """
                        const int32_t mask = -(int32_t)((\(symbol)[j >> 3] >> (j & 7)) & 1);
                        const int32_t x = \(x);
                        z += (x ^ mask) - mask;
            """
            return parameterDeclarations(c) + """
                int o, f;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    int32_t z = 0;
                    for (f = 0; f < \(f); ++f) {
                        const uint32_t j = (uint32_t)(o * \(f) + f);
            \(term)
                    }
                    {
                        const int32_t acc = bias[o] + (int32_t)fa[o] * z;

            """ + epilogue(c, acc: "acc", index: "o", indent: "            ") + "        }\n    }\n"
        }

        mutating func fsbLinear(_ c: IntegerNetwork.Compute, symbol: String) -> String {
            let f = c.inputShape[0]
            let sign: String
            if signs == .regenerate {
                usesGenerator = true
                sign = "const int32_t mask = -(int32_t)(fsb_rng_next(&g) >> 63);"
            } else {
                sign = "const uint32_t j = (uint32_t)(o * \(f) + f);\n            const int32_t mask = -(int32_t)((\(symbol)[j >> 3] >> (j & 7)) & 1);"
            }
            return parameterDeclarations(c) + (signs == .regenerate ? generatorInit(c) : "") + """
                int o, f;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    const int fbase = o * \(f);
                    int32_t acc = bias[o];
                    for (f = 0; f < \(f); ++f) {
                        \(sign)
                        const int32_t x = \(inputValue(c.input, index: "f", channel: pixelChannel(c, "f")));
                        acc += (int32_t)fa[fbase + f] * ((x ^ mask) - mask);
                    }

            """ + epilogue(c, acc: "acc", index: "o", indent: "        ") + "    }\n"
        }

        /// The sign sum `z` of output `(r, c)` over channel `i`'s window with `mask`.
        func windowSum(_ c: IntegerNetwork.Compute, mask: String, indent: String) -> String {
            let s = c.inputShape
            return """
            \(indent)int32_t z = 0;
            \(indent)for (kr = kr0; kr < kr1; ++kr) {
            \(indent)    const int row = (i * \(s[1]) + r0 + kr) * \(s[2]) + c0;
            \(indent)    const int32_t *mk = \(mask) + kr * \(c.kernelWidth);
            \(indent)    for (kc = kc0; kc < kc1; ++kc) {
            \(indent)        const int32_t x = \(inputValue(c.input, index: "row + kc", channel: "i"));
            \(indent)        z += (x ^ mk[kc]) - mk[kc];
            \(indent)    }
            \(indent)}

            """
        }

        /// bwn/binaryconnect: per output channel a sign-sum plane `z` over all input channels
        /// and taps (add/sub only), then `bias + factor[o] * z` per pixel.
        mutating func signConvolution(_ c: IntegerNetwork.Compute, symbol: String, oh: Int, ow: Int) -> String {
            outputPlaneConvolution(c, perTap: tapSign(c, symbol: symbol), oh: oh, ow: ow)
        }

        /// Per output channel one sum plane `z` over all input channels and taps, each tap's
        /// `perTap` setting `neg` (or skipping the tap), then `bias + factor[o] * z` per pixel.
        func outputPlaneConvolution(_ c: IntegerNetwork.Compute, perTap: String, oh: Int, ow: Int) -> String {
            parameterDeclarations(c) + tapTables(c, oh: oh, ow: ow) + """
                int32_t *z = w->acc;
                int o, i, kr, kc, r, c, p;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    for (p = 0; p < \(oh * ow); ++p) z[p] = 0;
                    for (i = 0; i < \(c.inputChannels); ++i) {

            """ + tapLoop(c, ow: ow, plane: "z", perTap: perTap, update: Self.signedUpdate) + """
                    }

            """ + epilogueLoop(c, oh: oh, ow: ow, value: "bias[o] + (int32_t)fa[o] * z[r * \(ow) + c]") + "    }\n"
        }

        /// Per output channel an accumulator plane; per input channel a sum plane `z` over
        /// the slice's taps (`perTap` as above), then one multiply by the slice's factor per
        /// pixel. `setup`: code before the loops.
        func slicePlaneConvolution(_ c: IntegerNetwork.Compute, perTap: String, oh: Int, ow: Int, setup: String = "") -> String {
            parameterDeclarations(c) + tapTables(c, oh: oh, ow: ow) + setup + """
                int32_t *acc = w->acc, *z = w->acc + \(oh * ow);
                int o, i, kr, kc, r, c, p;
                for (o = 0; o < \(c.outputChannels); ++o) {
                    for (p = 0; p < \(oh * ow); ++p) acc[p] = bias[o];
                    for (i = 0; i < \(c.inputChannels); ++i) {
                        const int32_t a = fa[o * \(c.inputChannels) + i];
                        for (p = 0; p < \(oh * ow); ++p) z[p] = 0;

            """ + tapLoop(c, ow: ow, plane: "z", perTap: perTap, update: Self.signedUpdate) + """
                        for (p = 0; p < \(oh * ow); ++p) acc[p] += a * z[p];
                    }

            """ + epilogueLoop(c, oh: oh, ow: ow, value: "acc[r * \(ow) + c]") + "    }\n"
        }

        /// The ternary code of tap `(kr, kc)` of slice `(o, i)`: skips a zero weight, else
        /// `neg` is 1 for -1.
        static func ternaryTap(_ c: IntegerNetwork.Compute, symbol: String) -> String {
            """
                                const uint32_t j = (uint32_t)(((o * \(c.inputChannels) + i) * \(c.kernelHeight) + kr) * \(c.kernelWidth) + kc);
                                const int code = (\(symbol)[j >> 2] >> ((j & 3) << 1)) & 3;
                                const int neg = code >> 1;
                                if (code == 0) continue;
            """
        }

        /// twn: per output channel a sum plane `z` of the non-zero codes' additions and
        /// subtractions (zero weights skipped) over all input channels and taps, then `bias +
        /// factor[o] * z`; `perSlice` (factors per input channel): one `z` plane per input
        /// channel, added to the accumulators times the slice's factor.
        func ternaryConvolution(_ c: IntegerNetwork.Compute, symbol: String, oh: Int, ow: Int, perSlice: Bool) -> String {
            let perTap = Self.ternaryTap(c, symbol: symbol)
            return perSlice ? slicePlaneConvolution(c, perTap: perTap, oh: oh, ow: ow)
                            : outputPlaneConvolution(c, perTap: perTap, oh: oh, ow: ow)
        }

        /// fsb: per output channel an accumulator plane; per input channel a sign-sum plane
        /// `z` over the slice's taps (add/sub only), then one multiply by the slice's factor
        /// per pixel.
        mutating func fsbConvolution(_ c: IntegerNetwork.Compute, symbol: String, oh: Int, ow: Int) -> String {
            if signs == .regenerate { usesGenerator = true }
            return slicePlaneConvolution(c, perTap: tapSign(c, symbol: symbol), oh: oh, ow: ow,
                                         setup: signs == .regenerate ? generatorInit(c) : "")
        }

        /// Codebook form: per output pixel and input channel, one sign sum per pattern,
        /// then one multiply-add per output channel with its slice's pattern.
        mutating func fsbShared(_ c: IntegerNetwork.Compute, symbol: String, patterns n: Int, oh: Int, ow: Int) -> String {
            let s = c.inputShape
            let k = c.kernelSize
            let slices = c.outputChannels * c.inputChannels
            var setup = ""
            let assign: String
            if signs == .regenerate {
                usesGenerator = true
                usesBelow = true
                setup = generatorInit(c) + """
                    for (k = 0; k < \(n * k); ++k) mask[k] = -(int32_t)(fsb_rng_next(&g) >> 63);
                    for (k = 0; k < \(slices); ++k) w->assign[k] = (uint16_t)fsb_rng_below(&g, \(n));

                """
                assign = "w->assign"
            } else {
                setup = """
                    for (k = 0; k < \(n * k); ++k) mask[k] = -(int32_t)((\(symbol)[k >> 3] >> (k & 7)) & 1);

                """
                assign = "fsb_assign_\(Self.identifier(c.name))"
            }
            return parameterDeclarations(c) + """
                int32_t *acc = w->acc;
                int32_t *zs = w->acc + \(c.outputChannels);
                int32_t *mask = w->acc + \(c.outputChannels + n);
                int o, i, r, c, k, kr, kc, p;

            """ + setup + """
                for (r = 0; r < \(oh); ++r) {
                    \(window("r", "r", size: s[1], kernel: c.kernelHeight, stride: c.stride, padding: c.padding).replacingOccurrences(of: "\n", with: "\n        "))
                    for (c = 0; c < \(ow); ++c) {
                        \(window("c", "c", size: s[2], kernel: c.kernelWidth, stride: c.stride, padding: c.padding).replacingOccurrences(of: "\n", with: "\n            "))
                        for (o = 0; o < \(c.outputChannels); ++o) acc[o] = bias[o];
                        for (i = 0; i < \(c.inputChannels); ++i) {
                            for (p = 0; p < \(n); ++p) {

            """ + windowSum(c, mask: "(mask + p * \(k))", indent: "                    ") + """
                                zs[p] = z;
                            }
                            for (o = 0; o < \(c.outputChannels); ++o)
                                acc[o] += (int32_t)fa[o * \(c.inputChannels) + i] * zs[\(assign)[o * \(c.inputChannels) + i]];
                        }
                        for (o = 0; o < \(c.outputChannels); ++o)

            """ + epilogue(c, acc: "acc[o]", index: "(o * \(oh) + r) * \(ow) + c", indent: "                ") + """
                    }
                }

            """
        }

        // MARK: files

        func makeHeader() -> String {
            let image = network.tensors[0].shape
            let id = String(layout.identity, radix: 16)
            return """
            /* fsb_model.h: generated by `fsb export --format c` from \(Self.comment(origin)).
               Integer-only inference of a fixed-sign binary (FSB) network, C99, no heap,
               no libc beyond <stdint.h>, <stddef.h> and <string.h>. */
            #ifndef FSB_MODEL_H
            #define FSB_MODEL_H

            #include <stddef.h>
            #include <stdint.h>

            #ifdef __cplusplus
            extern "C" {
            #endif

            /* Input C, H, W and the number of classes. */
            #define FSB_MODEL_CHANNELS \(image[0])
            #define FSB_MODEL_HEIGHT \(image[1])
            #define FSB_MODEL_WIDTH \(image[2])
            #define FSB_MODEL_CLASSES \(classes)

            /* Build options (define before compiling fsb_model.c):
               FSB_MODEL_STATIC_BUFFERS 1 (default): activations in static memory; 0: on the
                 stack of fsb_model_classify (\(arenaElements * activationBytes + scratchBytesEstimate) bytes), which is then reentrant.
               FSB_MODEL_UPDATABLE 1 (default): parameters in writable memory, changed by
                 fsb_model_apply_update; 0: parameters constant (flash only), updates refused. */
            #ifndef FSB_MODEL_STATIC_BUFFERS
            #define FSB_MODEL_STATIC_BUFFERS 1
            #endif
            #ifndef FSB_MODEL_UPDATABLE
            #define FSB_MODEL_UPDATABLE 1
            #endif

            /* Identity of this model (architecture, widths, signs); an update names it. */
            #define FSB_MODEL_IDENTITY UINT64_C(0x\(id))

            /* pixels: C*H*W raw bytes 0..255 in CHW order; scores: FSB_MODEL_CLASSES entries or NULL.
               Returns the predicted class (the first largest score), or -1 if pixels is NULL.
               Reentrant only if the build defines FSB_MODEL_STATIC_BUFFERS 0. */
            int fsb_model_classify(const uint8_t *pixels, int32_t *scores);

            /* Applies a model update (`fsb export --update`): checks the identity, sizes, CRC-32,
               that the current parameters are the update's base and every value's range, then
               replaces the parameters in place. Returns 0, or a negative FSB_UPDATE_ERROR_*
               code with the model unchanged. Not to be called during fsb_model_classify. */
            int fsb_model_apply_update(const uint8_t *update, size_t size);

            /* CRC-32 of the current parameters (what an update's base identity names). */
            uint32_t fsb_model_parameters_crc(void);

            #define FSB_UPDATE_ERROR_FORMAT (-1)   /* too short, not an update, unknown version */
            #define FSB_UPDATE_ERROR_MODEL (-2)    /* for another model (identity or sizes differ) */
            #define FSB_UPDATE_ERROR_SIZE (-3)     /* truncated or extended */
            #define FSB_UPDATE_ERROR_CRC (-4)      /* corrupted */
            #define FSB_UPDATE_ERROR_BASE (-5)     /* made for other parameters than the current ones */
            #define FSB_UPDATE_ERROR_VALUE (-6)    /* a value outside its range */
            #define FSB_UPDATE_ERROR_READONLY (-7) /* built with FSB_MODEL_UPDATABLE 0 */

            #ifdef __cplusplus
            }
            #endif

            #endif /* FSB_MODEL_H */

            """
        }

        var scratchBytesEstimate: Int { (accScratch + classes) * 4 + assignScratch * 2 }

        static func comment(_ text: String) -> String {
            String(text.replacingOccurrences(of: "*/", with: "* /").map { $0.isASCII && !$0.isNewline ? $0 : "?" })
        }

        mutating func makeSource() -> String {
            let widths = network.widths
            let actType = widths.activationBits <= 8 ? "int8_t" : "int16_t"
            let counts = layout.counts
            var text = """
            /* fsb_model.c: generated by `fsb export --format c` from \(Self.comment(origin)).
               Integer arithmetic only; the same integers as fsb's IntegerNetwork (see
               docs/integer-inference.md): activations \(widths.activationBits)-bit, weights \(widths.weightBits)-bit, factors \(widths.factorBits)-bit,
               accumulators \(widths.accumulatorBits)-bit (no partial sum can overflow them), signs \(signs == .packed ? "packed 1 bit each" : "regenerated from the seed by xoshiro256**").
               Requantisation: v = roundShift(acc * m + b, sh), roundShift(x, s) = floor((x + 2^(s-1)) / 2^s),
               then residual, ReLU, saturation to the activation range. */
            #include "fsb_model.h"

            #include <string.h>

            #if FSB_MODEL_UPDATABLE
            #define FSB_PARAMETERS static
            #else
            #define FSB_PARAMETERS static const
            #endif

            typedef \(actType) fsb_act_t;
            #define FSB_ACT_MIN \(QuantizedTensor.minimum(bits: widths.activationBits))
            #define FSB_ACT_MAX \(QuantizedTensor.maximum(bits: widths.activationBits))

            /* The channel mean in pixel units, rounded: x = pixel - offset[c]. */
            static const int16_t fsb_pixel_offset[\(network.pixelOffsets.count)] = { \(network.pixelOffsets.map(String.init).joined(separator: ", ")) };

            /* Parameters: everything an update replaces (not the signs). */
            #define FSB_P8_COUNT \(counts[0])
            #define FSB_P16_COUNT \(counts[1])
            #define FSB_P32_COUNT \(counts[2])
            #define FSB_P64_COUNT \(counts[3])

            """
            for storage in CModuleLayout.Storage.allCases {
                text += "FSB_PARAMETERS \(storage.cType) \(storage.name)[\(max(1, counts[storage.rawValue]))] = {\n\(Self.list(layout.values[storage.rawValue]))\n};\n"
            }
            text += "\n" + constants.joined(separator: "\n") + "\n"
            text += """
            /* Working memory: the activation arena (tensors placed by lifetime), accumulator
               planes and the scores. */
            typedef struct {
                fsb_act_t arena[\(arenaElements)];
                int32_t acc[\(accScratch)];
                int32_t scores[\(classes)];
            \(assignScratch > 0 ? "    uint16_t assign[\(assignScratch)];\n" : "")} fsb_work;

            #if FSB_MODEL_STATIC_BUFFERS
            static fsb_work fsb_work_area;
            #endif

            \(network.steps.count > 1 ? "" : "#if 0 /* no requantisation in this model */\n")/* floor(v / 2^s) for s >= 1, without relying on >> of negative values. */
            static int64_t fsb_floor_shift(int64_t v, int s) {
                return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1;
            }

            /* roundShift(v * m + b, s): round half up. */
            static int64_t fsb_rescale(int64_t v, int32_t m, int s, int64_t b) {
                v = v * m + b;
                return s == 0 ? v : fsb_floor_shift(v + ((int64_t)1 << (s - 1)), s);
            }

            static fsb_act_t fsb_saturate(int64_t v) {
                return (fsb_act_t)(v < FSB_ACT_MIN ? FSB_ACT_MIN : (v > FSB_ACT_MAX ? FSB_ACT_MAX : v));
            }
            \(network.steps.count > 1 ? "" : "#endif\n")

            """
            if usesGenerator { text += Self.generatorCode(below: usesBelow) }
            text += functions.joined(separator: "\n") + "\n"
            text += """
            int fsb_model_classify(const uint8_t *pixels, int32_t *scores) {
            #if FSB_MODEL_STATIC_BUFFERS
                fsb_work *w = &fsb_work_area;
            #else
                fsb_work work;
                fsb_work *w = &work;
            #endif
                int k, best = 0;
                if (pixels == NULL) return -1;

            """
            text += calls.joined(separator: "\n") + "\n"
            text += """
                for (k = 1; k < \(classes); ++k)
                    if (w->scores[k] > w->scores[best]) best = k;
                if (scores != NULL) memcpy(scores, w->scores, sizeof w->scores);
                return best;
            }


            """
            text += updateCode()
            return text
        }

        static func generatorCode(below: Bool) -> String {
            var code = """
            /* The training's sign generator (fsb SeededGenerator): state from SplitMix64 of
               seed ^ FNV-1a(stream), xoshiro256** (Blackman & Vigna 2018); a sign is -1 when
               the top bit of the next output is 1. */
            typedef struct { uint64_t s[4]; } fsb_rng;

            static uint64_t fsb_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

            static void fsb_rng_init(fsb_rng *g, uint64_t seed, const char *stream) {
                uint64_t h = UINT64_C(0xCBF29CE484222325), mix;
                int i;
                for (; *stream != 0; ++stream) {
                    h ^= (uint64_t)(unsigned char)*stream;
                    h *= UINT64_C(0x00000100000001B3);
                }
                mix = seed ^ h;
                for (i = 0; i < 4; ++i) {
                    uint64_t z;
                    mix += UINT64_C(0x9E3779B97F4A7C15);
                    z = mix;
                    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
                    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
                    g->s[i] = z ^ (z >> 31);
                }
            }

            static uint64_t fsb_rng_next(fsb_rng *g) {
                const uint64_t result = fsb_rotl(g->s[1] * 5, 7) * 9;
                const uint64_t t = g->s[1] << 17;
                g->s[2] ^= g->s[0];
                g->s[3] ^= g->s[1];
                g->s[1] ^= g->s[2];
                g->s[0] ^= g->s[3];
                g->s[2] ^= t;
                g->s[3] = fsb_rotl(g->s[3], 45);
                return result;
            }


            """
            if below {
                code += """
                /* 64 x 64 -> 128-bit product. */
                static void fsb_mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
                    const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
                    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
                    const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
                    *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
                    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
                }

                /* Uniform integer below bound (Lemire's method, as SeededGenerator.nextInt). */
                static uint32_t fsb_rng_below(fsb_rng *g, uint64_t bound) {
                    uint64_t hi, lo;
                    fsb_mul128(fsb_rng_next(g), bound, &hi, &lo);
                    if (lo < bound) {
                        const uint64_t threshold = (0 - bound) % bound;
                        while (lo < threshold) fsb_mul128(fsb_rng_next(g), bound, &hi, &lo);
                    }
                    return (uint32_t)hi;
                }


                """
            }
            return code
        }

        func updateCode() -> String {
            let counts = layout.counts
            let payload = zip(counts, CModuleLayout.Storage.allCases).reduce(0) { $0 + $1.0 * $1.1.bytes }
            let checks = layout.slots.map { slot -> String in
                let low = slot.range.lowerBound == Int64.min ? "INT64_MIN" : "INT64_C(\(slot.range.lowerBound))"
                return "    { \(slot.storage.rawValue), \(slot.offset), \(slot.count), \(low), INT64_C(\(slot.range.upperBound)) }, /* \(Self.comment(slot.name)) */"
            }
            return """
            /* Model updates. Format (little-endian): "FSBU", u16 version 1, u16 header size 48,
               u64 model identity, u32 CRC-32 of the base parameters, u32 CRC-32 of the new ones,
               u32 counts of fsb_p8, fsb_p16, fsb_p32, fsb_p64, u32 payload bytes, u32 0; the
               payload (the four arrays in order, each element little-endian two's complement);
               u32 CRC-32 of everything before it. */
            #define FSB_UPDATE_HEADER 48
            #define FSB_UPDATE_PAYLOAD \(payload)

            static uint32_t fsb_crc32(uint32_t crc, const uint8_t *p, size_t n) {
                size_t i;
                int k;
                crc = ~crc;
                for (i = 0; i < n; ++i) {
                    crc ^= p[i];
                    for (k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
                }
                return ~crc;
            }

            static uint32_t fsb_crc32_value(uint32_t crc, int64_t v, int bytes) {
                uint8_t b[8];
                const uint64_t u = (uint64_t)v;
                int i;
                for (i = 0; i < bytes; ++i) b[i] = (uint8_t)(u >> (8 * i));
                return fsb_crc32(crc, b, (size_t)bytes);
            }

            uint32_t fsb_model_parameters_crc(void) {
                uint32_t crc = 0;
                size_t i;
                for (i = 0; i < FSB_P8_COUNT; ++i) crc = fsb_crc32_value(crc, fsb_p8[i], 1);
                for (i = 0; i < FSB_P16_COUNT; ++i) crc = fsb_crc32_value(crc, fsb_p16[i], 2);
                for (i = 0; i < FSB_P32_COUNT; ++i) crc = fsb_crc32_value(crc, fsb_p32[i], 4);
                for (i = 0; i < FSB_P64_COUNT; ++i) crc = fsb_crc32_value(crc, fsb_p64[i], 8);
                return crc;
            }

            #if FSB_MODEL_UPDATABLE
            static uint64_t fsb_read_le(const uint8_t *p, int bytes) {
                uint64_t v = 0;
                int i;
                for (i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
                return v;
            }

            /* Element index of array a (0: p8, 1: p16, 2: p32, 3: p64) in an update's payload. */
            static int64_t fsb_payload_value(const uint8_t *payload, int a, uint32_t index) {
                static const uint32_t start[4] = { 0, \(counts[0]), \(counts[0] + 2 * counts[1]), \(counts[0] + 2 * counts[1] + 4 * counts[2]) };
                static const int size[4] = { 1, 2, 4, 8 };
                const uint64_t u = fsb_read_le(payload + start[a] + (uint64_t)index * (uint64_t)size[a], size[a]);
                if (a == 3) return (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
                {
                    const uint64_t sign = (uint64_t)1 << (8 * size[a] - 1);
                    return (u & sign) ? (int64_t)(u & (sign - 1)) - (int64_t)sign : (int64_t)u;
                }
            }

            /* Range of every parameter tensor: array, offset, count, lowest, highest. */
            static const struct { uint8_t array; uint32_t offset, count; int64_t low, high; } fsb_ranges[\(max(1, checks.count))] = {
            \(checks.isEmpty ? "    { 0, 0, 0, 0, 0 }" : checks.joined(separator: "\n"))
            };
            #endif

            int fsb_model_apply_update(const uint8_t *update, size_t size) {
            #if !FSB_MODEL_UPDATABLE
                (void)update;
                (void)size;
                return FSB_UPDATE_ERROR_READONLY;
            #else
                const uint8_t *payload;
                size_t r;
                uint32_t i;
                if (update == NULL || size < FSB_UPDATE_HEADER + 4) return FSB_UPDATE_ERROR_FORMAT;
                if (memcmp(update, "FSBU", 4) != 0 || fsb_read_le(update + 4, 2) != 1 || fsb_read_le(update + 6, 2) != FSB_UPDATE_HEADER)
                    return FSB_UPDATE_ERROR_FORMAT;
                if (fsb_read_le(update + 8, 8) != FSB_MODEL_IDENTITY || fsb_read_le(update + 24, 4) != FSB_P8_COUNT
                    || fsb_read_le(update + 28, 4) != FSB_P16_COUNT || fsb_read_le(update + 32, 4) != FSB_P32_COUNT
                    || fsb_read_le(update + 36, 4) != FSB_P64_COUNT)
                    return FSB_UPDATE_ERROR_MODEL;
                if (fsb_read_le(update + 40, 4) != FSB_UPDATE_PAYLOAD || size != (size_t)FSB_UPDATE_HEADER + FSB_UPDATE_PAYLOAD + 4)
                    return FSB_UPDATE_ERROR_SIZE;
                if (fsb_crc32(0, update, size - 4) != (uint32_t)fsb_read_le(update + size - 4, 4)) return FSB_UPDATE_ERROR_CRC;
                if ((uint32_t)fsb_read_le(update + 16, 4) != fsb_model_parameters_crc()) return FSB_UPDATE_ERROR_BASE;
                payload = update + FSB_UPDATE_HEADER;
                for (r = 0; r < sizeof fsb_ranges / sizeof fsb_ranges[0]; ++r)
                    for (i = 0; i < fsb_ranges[r].count; ++i) {
                        const int64_t v = fsb_payload_value(payload, fsb_ranges[r].array, fsb_ranges[r].offset + i);
                        if (v < fsb_ranges[r].low || v > fsb_ranges[r].high) return FSB_UPDATE_ERROR_VALUE;
                    }
                /* Everything checked: replace the parameters. */
                for (i = 0; i < FSB_P8_COUNT; ++i) fsb_p8[i] = (int8_t)fsb_payload_value(payload, 0, i);
                for (i = 0; i < FSB_P16_COUNT; ++i) fsb_p16[i] = (int16_t)fsb_payload_value(payload, 1, i);
                for (i = 0; i < FSB_P32_COUNT; ++i) fsb_p32[i] = (int32_t)fsb_payload_value(payload, 2, i);
                for (i = 0; i < FSB_P64_COUNT; ++i) fsb_p64[i] = fsb_payload_value(payload, 3, i);
                return 0;
            #endif
            }

            """
        }
    }
}
