/// Storage and arithmetic accounting of a weight parameterization (for `ModelProfile`),
/// following `docs/fsb-method.md` ("Why fixed signs help the hardware").
extension WeightParameterization {
    /// Trainable scalars: `W` (fp, binaryconnect, bwn) or `A` (fsb).
    public var trainableCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Non-trainable weight scalars: the FSB signs (0 for the other methods).
    public var fixedCount: Int { signs == nil ? 0 : weightCount }

    /// Bits to store the weight for inference: fp 32 per weight; binaryconnect 1 per weight;
    /// bwn 1 per weight + 32 per filter (`alpha`); fsb 32 per factor + 0 sign bits when the
    /// signs are regenerated from the seed (1 per weight when they came from a checkpoint).
    public var storedBits: Int {
        switch method {
        case .fp: return 32 * weightCount
        case .binaryconnect: return weightCount
        case .bwn: return weightCount + 32 * outputChannels
        case .fsb: return 32 * trainableCount + (signsRegeneratedFromSeed ? 0 : weightCount)
        }
    }

    /// Bits a model update must carry for this weight: fp everything; binaryconnect/bwn the
    /// (retrained) signs plus bwn's scales; fsb only the factors (the signs never change).
    public var updateBits: Int {
        switch method {
        case .fp, .binaryconnect, .bwn: return storedBits
        case .fsb: return 32 * trainableCount
        }
    }

    /// Stored bits per weight.
    public var bitsPerWeight: Double { Double(storedBits) / Double(weightCount) }

    /// Multiplications and additions/subtractions per image for `outputPixels` output pixels:
    /// fp: `Co*Ci*K*P` each; binaryconnect: no multiplications, `Co*Ci*K*P` add/sub;
    /// bwn and fsb-filter: add/sub `Co*Ci*K*P`, mults `Co*P`; fsb-kernel: add/sub
    /// `Co*Ci*K*P`, mults `Co*Ci*P`; fsb-kernel with a codebook of `N` patterns (`K > 1`):
    /// add/sub `N*Ci*K*P + Co*Ci*P`, mults `Co*Ci*P`; fsb-element: like fp.
    public func operationCounts(outputPixels p: Int) -> (mults: Int, addsubs: Int) {
        let co = outputChannels, ci = inputChannels, k = kernelSize
        let dense = co * ci * k * p
        switch method {
        case .fp: return (dense, dense)
        case .binaryconnect: return (0, dense)
        case .bwn: return (co * p, dense)
        case .fsb(let options):
            switch options.granularity {
            case .filter: return (co * p, dense)
            case .element: return (dense, dense)
            case .kernel:
                if let entries = options.signCodebook, k > 1 {
                    return (co * ci * p, entries * ci * k * p + co * ci * p)
                }
                return (co * ci * p, dense)
            }
        }
    }
}
