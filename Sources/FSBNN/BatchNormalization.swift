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

    func forward(_ input: Tensor, batch: Int, plane: Int, training: Bool) -> Tensor {
        cachedInput = input
        usedBatchStatistics = training
        let channels = self.channels, eps = epsilon
        let m = batch * plane
        if training {
            var batchVariance = [Float](repeating: 0, count: channels)
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
            let unbias = m > 1 ? Float(m) / Float(m - 1) : 1
            for c in 0..<channels {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c]
                runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * batchVariance[c] * unbias
            }
        } else {
            for c in 0..<channels {
                mean[c] = runningMean[c]
                inverseStd[c] = 1 / (runningVariance[c] + eps).squareRoot()
            }
        }
        var output = Tensor.uninitialized(shape: input.shape)
        let meanValues = self.mean, inverseStdValues = self.inverseStd
        gamma.value.storage.withUnsafeBufferPointer { g in
            beta.value.storage.withUnsafeBufferPointer { b in
                input.storage.withUnsafeBufferPointer { xBuffer in
                    output.storage.withUnsafeMutableBufferPointer { yBuffer in
                        let x = xBuffer.baseAddress!, y = yBuffer.baseAddress!
                        let gp = g.baseAddress!, bp = b.baseAddress!
                        ParallelLoop.run(count: channels, work: channels * m) { range in
                            for c in range {
                                let scale = gp[c] * inverseStdValues[c]
                                let shift = bp[c] - meanValues[c] * scale
                                for n in 0..<batch {
                                    let offset = (n * channels + c) * plane
                                    for p in 0..<plane { y[offset + p] = x[offset + p] * scale + shift }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
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
                                                for p in 0..<plane {
                                                    let centered = x[offset + p] - mu
                                                    dx[offset + p] = k * (dy[offset + p] - meanDy - centered * xhatScale)
                                                }
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
