import FSBCore
@testable import FSBExperiments
import XCTest

/// A validation hold-out that would leave no validation or no training image is refused
/// naming both config fields, before anything is written.
final class DataPipelineEdgeTests: XCTestCase {
    func testValidationFractionOfATinyTrainingSetIsRefused() throws {
        for (limit, fraction, held) in [(4, 0.1, 0), (1, 0.5, 1), (2, 0.2, 0)] {
            var config = try HardeningFixtures.tinyConfig()
            config.dataset.trainLimit = limit
            config.dataset.validationFraction = fraction
            XCTAssertThrowsError(try DataPipeline(config, dataRoot: HardeningFixtures.dataRoot)) { error in
                XCTAssertEqual("\(error)", "dataset.validationFraction: \(fraction) of the \(limit) training images (dataset.trainLimit \(limit)) holds out \(held); expected at least 1 validation image and 1 training image")
            }
        }
        var config = try HardeningFixtures.tinyConfig()
        config.dataset.trainLimit = 20
        config.dataset.validationFraction = 0.1
        let data = try DataPipeline(config, dataRoot: HardeningFixtures.dataRoot)
        XCTAssertEqual(data.validation?.count, 2)
        XCTAssertEqual(data.train.count, 18)
    }
}
