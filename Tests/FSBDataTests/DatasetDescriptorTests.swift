import FSBData
import XCTest

/// Each dataset's descriptor is consistent with itself and gives the facts fsb relied on
/// before descriptors (the values the readers, the normalisation and the tables use).
final class DatasetDescriptorTests: XCTestCase {
    func testDescriptorsAreConsistent() {
        for name in DatasetName.allCases {
            let d = name.descriptor
            XCTAssertEqual(d.channelMean.count, d.channels, name.rawValue)
            XCTAssertEqual(d.channelStd.count, d.channels, name.rawValue)
            if let classes = d.classNames { XCTAssertEqual(classes.count, d.fineClassCount, name.rawValue) }
            XCTAssertTrue(Set(d.checksums.keys).isSubset(of: Set(name.allFileNames)), name.rawValue)
            XCTAssertTrue(d.checksums.isEmpty || d.checksums.count == name.allFileNames.count, name.rawValue)
            XCTAssertEqual(d.format == .cifar, d.tarballName != nil, name.rawValue)
            for entry in d.checksums.values where d.format == .cifar {
                // A CIFAR file is whole records of label byte(s) and one image.
                XCTAssertEqual(entry.bytes % (name.imageBytes + (d.coarseClassCount == nil ? 1 : 2)), 0, name.rawValue)
            }
        }
    }

    func testFactsAreThoseOfTheOfficialReleases() {
        XCTAssertEqual(DatasetName.allCases.map { [$0.channels, $0.height, $0.width] },
                       [[1, 28, 28], [1, 28, 28], [3, 32, 32], [3, 32, 32]])
        XCTAssertEqual(DatasetName.allCases.map { $0.classCount() }, [10, 10, 10, 100])
        XCTAssertEqual(DatasetName.cifar100.classCount(labels: .coarse), 20)
        XCTAssertEqual(DatasetName.mnist.classCount(labels: .coarse), 10)
        XCTAssertEqual(DatasetName.allCases.map { $0.officialCount(.train) }, [60_000, 60_000, 50_000, 50_000])
        XCTAssertEqual(DatasetName.allCases.map { $0.officialCount(.test) }, [10_000, 10_000, 10_000, 10_000])
        XCTAssertEqual(DatasetName.cifar10.fileNames(.train).last, "data_batch_5.bin")
        XCTAssertEqual(DatasetName.mnist.fileNames(.test), ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        XCTAssertEqual(DatasetName.cifar100.officialFolderName, "cifar-100-binary")
        XCTAssertNil(DatasetName.fashionMNIST.officialTarballName)
        XCTAssertEqual(OfficialChecksums.entry(.mnist, file: "t10k-labels-idx1-ubyte")?.bytes, 10_008)
        XCTAssertNil(OfficialChecksums.entry(.cifar100, file: "train.bin"))
        XCTAssertEqual(DatasetName.cifar10.channelMean, [0.4914, 0.4822, 0.4465])
        XCTAssertEqual(DatasetName.fashionMNIST.classNames?.last, "Ankle boot")
        XCTAssertNil(DatasetName.cifar100.classNames)
    }
}
