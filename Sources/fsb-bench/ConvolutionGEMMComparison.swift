import CKernels
import FSBCore
import Foundation

/// `fsb-bench gemm --im2col-compare`: times a convolution layer's forward and weight-gradient
/// products the explicit way (`fsb_im2col_batched` of a chunk of images into a column matrix,
/// then the GEMM) against the implicit-im2col GEMMs (`fsb_sgemm_im2col`,
/// `fsb_sgemm_im2col_transposed`, B panels packed straight from the images), on the
/// convolutions of ResNet-20 and VGG-small at batch 128.
///
/// The two paths are timed in one process, interleaved (explicit, implicit, explicit, ...),
/// so machine load drifts hit both alike; medians of wall time and of process CPU time are
/// reported (on a busy machine the CPU time, which excludes time the threads wait for a core,
/// is the steadier of the two; it includes the pool threads' brief spin-waits). Chunking follows `Conv2D`
/// with the default `ScratchWorkspace` budget of 2^20 column floats: the explicit forward
/// and both weight gradients go chunk by chunk, the implicit forward is one GEMM for the
/// whole batch. Each row also says whether the two paths gave the same bits.
///
/// Where the packing-free weight gradient applies (`fsb_conv_weight_gradient_direct`: small
/// stride-1 layers), a third row, `dweight-direct`, times the chunked implicit GEMM of the
/// `dweight` row (left) against it (right) on the same gradient laid out as dOutput
/// [batch, Co, P]; it sums in another order, so its bits differ by rounding and the row
/// reports the largest difference relative to the largest |dW| instead. With the AVX2 kernel a
/// `forward-staged` row times the implicit forward with the packing-free tiles' masked loads
/// (left, `fsb_set_direct_staging(0)`) against their staged images (right, the default); it
/// differs only on the layers those tiles take (stride 1, at most 32 outputs). Likewise
/// `dweight-staged` for the direct weight gradient, where it applies.
enum ConvolutionGEMMComparison {
    /// One convolution layer: `outputs` filters of `kernel x kernel` over `channels x size x size`.
    struct Layer {
        var name: String
        var channels: Int, outputs: Int, size: Int, kernel: Int, stride: Int, padding: Int

        var outputSize: Int { (size + 2 * padding - kernel) / stride + 1 }
        var pixels: Int { outputSize * outputSize }
        var rows: Int { channels * kernel * kernel }
        func shape(batch: Int) -> fsb_conv_shape {
            fsb_conv_shape(batch: batch, channels: channels, height: size, width: size, kernel_h: kernel,
                           kernel_w: kernel, pad_h: padding, pad_w: padding, stride_h: stride, stride_w: stride)
        }
        /// Images per explicit column matrix, as `Conv2D.imagesPerChunk` with the default budget.
        func imagesPerChunk(batch: Int) -> Int { max(1, min(batch, columnBudget / max(1, rows * pixels))) }
    }

    static let columnBudget = 1 << 20

    static let layers: [Layer] = [
        Layer(name: "resnet20_conv1_3>16@32", channels: 3, outputs: 16, size: 32, kernel: 3, stride: 1, padding: 1),
        Layer(name: "resnet20_16>16@32", channels: 16, outputs: 16, size: 32, kernel: 3, stride: 1, padding: 1),
        Layer(name: "resnet20_16>32@32_s2", channels: 16, outputs: 32, size: 32, kernel: 3, stride: 2, padding: 1),
        Layer(name: "resnet20_32>32@16", channels: 32, outputs: 32, size: 16, kernel: 3, stride: 1, padding: 1),
        Layer(name: "resnet20_32>64@16_s2", channels: 32, outputs: 64, size: 16, kernel: 3, stride: 2, padding: 1),
        Layer(name: "resnet20_64>64@8", channels: 64, outputs: 64, size: 8, kernel: 3, stride: 1, padding: 1),
        Layer(name: "vgg_small_128>128@32", channels: 128, outputs: 128, size: 32, kernel: 3, stride: 1, padding: 1),
        Layer(name: "vgg_small_256>256@16", channels: 256, outputs: 256, size: 16, kernel: 3, stride: 1, padding: 1),
        Layer(name: "vgg_small_512>512@8", channels: 512, outputs: 512, size: 8, kernel: 3, stride: 1, padding: 1),
    ]

    /// One measured (layer, product, thread count) cell.
    struct Measurement {
        var layer: String, product: String
        var threads: Int, repeats: Int
        var explicitSeconds: Double, implicitSeconds: Double
        var explicitCPUSeconds: Double, implicitCPUSeconds: Double
        var bitIdentical: Bool
        /// For `dweight-direct`: the largest |difference| over the largest |dW| (else 0).
        var relativeDifference: Double = 0
        var speedup: Double { explicitSeconds / implicitSeconds }
        var cpuSpeedup: Double { explicitCPUSeconds / implicitCPUSeconds }
    }

