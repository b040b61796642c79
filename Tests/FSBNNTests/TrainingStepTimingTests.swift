import CKernels
import Dispatch
import FSBCore
import FSBNN
import TestSupport
import XCTest

/// Ad-hoc timing of a full training step (forward, softmax cross-entropy, backward, SGD
/// update) at batch 128. Skipped unless `FSB_NN_TIMING` is set (`all`, or one of `lenet`,
/// `resnet20`, `resnet20-fsb`); run it in release:
/// `FSB_NN_TIMING=all swift test -c release --filter TrainingStepTimingTests`.
/// It also times the step's GEMMs alone (same shapes), to separate kernel time from the
/// layers' own loops.
final class TrainingStepTimingTests: XCTestCase {
    func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func timeModel(_ label: String, _ spec: ModelSpec, inputShape: [Int], steps: Int) throws {
        let batch = 128
        let network = try ModelFactory.build(spec, inputShape: inputShape, classCount: 10, seed: 1)
        let x = randomTensor([batch] + inputShape, seed: 1)
        let labels = (0..<batch).map { $0 % 10 }
        var times: [Double] = []
        for _ in 0..<(steps + 1) {
            times.append(seconds {
                network.zeroGradients()
                let logits = network.forward(x, training: true)
                network.backward(TestLoss.softmaxCrossEntropy(logits, labels: labels).dLogits)
                for p in network.parameters {
                    p.value.storage.withUnsafeMutableBufferPointer { v in
                        p.gradient.storage.withUnsafeBufferPointer { g in for i in 0..<v.count { v[i] -= 0.01 * g[i] } }
                    }
                    p.applyConstraint()
                }
            })
        }
        let step = times.dropFirst().sorted()[(steps - 1) / 2]
        // The same GEMMs alone: forward, dWeight, dColumns per conv; three per linear.
        let timeGEMMs = ProcessInfo.processInfo.environment["FSB_NN_TIMING_GEMM"] != "0"
        let gemm = !timeGEMMs ? 0 : seconds {
            for layer in network.computeLayers {
                let m = layer.outputChannels, k = layer.inputChannels * layer.kernelSize
                let n = batch * layer.outputPixels
                let a = [Float](repeating: 0.01, count: m * k), b = [Float](repeating: 0.01, count: k * n)
                var c = [Float](repeating: 0, count: max(m * n, k * n, m * k))
                fsb_sgemm(0, 0, m, n, k, 1, a, k, b, n, 0, &c, n)
                fsb_sgemm(0, 1, m, k, n, 1, c, n, b, n, 0, &c, k)
                var d = [Float](repeating: 0, count: k * n)
                fsb_sgemm(1, 0, k, n, m, 1, a, k, c, n, 0, &d, n)
            }
        }
        print(String(format: "%@ batch %d: step %.3f s (%.0f images/s); GEMMs alone %.3f s; rest %.3f s; kernel %@, threads %d",
                     label, batch, step, Double(batch) / step, gemm, step - gemm,
                     String(cString: fsb_gemm_kernel_name()), fsb_get_num_threads()))
    }

    func testTrainingStepTime() throws {
        let selection = ProcessInfo.processInfo.environment["FSB_NN_TIMING"] ?? ""
        try XCTSkipIf(selection.isEmpty, "set FSB_NN_TIMING=all (or lenet, resnet20, resnet20-fsb) to time")
        let steps = max(1, Int(ProcessInfo.processInfo.environment["FSB_NN_TIMING_STEPS"] ?? "") ?? 3)
        if selection == "all" || selection == "lenet" {
            try timeModel("LeNet-5", ModelSpec(architecture: .lenet5), inputShape: [1, 28, 28], steps: steps)
        }
        if selection == "all" || selection == "resnet20" {
            try timeModel("ResNet-20 fp", ModelSpec(architecture: .resnet(depth: 20)), inputShape: [3, 32, 32], steps: steps)
        }
        if selection == "all" || selection == "resnet20-fsb" {
            let fsb = MethodPlan(default: .fsb(FSBOptions()), firstLayer: .fp, lastLayer: .fp)
            try timeModel("ResNet-20 fsb", ModelSpec(architecture: .resnet(depth: 20), methods: fsb),
                          inputShape: [3, 32, 32], steps: steps)
        }
    }
}
