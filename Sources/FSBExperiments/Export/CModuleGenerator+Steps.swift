import FSBCore
import FSBHardware
import Foundation

// One C function per step of the integer network, and its call in `fsb_model_classify`.
extension CModuleGenerator {
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
}