    static var csv: CSVTable<Measurement> { CSVTable(columns: [
        .init("layer") { $0.layer },
        .init("product") { $0.product },
        .init("threads") { String($0.threads) },
        .init("repeats") { String($0.repeats) },
        .init("explicit_ms") { String(format: "%.3f", $0.explicitSeconds * 1e3) },
        .init("implicit_ms") { String(format: "%.3f", $0.implicitSeconds * 1e3) },
        .init("speedup") { String(format: "%.3f", $0.speedup) },
        .init("explicit_cpu_ms") { String(format: "%.3f", $0.explicitCPUSeconds * 1e3) },
        .init("implicit_cpu_ms") { String(format: "%.3f", $0.implicitCPUSeconds * 1e3) },
        .init("cpu_speedup") { String(format: "%.3f", $0.cpuSpeedup) },
        .init("bit_identical") { $0.bitIdentical ? "1" : "0" },
        .init("relative_difference") { String(format: "%.3g", $0.relativeDifference) },
    ]) }

    static func run(threadCounts: [Int], repeats: Int, filter: String, batch: Int, csvPath: String?) throws {
        let selected = layers.filter { filter.isEmpty || $0.name.contains(filter) }
        print("explicit im2col + GEMM vs implicit-im2col GEMM (dweight-direct: implicit GEMM vs the direct "
              + "weight gradient; forward-staged, dweight-staged: direct tiles with masked loads vs staged images), "
              + "batch \(batch), kernel \(Kernels.gemmKernelName), "
              + "\(repeats) interleaved repeats (median), threads \(threadCounts)")
        var measurements: [Measurement] = []
        let savedThreads = Kernels.threadCount
        defer { Kernels.threadCount = savedThreads }
        for layer in selected {
            let n = batch * layer.pixels, chunk = layer.imagesPerChunk(batch: batch)
            let imageSize = layer.channels * layer.size * layer.size
            let images = GEMMBenchmark.filledBuffer(count: batch * imageSize, seed: 3)
            let weights = GEMMBenchmark.filledBuffer(count: layer.outputs * layer.rows, seed: 4)
            // dProduct [Co, chunk*P] of one chunk, reused for every chunk (as Conv2D's workspace).
            let dProduct = GEMMBenchmark.filledBuffer(count: layer.outputs * chunk * layer.pixels, seed: 5)
            // The same gradient as dOutput [batch, Co, P] (NCHW), for the direct weight gradient:
            // image b's plane o is what the chunks read, dProduct [Co, count*P] at row o, image b - first.
            let dOutput = UnsafeMutablePointer<Float>.allocate(capacity: batch * layer.outputs * layer.pixels)
            for image in 0..<batch {
                let first = image / chunk * chunk, count = min(chunk, batch - first)
                for o in 0..<layer.outputs {
                    (dOutput + (image * layer.outputs + o) * layer.pixels).update(
                        from: dProduct + (o * count + image - first) * layer.pixels, count: layer.pixels)
                }
            }
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: layer.rows * chunk * layer.pixels)
            let outputs = (0..<2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: layer.outputs * n) }
            let dWeights = (0..<2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: layer.outputs * layer.rows) }
            defer {
                for buffer in [images, weights, dProduct, dOutput, columns] + outputs + dWeights { buffer.deallocate() }
            }
            let (co, rows, pixels) = (layer.outputs, layer.rows, layer.pixels)

            func chunks(_ body: (_ first: Int, _ count: Int) -> Void) {
                var first = 0
                while first < batch { let count = min(chunk, batch - first); body(first, count); first += count }
            }
            let forwardExplicit = {
                chunks { first, count in
                    fsb_im2col_batched(images + first * imageSize, count, layer.channels, layer.size, layer.size,
                                       layer.kernel, layer.kernel, layer.padding, layer.padding,
                                       layer.stride, layer.stride, columns)
                    fsb_sgemm_grouped_c(0, 0, co, count * pixels, rows, 1, weights, rows, columns, count * pixels, 0,
                                        outputs[0] + first * co * pixels, pixels, pixels, co * pixels)
                }
            }
            let forwardImplicit = {
                fsb_sgemm_im2col(co, 1, weights, rows, images, layer.shape(batch: batch), 0, outputs[1],
                                 pixels, pixels, co * pixels)
            }
            let dWeightExplicit = {
                chunks { first, count in
                    fsb_im2col_batched(images + first * imageSize, count, layer.channels, layer.size, layer.size,
                                       layer.kernel, layer.kernel, layer.padding, layer.padding,
                                       layer.stride, layer.stride, columns)
                    fsb_sgemm(0, 1, co, rows, count * pixels, 1, dProduct, count * pixels, columns, count * pixels,
                              first == 0 ? 0 : 1, dWeights[0], rows)
                }
            }
            let dWeightImplicit = {
                chunks { first, count in
                    fsb_sgemm_im2col_transposed(co, 1, dProduct, count * pixels, images + first * imageSize,
                                                layer.shape(batch: count), first == 0 ? 0 : 1, dWeights[1], rows)
                }
            }
            let direct = { fsb_conv_weight_gradient_direct(co, dOutput, images, layer.shape(batch: batch), dWeights[1], rows) == 1 }
            let dWeightDirect = { _ = direct() }
            let directApplies = direct()
            var products = [
                ("forward", forwardExplicit, forwardImplicit, outputs, co * n),
                ("dweight", dWeightExplicit, dWeightImplicit, dWeights, co * rows),
            ]
            if directApplies { products.append(("dweight-direct", dWeightImplicit, dWeightDirect, dWeights, co * rows)) }
            if Kernels.gemmKernelName == "avx2" {
                let forwardMasked = {
                    let saved = fsb_set_direct_staging(0)
                    fsb_sgemm_im2col(co, 1, weights, rows, images, layer.shape(batch: batch), 0, outputs[0],
                                     pixels, pixels, co * pixels)
                    fsb_set_direct_staging(saved)
                }
                products.append(("forward-staged", forwardMasked, forwardImplicit, outputs, co * n))
                if directApplies {
                    let dWeightMasked = {
                        let saved = fsb_set_direct_staging(0)
                        _ = fsb_conv_weight_gradient_direct(co, dOutput, images, layer.shape(batch: batch), dWeights[0], rows)
                        fsb_set_direct_staging(saved)
                    }
                    products.append(("dweight-staged", dWeightMasked, dWeightDirect, dWeights, co * rows))
                }
            }
            for threads in threadCounts {
                Kernels.threadCount = threads
                for (product, explicit, implicit, results, count) in products {
                    let (explicitTimes, implicitTimes) = interleavedMedians(explicit, implicit, repeats: repeats)
                    let same = memcmp(results[0], results[1], count * MemoryLayout<Float>.size) == 0
                    var measurement = Measurement(layer: layer.name, product: product, threads: threads, repeats: repeats,
                                                  explicitSeconds: explicitTimes.wall, implicitSeconds: implicitTimes.wall,
                                                  explicitCPUSeconds: explicitTimes.cpu, implicitCPUSeconds: implicitTimes.cpu,
                                                  bitIdentical: same)
                    if product == "dweight-direct" {
                        measurement.relativeDifference = relativeDifference(results[0], results[1], count: count)
                    }
                    measurements.append(measurement)
                    print(layer.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                          + String(format: " %@ t%d  wall %8.3f -> %8.3f ms x%.2f  cpu %8.3f -> %8.3f ms x%.2f  %@",
                                   product, threads, explicitTimes.wall * 1e3, implicitTimes.wall * 1e3, measurement.speedup,
                                   explicitTimes.cpu * 1e3, implicitTimes.cpu * 1e3, measurement.cpuSpeedup,
                                   product == "dweight-direct" ? String(format: "rel. diff %.2g", measurement.relativeDifference)
                                       : same ? "same bits" : "DIFFERENT BITS"))
                }
            }
        }
        print(TextTable.render(
            header: ["layer", "product", "threads", "explicit ms", "implicit ms", "speedup",
                     "explicit cpu ms", "implicit cpu ms", "cpu speedup", "same bits"],
            rows: measurements.map {
                [$0.layer, $0.product, String($0.threads), String(format: "%.2f", $0.explicitSeconds * 1e3),
                 String(format: "%.2f", $0.implicitSeconds * 1e3), String(format: "%.2f", $0.speedup),
                 String(format: "%.2f", $0.explicitCPUSeconds * 1e3), String(format: "%.2f", $0.implicitCPUSeconds * 1e3),
                 String(format: "%.2f", $0.cpuSpeedup),
                 $0.product == "dweight-direct" ? String(format: "%.1g", $0.relativeDifference) : $0.bitIdentical ? "yes" : "NO"]
            }))
        if let csvPath {
            try AtomicFile.write(csv.render(measurements), to: URL(fileURLWithPath: csvPath))
            print("wrote \(csvPath)")
        }
    }

    /// The largest |a - b| over the largest |a| of two results.
    static func relativeDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var difference = 0.0, magnitude = 0.0
        for index in 0..<count {
            difference = max(difference, abs(Double(a[index]) - Double(b[index])))
            magnitude = max(magnitude, abs(Double(a[index])))
        }
        return magnitude > 0 ? difference / magnitude : difference
    }

    /// Wall and process CPU seconds of one call.
    struct Times { var wall: Double, cpu: Double }

    static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    static func wallSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// Median wall and CPU times of `first` and `second`, run alternately `repeats` times
    /// each after one warm-up of each.
    static func interleavedMedians(_ first: () -> Void, _ second: () -> Void, repeats: Int) -> (Times, Times) {
        first()
        second()
        var firstTimes: [Times] = [], secondTimes: [Times] = []
        func timed(_ body: () -> Void) -> Times {
            let wall = wallSeconds(), cpu = processCPUSeconds()
            body()
            return Times(wall: wallSeconds() - wall, cpu: processCPUSeconds() - cpu)
        }
        for _ in 0..<repeats {
            firstTimes.append(timed(first))
            secondTimes.append(timed(second))
        }
        return (Times(wall: median(firstTimes.map(\.wall)), cpu: median(firstTimes.map(\.cpu))),
                Times(wall: median(secondTimes.map(\.wall)), cpu: median(secondTimes.map(\.cpu))))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                                     : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
