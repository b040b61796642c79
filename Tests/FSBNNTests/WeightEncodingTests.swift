import FSBCore
import FSBNN
import XCTest

/// `WeightMethod.weightEncoding`: what the simulator sees of each method.
final class WeightEncodingTests: XCTestCase {
    func testEveryMethodMapsToItsEncoding() {
        XCTAssertEqual(WeightMethod.fp.weightEncoding, .dense)
        XCTAssertEqual(WeightMethod.binaryconnect.weightEncoding, .binary)
        XCTAssertEqual(WeightMethod.bwn.weightEncoding, .binary)
        XCTAssertEqual(WeightMethod.fsb(FSBOptions()).weightEncoding, .fixedSigns(codebook: nil))
        XCTAssertEqual(WeightMethod.fsb(FSBOptions(signCodebook: 16)).weightEncoding, .fixedSigns(codebook: 16))
        XCTAssertEqual(WeightMethod.fsb(FSBOptions(granularity: .filter)).weightEncoding, .fixedSigns(codebook: nil))
        // One factor per weight: every magnitude is free, so the weights are dense.
        XCTAssertEqual(WeightMethod.fsb(FSBOptions(granularity: .element)).weightEncoding, .dense)
    }

    func testShapesCarryTheEncodingAndValidateIt() {
        var shape = LayerShape(name: "t", inputChannels: 4, inputHeight: 8, inputWidth: 8, outputChannels: 8,
                               kernelHeight: 3, kernelWidth: 3, padding: 1, method: "twn",
                               weights: .ternary(nonzeroFraction: WeightEncoding.gaussianTernaryNonzeroFraction))
        XCTAssertNil(shape.problem)
        XCTAssertNil(shape.signCodebook)
        shape.weights = .ternary(nonzeroFraction: 1.5)
        XCTAssertEqual(shape.problem, "t: ternary nonzero fraction must be in 0...1, got 1.5")
        shape.weights = .fixedSigns(codebook: 33)
        XCTAssertEqual(shape.problem, "t: codebook must be in 1...32, got 33")
        shape.weights = .fixedSigns(codebook: 4)
        XCTAssertEqual(shape.signCodebook, 4)
        XCTAssertNil(shape.problem)
    }
}
