import FSBData
import XCTest

final class DataLocationTests: XCTestCase {
    func testRootOrder() {
        XCTAssertEqual(DataLocation(dataRoot: "/cli", environment: ["FSB_DATA_ROOT": "/env"]).root.path, "/cli")
        XCTAssertEqual(DataLocation(dataRoot: nil, environment: ["FSB_DATA_ROOT": "/env"]).root.path, "/env")
        XCTAssertEqual(DataLocation(dataRoot: nil, environment: [:]).root.path, "datasets")
        XCTAssertEqual(DataLocation(dataRoot: nil, environment: [:]).root.origin, "default data root")
    }

    func testExplicitPathWinsAndAcceptsFolderExtractedFolderAndTarball() throws {
        let base = try DataTestFixtures.temporaryFolder()
        let records = DataTestFixtures.cifar10Records([1])
        // Under the root: the extracted official folder.
        let extracted = base.appendingPathComponent("root/cifar-10/cifar-10-batches-bin")
        try DataTestFixtures.write(records, to: extracted, "test_batch.bin")
        // Elsewhere: a plain folder and a tarball.
        let plain = base.appendingPathComponent("plain")
        try DataTestFixtures.write(DataTestFixtures.gzip(records), to: plain, "test_batch.bin.gz")
        let tarball = try DataTestFixtures.write(
            DataTestFixtures.gzip(DataTestFixtures.tar(files: [("cifar-10-batches-bin/test_batch.bin", records)])),
            to: base, "mine.tar.gz")

        let root = base.appendingPathComponent("root").path
        XCTAssertEqual(try DataLocation(dataRoot: root, environment: [:]).source(for: .cifar10), .folder(extracted.path))
        XCTAssertEqual(try DataLocation(dataRoot: nil, environment: ["FSB_DATA_ROOT": root]).source(for: .cifar10), .folder(extracted.path))
        XCTAssertEqual(try DataLocation(explicitPath: plain.path, dataRoot: root, environment: [:]).source(for: .cifar10), .folder(plain.path))
        XCTAssertEqual(try DataLocation(explicitPath: tarball, dataRoot: root, environment: [:]).source(for: .cifar10), .tarball(tarball))
        for location in [DataLocation(dataRoot: root, environment: [:]), DataLocation(explicitPath: plain.path),
                         DataLocation(explicitPath: tarball)] {
            XCTAssertEqual(try DatasetLoader.load(.cifar10, split: .test, location: location).labels, [1])
        }
    }

    func testOfficialTarballInsideDatasetFolder() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let tarball = try DataTestFixtures.write(DataTestFixtures.gzip(DataTestFixtures.tar(files: [])),
                                                 to: root.appendingPathComponent("cifar-100"), "cifar-100-binary.tar.gz")
        XCTAssertEqual(try DataLocation(dataRoot: root.path, environment: [:]).source(for: .cifar100), .tarball(tarball))
    }

    func testNotFoundListsWhereItLooked() throws {
        let root = try DataTestFixtures.temporaryFolder().path
        assertThrowsMessage(["cifar-10: not found (--data-root)", "\(root)/cifar-10", "\(root)/cifar-10/cifar-10-batches-bin",
                             "\(root)/cifar-10/cifar-10-binary.tar.gz", "data_batch_1.bin[.gz]"]) {
            try DataLocation(dataRoot: root, environment: [:]).source(for: .cifar10)
        }
        assertThrowsMessage(["mnist: not found (FSB_DATA_ROOT)", "\(root)/mnist"]) {
            try DataLocation(environment: ["FSB_DATA_ROOT": root]).source(for: .mnist)
        }
        assertThrowsMessage(["not found (explicit path)", "/nowhere/x"]) {
            try DataLocation(explicitPath: "/nowhere/x").source(for: .fashionMNIST)
        }
    }
}
