import FSBCore
import FSBNN
import TestSupport
import XCTest

/// The 2x2/stride-2 max pool over planes at least 16 wide (8+ windows per row, handled 8 at a
/// time with an overlapping last group) against a direct loop: same maxima, and backward
/// routes each gradient to the FIRST maximum of its window in scan order (ties included).
final class MaxPoolWidePlaneTests: XCTestCase {
    func testWidePlanesMatchDirectLoopIncludingTies() {
        for (height, width) in [(4, 16), (6, 19), (5, 28)] {
            var generator = SeededGenerator(seed: 3, stream: "maxpool-wide")
            // Values on a coarse grid so that many windows hold ties.
            var input = Tensor(shape: [2, 3, height, width])
            for i in 0..<input.count { input[i] = Float(generator.nextInt(below: 4)) - 1.5 }
            let pool = MaxPool2D(name: "pool", kernelSize: 2)
            let output = pool.forward(input, training: true)
            let outH = height / 2, outW = width / 2
            XCTAssertEqual(output.shape, [2, 3, outH, outW])
            var dOutput = Tensor(shape: output.shape)
            for i in 0..<dOutput.count { dOutput[i] = Float(i + 1) }
            let dInput = pool.backward(dOutput)
            var expectedDInput = Tensor(shape: input.shape)
            for plane in 0..<6 {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var best = -Float.infinity, bestIndex = (2 * oy) * width + 2 * ox
                        for ky in 0..<2 {
                            for kx in 0..<2 {
                                let index = (2 * oy + ky) * width + 2 * ox + kx
                                if input[plane * height * width + index] > best {
                                    best = input[plane * height * width + index]
                                    bestIndex = index
                                }
                            }
                        }
                        let outIndex = (plane * outH + oy) * outW + ox
                        XCTAssertEqual(output[outIndex], best, "\(height)x\(width) plane \(plane) (\(oy), \(ox))")
                        expectedDInput[plane * height * width + bestIndex] += dOutput[outIndex]
                    }
                }
            }
            XCTAssertEqual(dInput.storage, expectedDInput.storage, "\(height)x\(width): gradient routing")
        }
    }
}
