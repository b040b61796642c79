import FSBCore
import FSBHardware
import Foundation

// The loops of each kind of layer: multiply-accumulate, sign add/sub, ternary and FSB
// (per kernel slice, shared codebook) convolutions and linear layers.
extension CModuleGenerator {
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
}
