import FSBCore
import FSBHardware
import Foundation

// C snippets the step kernels share: clipped windows, input reads, the requantising
// epilogue, parameter declarations and sign symbols.
extension CModuleGenerator {
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
}
