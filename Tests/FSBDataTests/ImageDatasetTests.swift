import FSBCore
import FSBData
import XCTest

final class ImageDatasetTests: XCTestCase {
    /// `count` CIFAR-shaped images whose pixels are `(image + offset) % 256`, labels `image % 10`.
    static func rawCIFAR(count: Int) -> RawDataset {
        var pixels = [UInt8](repeating: 0, count: count * 3072)
        for i in 0..<count { for j in 0..<3072 { pixels[i * 3072 + j] = UInt8((i + j) % 256) } }
        return RawDataset(name: .cifar10, split: .train, count: count, channels: 3, height: 32, width: 32, classCount: 10,
                          pixels: pixels, labels: (0..<count).map { Int32($0 % 10) }, sourceFiles: [])
    }

    func testNormalisationPerChannel() {
        let raw = Self.rawCIFAR(count: 2)
        let dataset = ImageDataset(raw: raw)
        XCTAssertEqual(dataset.images.shape, [2, 3, 32, 32])
        let mean = DatasetName.cifar10.channelMean, std = DatasetName.cifar10.channelStd
        for index in [0, 5, 1024 + 7, 2048 + 1000, 3072 + 2048 + 3] {
            let channel = (index % 3072) / 1024
            let expected = (Float(raw.pixels[index]) / 255 - mean[channel]) / std[channel]
            XCTAssertEqual(dataset.images[index], expected, accuracy: 1e-5, "index \(index)")
        }
        XCTAssertEqual(dataset.paddingValues[1], -mean[1] / std[1], accuracy: 1e-7)
    }

    func testValidationSplitSizesDisjointAndDeterministic() throws {
        let dataset = ImageDataset(raw: Self.rawCIFAR(count: 50))
        let (train, validation) = try dataset.splitValidation(count: 12, seed: 7)
        XCTAssertEqual(train.count, 38)
        XCTAssertEqual(validation.count, 12)
        XCTAssertEqual(train.images.shape, [38, 3, 32, 32])
        // Each image is identified by its first pixel (= its index).
        func ids(_ d: ImageDataset) -> [Int] { (0..<d.count).map { Int((d.images[$0 * 3072] * d.std[0] + d.mean[0]) * 255 + 0.5) } }
        XCTAssertEqual(Set(ids(train)).union(ids(validation)), Set(0..<50))
        XCTAssertEqual(ids(train), ids(train).sorted())
        XCTAssertEqual(zip(ids(validation), validation.labels).map { Int32($0.0 % 10) == $0.1 }, Array(repeating: true, count: 12))
        let again = try dataset.splitValidation(count: 12, seed: 7)
        XCTAssertEqual(again.validation.images, validation.images)
        XCTAssertEqual(again.train.labels, train.labels)
        XCTAssertNotEqual(ids(try dataset.splitValidation(count: 12, seed: 8).validation), ids(validation))
        XCTAssertEqual(try dataset.splitValidation(fraction: 0.1, seed: 1).validation.count, 5)
        assertThrowsMessage(["validation size must be in 0..<50", "found 50"]) { try dataset.splitValidation(count: 50, seed: 1) }
        assertThrowsMessage(["validation fraction", "found 1.5"]) { try dataset.splitValidation(fraction: 1.5, seed: 1) }
    }
}
