import FSBCore
import FSBNN
import XCTest

/// `WeightParameterization.weightEncoding`: what the simulator sees of each method's weight.
final class WeightEncodingTests: XCTestCase {
    private func encoding(_ method: WeightMethod) throws -> WeightEncoding {
        try method.makeWeight(layerName: "w", shape: [8, 4, 3, 3], seed: 5).weightEncoding
    }

    func testEveryMethodMapsToItsEncoding() throws {
        XCTAssertEqual(try encoding(.fp), .dense)
        XCTAssertEqual(try encoding(.binaryconnect), .binary)
        XCTAssertEqual(try encoding(.bwn), .binary)
        XCTAssertEqual(try encoding(.fsb(FSBOptions())), .fixedSigns(codebook: nil))
        XCTAssertEqual(try encoding(.fsb(FSBOptions(signCodebook: 16))), .fixedSigns(codebook: 16))
        XCTAssertEqual(try encoding(.fsb(FSBOptions(granularity: .filter))), .fixedSigns(codebook: nil))
        // One factor per weight: every magnitude is free, so the weights are dense.
        XCTAssertEqual(try encoding(.fsb(FSBOptions(granularity: .element))), .dense)
    }

    /// TWN's encoding counts the non-zero ternary weights of the current latent weight: about
    /// `erfc(0.7/sqrt(pi))` of He-initialised Gaussian weights, and exactly what `What` holds.
    func testTernaryEncodingCountsTheCurrentNonzeros() throws {
        let weight = try WeightMethod.twn.makeWeight(layerName: "w", shape: [64, 32, 3, 3], seed: 5)
        guard case .ternary(let fraction) = weight.weightEncoding else { return XCTFail("\(weight.weightEncoding)") }
        let nonzeros = weight.effectiveWeight.storage.filter { $0 != 0 }.count
        XCTAssertEqual(fraction, Double(nonzeros) / Double(weight.effectiveWeight.count))
        XCTAssertEqual(fraction, WeightEncoding.gaussianTernaryNonzeroFraction, accuracy: 0.02)
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
