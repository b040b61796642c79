import FSBCore

/// The batch-normalisation computation shared by `BatchNorm2D` and `BatchNorm1D`, over a
/// tensor viewed as `[N, C, plane]` (plane = H*W, or 1 for features).
/// (Ioffe & Szegedy, ICML 2015; running statistics as in PyTorch: momentum 0.1, unbiased
/// running variance, eps 1e-5.)
final class BatchNormalization {
    let name: String
    let channels: Int
    let epsilon: Float = 1e-5
    let momentum: Float = 0.1
    /// `gamma` `[C]`, initialised to 1 (named `"<layer>.weight"`).
    let gamma: Parameter
    /// `beta` `[C]`, initialised to 0 (named `"<layer>.bias"`).
    let beta: Parameter
    var runningMean: Tensor
    var runningVariance: Tensor
    /// Input of the last forward, and whether it used batch statistics.
    private var cachedInput: Tensor?
    private var usedBatchStatistics = true
    /// Per-channel mean and 1/sqrt(var + eps) used by the last forward.
    private var mean: [Float]
    private var inverseStd: [Float]

    init(name: String, channels: Int) {
        self.name = name
        self.channels = channels
        gamma = Parameter(name: "\(name).weight", value: Tensor(shape: [channels], repeating: 1), role: .normalization)
        beta = Parameter(name: "\(name).bias", value: Tensor(shape: [channels]), role: .normalization)
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels], repeating: 1)
        mean = [Float](repeating: 0, count: channels)
        inverseStd = [Float](repeating: 1, count: channels)
    }

    var buffers: [String: Tensor] {
        ["\(name).running_mean": runningMean, "\(name).running_var": runningVariance]
    }

    func setBuffers(_ values: [String: Tensor]) {
        if let m = values["\(name).running_mean"], m.shape == runningMean.shape { runningMean = m }
        if let v = values["\(name).running_var"], v.shape == runningVariance.shape { runningVariance = v }
    }

    /// Normalised `input`; with `thenReLU`, `max(normalised, 0)` in the same pass (the caller
    /// then owns the ReLU's bookkeeping; only for planes, `plane > 1`).
    func forward(_ input: Tensor, batch: Int, plane: Int, training: Bool, thenReLU: Bool = false) -> Tensor {
        precondition(!thenReLU || plane > 1, "\(name): a fused ReLU needs planes")
        cachedInput = input
        usedBatchStatistics = training
        let channels = self.channels, eps = epsilon
        let m = batch * plane
        if training {
            var batchVariance = [Float](repeating: 0, count: channels)
            if plane == 1 {
                featureStatistics(input, batch: batch, variance: &batchVariance)
            } else {
            input.storage.withUnsafeBufferPointer { xBuffer in
                let x = xBuffer.baseAddress!
                mean.withUnsafeMutableBufferPointer { meanOut in
                    inverseStd.withUnsafeMutableBufferPointer { invOut in
                        batchVariance.withUnsafeMutableBufferPointer { varOut in
                            let meanPtr = meanOut.baseAddress!, invPtr = invOut.baseAddress!, varPtr = varOut.baseAddress!
                            ParallelLoop.run(count: channels, work: channels * m * 2) { range in
                                for c in range {
                                    // One pass: sums of (x - shift) and its square, shift = the
                                    // channel's first element (keeps the variance free of cancellation).
                                    let shift = x[c * plane]
                                    var total: Double = 0, squares: Double = 0
                                    for n in 0..<batch {
                                        let (s1, s2) = VectorMath.shiftedSums(x + (n * channels + c) * plane, plane, shift: shift)
                                        total += Double(s1)
                                        squares += Double(s2)
                                    }
                                    let meanShifted = total / Double(m)
                                    let mu = Float(Double(shift) + meanShifted)
                                    let variance = Float(max(0, squares / Double(m) - meanShifted * meanShifted))
                                    meanPtr[c] = mu
                                    varPtr[c] = variance
                                    invPtr[c] = 1 / (variance + eps).squareRoot()
                                }
                            }
                        }
                    }
                }
            }
            }
            let unbias = m > 1 ? Float(m) / Float(m - 1) : 1
            for c in 0..<channels {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c]
                runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * batchVariance[c] * unbias
            }
        } else {
            (mean, inverseStd) = runningStatistics()
        }
        var output = Tensor.uninitialized(shape: input.shape)
        let (scales, shifts) = affine(mean: mean, inverseStd: inverseStd)
        scales.withUnsafeBufferPointer { sc in
            shifts.withUnsafeBufferPointer { sh in
                input.storage.withUnsafeBufferPointer { xBuffer in
                    output.storage.withUnsafeMutableBufferPointer { yBuffer in
                        let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                        let scalePointer = sc.baseAddress!, shiftPointer = sh.baseAddress!
                        if plane == 1 {
                            // Features [N, C]: rows vectorised over C.
                            for n in 0..<batch {
                                let xRow = x + n * channels, yRow = y + n * channels
                                for c in 0..<channels { yRow[c] = xRow[c] * scalePointer[c] + shiftPointer[c] }
                            }
                            return
                        }
                        ParallelLoop.run(count: channels, work: channels * m) { range in
                            for c in range {
                                let scale = scalePointer[c], shift = shiftPointer[c]
                                for n in 0..<batch {
                                    let offset = (n * channels + c) * plane
                                    if thenReLU {
                                        VectorMath.affineReLU(x + offset, y + offset, plane, scale: scale, shift: shift)
                                    } else {
                                        VectorMath.affine(x + offset, y + offset, plane, scale: scale, shift: shift)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The running mean and 1/sqrt(running variance + eps): the statistics of inference.
    private func runningStatistics() -> (mean: [Float], inverseStd: [Float]) {
        (runningMean.storage, runningVariance.storage.map { 1 / ($0 + epsilon).squareRoot() })
    }

    /// The normalisation with statistics (mean, inverseStd) as `y = x * scale + shift` per
    /// channel: `scale = gamma * inverseStd`, `shift = beta - mean * scale`.
    private func affine(mean: [Float], inverseStd: [Float]) -> (scale: [Float], shift: [Float]) {
        var scale = [Float](repeating: 0, count: channels), shift = scale
        for c in 0..<channels {
            scale[c] = gamma.value[c] * inverseStd[c]
            shift[c] = beta.value[c] - mean[c] * scale[c]
        }
        return (scale, shift)
    }

    /// What inference computes, as one per-channel affine map (for fusing it into the
    /// preceding convolution, `ChannelAffine`): the same numbers `forward(training: false)` uses.
    func inferenceAffine() -> (scale: [Float], shift: [Float]) {
        let statistics = runningStatistics()
        return affine(mean: statistics.mean, inverseStd: statistics.inverseStd)
    }

    /// Batch mean, variance and 1/sqrt(var + eps) of features `[N, C]` (plane 1), with the
    /// same arithmetic per channel as the plane loop (shift = the channel's first element,
    /// Double sums over n in increasing order), but vectorised across channels.
    private func featureStatistics(_ input: Tensor, batch: Int, variance: inout [Float]) {
        let channels = self.channels, m = batch
        var totals = [Double](repeating: 0, count: channels), squares = totals
        input.storage.withUnsafeBufferPointer { xBuffer in
            totals.withUnsafeMutableBufferPointer { totalBuffer in
                squares.withUnsafeMutableBufferPointer { squareBuffer in
                    let x = xBuffer.baseAddress!, total = totalBuffer.baseAddress!, square = squareBuffer.baseAddress!
                    for n in 0..<batch {
                        let row = x + n * channels
                        for c in 0..<channels {
                            let d = row[c] - x[c]
                            total[c] += Double(d)
                            square[c] += Double(d * d)
                        }
                    }
                }
            }
        }
        input.storage.withUnsafeBufferPointer { xBuffer in
            for c in 0..<channels {
                let meanShifted = totals[c] / Double(m)
                let variance_c = Float(max(0, squares[c] / Double(m) - meanShifted * meanShifted))
                mean[c] = Float(Double(xBuffer[c]) + meanShifted)
                variance[c] = variance_c
                inverseStd[c] = 1 / (variance_c + epsilon).squareRoot()
            }
        }
    }

    /// Backward for features `[N, C]` (plane 1): same arithmetic per element as the plane
    /// loop, vectorised across channels.
    private func featureBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                 gamma: UnsafePointer<Float>, batch: Int, batchStatistics: Bool,
                                 dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>) {
        let channels = self.channels, m = batch
        var sumDy = [Double](repeating: 0, count: channels), sumDyXc = sumDy
        let mean = self.mean, inverseStd = self.inverseStd
        mean.withUnsafeBufferPointer { meanBuffer in
            sumDy.withUnsafeMutableBufferPointer { sBuffer in
                sumDyXc.withUnsafeMutableBufferPointer { dBuffer in
                    let mu = meanBuffer.baseAddress!, s = sBuffer.baseAddress!, d = dBuffer.baseAddress!
                    for n in 0..<batch {
                        let xRow = x + n * channels, dyRow = dy + n * channels
                        for c in 0..<channels {
                            let upstream = dyRow[c]
                            s[c] += Double(upstream)
                            d[c] += Double(upstream * (xRow[c] - mu[c]))
                        }
                    }
                }
            }
        }
        var k = [Float](repeating: 0, count: channels), meanDy = k, xhatScale = k
        for c in 0..<channels {
            let inv = inverseStd[c]
            let dGammaC = Float(sumDyXc[c]) * inv, dBetaC = Float(sumDy[c])
            dGamma[c] = dGammaC
            dBeta[c] = dBetaC
            k[c] = gamma[c] * inv
            meanDy[c] = dBetaC / Float(m)
            xhatScale[c] = dGammaC / Float(m) * inv
        }
        mean.withUnsafeBufferPointer { meanBuffer in
            k.withUnsafeBufferPointer { kBuffer in
                meanDy.withUnsafeBufferPointer { meanDyBuffer in
                    xhatScale.withUnsafeBufferPointer { xhatBuffer in
                        let mu = meanBuffer.baseAddress!, kp = kBuffer.baseAddress!
                        let md = meanDyBuffer.baseAddress!, xs = xhatBuffer.baseAddress!
                        for n in 0..<batch {
                            let xRow = x + n * channels, dyRow = dy + n * channels, dxRow = dx + n * channels
                            if batchStatistics {
                                for c in 0..<channels {
                                    let centered = xRow[c] - mu[c]
                                    dxRow[c] = kp[c] * (dyRow[c] - md[c] - centered * xs[c])
                                }
                            } else {
                                for c in 0..<channels { dxRow[c] = kp[c] * dyRow[c] }
                            }
                        }
                    }
                }
            }
        }
    }

    func backward(_ dOutput: Tensor, batch: Int, plane: Int) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("\(name): backward before forward") }
        precondition(dOutput.shape == input.shape, "\(name): dOutput shape \(dOutput.shape) vs input \(input.shape)")
        let channels = self.channels
        let m = batch * plane
        let mean = self.mean, inverseStd = self.inverseStd
        let batchStatistics = usedBatchStatistics
        var dInput = Tensor.uninitialized(shape: input.shape)
        var dGamma = [Float](repeating: 0, count: channels)
        var dBeta = [Float](repeating: 0, count: channels)
        gamma.value.storage.withUnsafeBufferPointer { g in
            input.storage.withUnsafeBufferPointer { xBuffer in
                dOutput.storage.withUnsafeBufferPointer { dyBuffer in
                    dInput.storage.withUnsafeMutableBufferPointer { dxBuffer in
                        dGamma.withUnsafeMutableBufferPointer { dGammaBuffer in
                            dBeta.withUnsafeMutableBufferPointer { dBetaBuffer in
                                let x = xBuffer.baseAddress!, dy = dyBuffer.baseAddress!, dx = dxBuffer.baseAddress!
                                let gp = g.baseAddress!, dG = dGammaBuffer.baseAddress!, dB = dBetaBuffer.baseAddress!
                                if plane == 1 {
                                    featureBackward(x: x, dy: dy, dx: dx, gamma: gp, batch: batch,
                                                    batchStatistics: batchStatistics, dGamma: dG, dBeta: dB)
                                    return
                                }
                                ParallelLoop.run(count: channels, work: channels * m * 2) { range in
                                    for c in range {
                                        let mu = mean[c], inv = inverseStd[c]
                                        var sumDy: Double = 0, sumDyXc: Double = 0
                                        for n in 0..<batch {
                                            let offset = (n * channels + c) * plane
                                            let (s, d) = VectorMath.sumAndDotCentered(dy + offset, x + offset, plane, center: mu)
                                            sumDy += Double(s)
                                            sumDyXc += Double(d)
                                        }
                                        // dgamma = sum(dy * xhat), dbeta = sum(dy).
                                        let dGammaC = Float(sumDyXc) * inv
                                        let dBetaC = Float(sumDy)
                                        dG[c] = dGammaC
                                        dB[c] = dBetaC
                                        if batchStatistics {
                                            // dx = gamma*inv/M * (M*dy - dbeta - xhat*dgamma)
                                            let k = gp[c] * inv
                                            let meanDy = dBetaC / Float(m)
                                            let xhatScale = dGammaC / Float(m) * inv
                                            for n in 0..<batch {
                                                let offset = (n * channels + c) * plane
                                                VectorMath.normalizationGradient(dy: dy + offset, x: x + offset, dx: dx + offset, plane,
                                                                                 k: k, meanDy: meanDy, mean: mu, xhatScale: xhatScale)
                                            }
                                        } else {
                                            let k = gp[c] * inv
                                            for n in 0..<batch {
                                                let offset = (n * channels + c) * plane
                                                for p in 0..<plane { dx[offset + p] = k * dy[offset + p] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        gamma.gradient.storage.withUnsafeMutableBufferPointer { d in for c in 0..<channels { d[c] += dGamma[c] } }
        beta.gradient.storage.withUnsafeMutableBufferPointer { d in for c in 0..<channels { d[c] += dBeta[c] } }
        return dInput
    }
}
