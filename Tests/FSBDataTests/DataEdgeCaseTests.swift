import FSBCore
@testable import FSBData
import Foundation
import XCTest

/// Empty splits and files that are not regular files are refused with the file named.
final class DataEdgeCaseTests: XCTestCase {
    func testEmptySplitsAreRefused() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("mnist")
        try DataTestFixtures.write(DataTestFixtures.gzip(DataTestFixtures.idxImages(count: 0)), to: folder, "t10k-images-idx3-ubyte.gz")
        try DataTestFixtures.write(DataTestFixtures.idxLabels([]), to: folder, "t10k-labels-idx1-ubyte")
        assertThrowsMessage(["t10k-", ": the mnist test split holds no images; expected at least 1"]) {
            try DatasetLoader.load(.mnist, split: .test, root: root)
        }
    }

    func testAFIFOOrFolderIsNotReadAsAFile() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let folder = root.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let fifo = folder.appendingPathComponent("train-labels-idx1-ubyte").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        try DataTestFixtures.write(DataTestFixtures.gzip(DataTestFixtures.idxImages(count: 1)), to: folder, "train-images-idx3-ubyte.gz")
        // Without the check this would block forever in open(2).
        assertThrowsMessage(["\(fifo): expected a regular file, found a FIFO"]) {
            try DatasetLoader.load(.mnist, split: .train, root: root)
        }
        assertThrowsMessage(["\(folder.path): expected a regular file, found a folder"]) {
            try GzipReader(path: folder.path)
        }
    }
}
