import FSBData
import XCTest

final class CIFARReaderTests: XCTestCase {
    /// A CIFAR-10 folder: batch k holds `perBatch` records, test holds 3.
    func makeCIFAR10(perBatch: Int = 2, gzip: Bool = true, override: [String: [UInt8]] = [:]) throws -> URL {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("cifar-10")
        for (k, name) in DatasetName.cifar10.allFileNames.enumerated() {
            let count = name == "test_batch.bin" ? 3 : perBatch
            let bytes = override[name] ?? DataTestFixtures.cifar10Records((0..<count).map { UInt8((k + $0) % 10) })
            try DataTestFixtures.write(gzip ? DataTestFixtures.gzip(bytes) : bytes, to: folder, name + (gzip ? ".gz" : ""))
        }
        return root
    }

    func testReadsBatchesInOrder() throws {
        for gzip in [true, false] {
            let root = try makeCIFAR10(gzip: gzip)
            let raw = try DatasetLoader.load(.cifar10, split: .train, root: root)
            XCTAssertEqual(raw.count, 10)
            XCTAssertEqual([raw.channels, raw.height, raw.width, raw.classCount], [3, 32, 32, 10])
            XCTAssertEqual(raw.labels, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
            XCTAssertEqual(raw.sourceFiles.count, 5)
            // Record 1 of batch 2 (overall image 3): pixel j is (1 + j) % 256.
            XCTAssertEqual(raw.pixels[3 * 3072 + 1000], UInt8((1 + 1000) % 256))
            let limited = try DatasetLoader.load(.cifar10, split: .train, root: root, limit: 3)
            XCTAssertEqual(limited.labels, [0, 1, 1])
            XCTAssertEqual(limited.sourceFiles.count, 2)
            let test = try DatasetLoader.load(.cifar10, split: .test, root: root)
            XCTAssertEqual(test.labels, [5, 6, 7])
        }
    }

    func testLengthNotMultipleOfRecord() throws {
        let bytes = DataTestFixtures.cifar10Records([1, 2]) + [7, 7, 7]
        let root = try makeCIFAR10(override: ["data_batch_3.bin": bytes])
        assertThrowsMessage(["data_batch_3.bin.gz", "at byte 6146", "not a multiple of the 3073-byte record", "last record has 3 bytes"]) {
            try DatasetLoader.load(.cifar10, split: .train, root: root)
        }
    }

    func testBadLabelGivesRecordAndOffset() throws {
        let root = try makeCIFAR10(override: ["data_batch_2.bin": DataTestFixtures.cifar10Records([1, 10])])
        assertThrowsMessage(["data_batch_2.bin.gz", "at byte 3073", "label of record 1 is 10, expected 0...9"]) {
            try DatasetLoader.load(.cifar10, split: .train, root: root)
        }
    }

    /// Files longer than the reader's first chunks (8, 16, 32, … records): every record
    /// arrives in order, and errors in later chunks name the right record and byte.
    func testLongFilesAcrossGrowingChunks() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        func read(_ bytes: [UInt8], pixels: inout [UInt8], labels: inout [Int32]) throws -> Int {
            let path = try DataTestFixtures.write(DataTestFixtures.gzip(bytes), to: folder, "long.bin.gz")
            return try CIFARReader.readRecords(from: GzipReader(path: path), format: .cifar10, pixels: &pixels, labels: &labels)
        }
        let labels = (0..<1_100).map { UInt8($0 % 10) }
        let whole = DataTestFixtures.cifar10Records(labels)
        var pixels: [UInt8] = [], read32: [Int32] = []
        XCTAssertEqual(try read(whole, pixels: &pixels, labels: &read32), 1_100)
        XCTAssertEqual(read32, labels.map(Int32.init))
        XCTAssertEqual(pixels.count, 1_100 * 3072)
        XCTAssertEqual(Array(pixels[(1_037 * 3072)..<(1_037 * 3072 + 4)]), Array(whole[(1_037 * 3073 + 1)..<(1_037 * 3073 + 5)]))
        for (record, cut) in [(37, 0), (700, 0), (1_099, 5)] {
            var damaged = whole
            if cut == 0 { damaged[record * 3073] = 10 } else { damaged.removeLast(cut) }
            XCTAssertThrowsError(try read(damaged, pixels: &pixels, labels: &read32)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("at byte \(record * 3073)"), text)
                XCTAssertTrue(text.contains(cut == 0 ? "label of record \(record) is 10" : "last record has 3068 bytes"), text)
            }
        }
    }

    func testEmptyFile() throws {
        let root = try makeCIFAR10(override: ["test_batch.bin": []])
        assertThrowsMessage(["test_batch.bin.gz", "found an empty file"]) {
            try DatasetLoader.load(.cifar10, split: .test, root: root)
        }
    }

    func testCIFAR100FineAndCoarse() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("cifar-100")
        try DataTestFixtures.write(DataTestFixtures.cifar100Records([(3, 30), (19, 99), (0, 0)]), to: folder, "train.bin")
        try DataTestFixtures.write(DataTestFixtures.gzip(DataTestFixtures.cifar100Records([(5, 55)])), to: folder, "test.bin.gz")
        let fine = try DatasetLoader.load(.cifar100, split: .train, root: root, labels: .fine)
        XCTAssertEqual(fine.labels, [30, 99, 0])
        XCTAssertEqual(fine.classCount, 100)
        XCTAssertEqual(fine.pixels[3072 + 5], UInt8(3 + 5))
        let coarse = try DatasetLoader.load(.cifar100, split: .train, root: root, labels: .coarse)
        XCTAssertEqual(coarse.labels, [3, 19, 0])
        XCTAssertEqual(coarse.classCount, 20)
        XCTAssertEqual(coarse.pixels, fine.pixels)
        XCTAssertEqual(try DatasetLoader.load(.cifar100, split: .test, root: root).labels, [55])
    }

    func testCIFAR100BadLabels() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("cifar-100")
        try DataTestFixtures.write(DataTestFixtures.cifar100Records([(3, 30), (20, 1)]), to: folder, "train.bin")
        try DataTestFixtures.write(DataTestFixtures.cifar100Records([(3, 100)]), to: folder, "test.bin")
        assertThrowsMessage(["train.bin", "at byte 3074", "coarse label of record 1 is 20, expected 0...19"]) {
            try DatasetLoader.load(.cifar100, split: .train, root: root)
        }
        assertThrowsMessage(["test.bin", "at byte 1", "fine label of record 0 is 100, expected 0...99"]) {
            try DatasetLoader.load(.cifar100, split: .test, root: root, labels: .coarse)
        }
        try DataTestFixtures.write(Array(DataTestFixtures.cifar100Records([(1, 1), (2, 2)]).dropLast()), to: folder, "test.bin")
        assertThrowsMessage(["test.bin", "at byte 3074", "not a multiple of the 3074-byte record"]) {
            try DatasetLoader.load(.cifar100, split: .test, root: root)
        }
    }
}

final class CIFARWrongFileTests: XCTestCase {
    func testRawFileThatIsNotCIFARSaysSo() throws {
        let root = try DataTestFixtures.temporaryFolder()
        try DataTestFixtures.write(Array(repeating: UInt8(ascii: "x"), count: 3073), to: root.appendingPathComponent("cifar-10"), "test_batch.bin")
        assertThrowsMessage(["test_batch.bin", "at byte 0", "label of record 0 is 120, expected 0...9", "not gzip and not a CIFAR binary file"]) {
            try DatasetLoader.load(.cifar10, split: .test, root: root)
        }
    }
}
