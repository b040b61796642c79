import FSBData
import XCTest

/// The samples shipped in `datasets/samples` load with every reader and are recognised
/// as subsets of the official files.
final class SampleDatasetTests: XCTestCase {
    let root = DataTestFixtures.samplesRoot

    func testIDXSamples() throws {
        for name in [DatasetName.mnist, .fashionMNIST] {
            let train = try DatasetLoader.load(name, split: .train, root: root)
            let test = try DatasetLoader.load(name, split: .test, root: root)
            XCTAssertEqual(train.count, 5000, name.rawValue)
            XCTAssertEqual(test.count, 1000, name.rawValue)
            XCTAssertEqual([train.channels, train.height, train.width, train.classCount], [1, 28, 28, 10])
            XCTAssertEqual(train.pixels.count, 5000 * 784)
            XCTAssertTrue(train.classHistogram().allSatisfy { $0 > 300 }, "\(name): \(train.classHistogram())")
            XCTAssertEqual(train.classHistogram().reduce(0, +), 5000)
        }
        // The first MNIST training labels are well known: 5 0 4 1 9 2 1 3 1 4.
        XCTAssertEqual(Array(try DatasetLoader.load(.mnist, split: .train, root: root, limit: 10).labels),
                       [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    }

    func testCIFAR10Sample() throws {
        let train = try DatasetLoader.load(.cifar10, split: .train, root: root)
        let test = try DatasetLoader.load(.cifar10, split: .test, root: root)
        XCTAssertEqual(train.count, 1000)
        XCTAssertEqual(test.count, 500)
        XCTAssertEqual(train.sourceFiles.map { ($0 as NSString).lastPathComponent },
                       (1...5).map { "data_batch_\($0).bin.gz" })
        XCTAssertEqual(train.classHistogram().reduce(0, +), 1000)
        // First record of data_batch_1 is a frog (6), of test_batch a cat (3).
        XCTAssertEqual(train.labels[0], 6)
        XCTAssertEqual(test.labels[0], 3)
    }

    func testInventoryMarksSamplesAsSubsets() throws {
        let inventory = DatasetInventory.inspect(.mnist, location: DataLocation(dataRoot: root.path, environment: [:]), checksums: true)
        XCTAssertFalse(inventory.hasProblems)
        XCTAssertEqual(inventory.checksums.map(\.originalName), DatasetName.mnist.allFileNames)
        XCTAssertTrue(inventory.checksums.allSatisfy { $0.status == .subset })
        let report = inventory.render()
        XCTAssertTrue(report.contains("train: 5,000 images 1x28x28, 10 classes (subset of the official 60,000)"), report)
        XCTAssertTrue(report.contains("subset (not the official file)"), report)
    }

    func testDatasetsVerdictFailsWhenNothingIsFound() {
        let empty = DataLocation(dataRoot: "/nonexistent-fsb-root", environment: [:])
        let none = DatasetName.allCases.map { DatasetInventory.inspect($0, location: empty, checksums: false) }
        XCTAssertEqual(DatasetInventory.verdict(none, askedByName: false, root: empty.root)?.description,
                       "no dataset found under /nonexistent-fsb-root (--data-root); give --data-root DIR (e.g. datasets/samples) or set $FSB_DATA_ROOT")
        let samples = DataLocation(dataRoot: root.path, environment: [:])
        let mnist = DatasetInventory.inspect(.mnist, location: samples, checksums: false)
        let cifar100 = DatasetInventory.inspect(.cifar100, location: samples, checksums: false)
        XCTAssertNil(DatasetInventory.verdict([mnist, cifar100], askedByName: false, root: samples.root))
        XCTAssertEqual(DatasetInventory.verdict([mnist, cifar100], askedByName: true, root: samples.root)?.description,
                       "problems found in cifar-100 (see above)")
    }

    func testChecksumStatus() {
        let reference = OfficialChecksums.entry(.cifar10, file: "test_batch.bin")!
        XCTAssertEqual(DatasetInventory.status(.cifar10, file: "test_batch.bin", digest: FileDigest(bytes: reference.bytes, sha256: reference.sha256)), .matches)
        XCTAssertEqual(DatasetInventory.status(.cifar10, file: "test_batch.bin", digest: FileDigest(bytes: reference.bytes, sha256: "00")), .mismatch)
        XCTAssertEqual(DatasetInventory.status(.cifar10, file: "test_batch.bin", digest: FileDigest(bytes: 3073, sha256: "00")), .subset)
        XCTAssertEqual(DatasetInventory.status(.cifar100, file: "test.bin", digest: FileDigest(bytes: 3074, sha256: "00")), .unknown)
    }
}

/// `OfficialChecksums` (used by `fsb datasets`) and `datasets/SHA256SUMS.uncompressed`
/// (used by `scripts/fetch-datasets.sh`) must list the same digests.
final class OfficialChecksumsTests: XCTestCase {
    func testSwiftTableMatchesChecksumFile() throws {
        let text = try String(contentsOf: DataTestFixtures.repositoryRoot.appendingPathComponent("datasets/SHA256SUMS.uncompressed"), encoding: .utf8)
        var listed = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            XCTAssertEqual(fields.count, 2, String(line))
            let parts = fields[1].split(separator: "/")
            let name = try XCTUnwrap(DatasetName(rawValue: String(parts[0])))
            XCTAssertEqual(OfficialChecksums.entry(name, file: String(parts[1]))?.sha256, String(fields[0]), String(line))
            listed += 1
        }
        let known = DatasetName.allCases.flatMap { name in name.allFileNames.compactMap { OfficialChecksums.entry(name, file: $0) } }
        XCTAssertEqual(listed, known.count)
        XCTAssertEqual(listed, 14)
    }
}
