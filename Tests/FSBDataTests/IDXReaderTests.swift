import FSBData
import XCTest

final class IDXReaderTests: XCTestCase {
    /// Writes an MNIST-layout folder with the given train files (test files are valid).
    func makeFolder(images: [UInt8], labels: [UInt8], gzip: Bool = true) throws -> URL {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("mnist")
        let suffix = gzip ? ".gz" : ""
        func pack(_ bytes: [UInt8]) -> [UInt8] { gzip ? DataTestFixtures.gzip(bytes) : bytes }
        try DataTestFixtures.write(pack(images), to: folder, "train-images-idx3-ubyte" + suffix)
        try DataTestFixtures.write(pack(labels), to: folder, "train-labels-idx1-ubyte" + suffix)
        try DataTestFixtures.write(pack(DataTestFixtures.idxImages(count: 2)), to: folder, "t10k-images-idx3-ubyte" + suffix)
        try DataTestFixtures.write(pack(DataTestFixtures.idxLabels([3, 4])), to: folder, "t10k-labels-idx1-ubyte" + suffix)
        return root
    }

    func testReadsGzippedAndRawFolders() throws {
        for gzip in [true, false] {
            let root = try makeFolder(images: DataTestFixtures.idxImages(count: 3), labels: DataTestFixtures.idxLabels([0, 9, 5]), gzip: gzip)
            let raw = try DatasetLoader.load(.mnist, split: .train, root: root)
            XCTAssertEqual(raw.count, 3)
            XCTAssertEqual([raw.channels, raw.height, raw.width], [1, 28, 28])
            XCTAssertEqual(raw.labels, [0, 9, 5])
            XCTAssertEqual(raw.pixels[784 + 10], UInt8(truncatingIfNeeded: 7 + 10))
            XCTAssertEqual(raw.classHistogram(), [1, 0, 0, 0, 0, 1, 0, 0, 0, 1])
            let limited = try DatasetLoader.load(.mnist, split: .train, root: root, limit: 2)
            XCTAssertEqual(limited.count, 2)
            XCTAssertEqual(limited.pixels, Array(raw.pixels[0..<2 * 784]))
            let test = try DatasetLoader.load(.mnist, split: .test, root: root)
            XCTAssertEqual(test.labels, [3, 4])
        }
    }

    func testWrongMagic() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 3, magic: 2049), labels: DataTestFixtures.idxLabels([0, 1, 2]))
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "at byte 0", "expected IDX image magic 2051", "found 2049"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
        // A raw file that is not IDX either: the message says it is not gzip.
        let raw = try makeFolder(images: Array("hello, this is not IDX".utf8), labels: DataTestFixtures.idxLabels([0]), gzip: false)
        assertThrowsMessage(["train-images-idx3-ubyte", "not gzip and not an IDX image file"]) {
            try DatasetLoader.load(.mnist, split: .train, root: raw)
        }
    }

    func testWrongImageSize() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 2, rows: 32, columns: 32), labels: DataTestFixtures.idxLabels([0, 1]))
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "at byte 8", "expected 28x28 images, header says 32x32"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testTruncatedImagesGiveOffset() throws {
        let images = Array(DataTestFixtures.idxImages(count: 3).dropLast(100))
        let root = try makeFolder(images: images, labels: DataTestFixtures.idxLabels([0, 1, 2]))
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "at byte \(16 + 3 * 784 - 100)", "header announces 3 images", "complete images: 2"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testExtraBytesAreRejected() throws {
        let images = DataTestFixtures.idxImages(count: 2) + [1, 2, 3]
        let root = try makeFolder(images: images, labels: DataTestFixtures.idxLabels([0, 1]))
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "at byte \(16 + 2 * 784)", "found 3 extra bytes"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testMismatchedCounts() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 3), labels: DataTestFixtures.idxLabels([0, 1]))
        // The image count is checked against the labels before any image is read.
        assertThrowsMessage(["train-images-idx3-ubyte.gz: at byte 4: header announces 3 images, expected 2 (the label count of", "train-labels-idx1-ubyte.gz)"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testShortLabelFile() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 3), labels: DataTestFixtures.idxLabels([0, 1], announced: 3))
        assertThrowsMessage(["train-labels-idx1-ubyte.gz", "at byte 10", "file ends after 2 labels", "announces 3 labels"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testBadLabel() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 3), labels: DataTestFixtures.idxLabels([0, 10, 2]))
        assertThrowsMessage(["train-labels-idx1-ubyte.gz", "at byte 9", "label of item 1 is 10, expected 0...9"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }

    func testMissingFileNamesIt() throws {
        let root = try makeFolder(images: DataTestFixtures.idxImages(count: 1), labels: DataTestFixtures.idxLabels([0]))
        try FileManager.default.removeItem(at: root.appendingPathComponent("mnist/train-labels-idx1-ubyte.gz"))
        assertThrowsMessage(["missing mnist train file", "train-labels-idx1-ubyte or train-labels-idx1-ubyte.gz"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
    }
}

final class IDXHugeHeaderTests: XCTestCase {
    func testHugeAnnouncedCountFailsWithoutAllocating() throws {
        let root = try DataTestFixtures.temporaryFolder()
        var images = DataTestFixtures.idxImages(count: 2)
        images.replaceSubrange(4..<8, with: DataTestFixtures.bigEndian(2_000_000_000))
        let folder = root.appendingPathComponent("mnist")
        try DataTestFixtures.write(DataTestFixtures.gzip(images), to: folder, "train-images-idx3-ubyte.gz")
        try DataTestFixtures.write(DataTestFixtures.idxLabels([1, 2]), to: folder, "train-labels-idx1-ubyte")
        assertThrowsMessage(["train-images-idx3-ubyte.gz: at byte 4: header announces 2000000000 images, expected 2"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
        // Read alone, the image file fails at its end without allocating for the header's count.
        assertThrowsMessage(["train-images-idx3-ubyte.gz", "at byte \(16 + 2 * 784)", "header announces 2000000000 images", "complete images: 2"]) {
            try IDXReader.readImages(from: GzipReader(path: folder.appendingPathComponent("train-images-idx3-ubyte.gz").path), rows: 28, columns: 28)
        }
    }
}
