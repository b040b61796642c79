import FSBData
import XCTest

final class TarArchiveReaderTests: XCTestCase {
    func testStreamsMembersWithPaddingAndLongPaths() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let longPath = String(repeating: "deep/", count: 25) + "file.txt"
        let a = (0..<1000).map { UInt8($0 % 251) }, b = [UInt8](repeating: 9, count: 512), c: [UInt8] = [1]
        let archive = DataTestFixtures.tar(files: [("top/a.bin", a), ("top/b.bin", b), (longPath, c)], directories: ["top"])
        let path = try DataTestFixtures.write(DataTestFixtures.gzip(archive), to: folder, "t.tar.gz")
        let reader = TarArchiveReader(source: try GzipReader(path: path))
        var seen: [(String, Bool, [UInt8])] = []
        while let member = try reader.nextMember() {
            // Read only part of b.bin: the reader must skip the rest itself.
            let content = member.path == "top/b.bin" ? try member.readBytes(count: 10, what: "head") : try member.readToEnd()
            seen.append((member.path, member.isRegularFile, content))
        }
        XCTAssertEqual(seen.map(\.0), ["top/", "top/a.bin", "top/b.bin", longPath])
        XCTAssertEqual(seen.map(\.1), [false, true, true, true])
        XCTAssertEqual(seen[1].2, a)
        XCTAssertEqual(seen[2].2, Array(b[0..<10]))
        XCTAssertEqual(seen[3].2, c)
    }

    func testTruncatedArchiveAndBadChecksum() throws {
        let folder = try DataTestFixtures.temporaryFolder()
        let archive = DataTestFixtures.tar(files: [("x/data.bin", [UInt8](repeating: 1, count: 5000))])
        let cut = try DataTestFixtures.write(DataTestFixtures.gzip(Array(archive[0..<3000])), to: folder, "cut.tar.gz")
        assertThrowsMessage(["cut.tar.gz:x/data.bin", "truncated tar archive", "5000 bytes ends after 2488 bytes"]) {
            let reader = TarArchiveReader(source: try GzipReader(path: cut))
            while let member = try reader.nextMember() { _ = try member.readToEnd() }
        }
        var corrupt = archive
        corrupt[10] ^= 0x20
        let bad = try DataTestFixtures.write(corrupt, to: folder, "bad.tar")
        assertThrowsMessage(["bad.tar", "at byte 0", "bad tar header checksum"]) {
            try TarArchiveReader(source: try GzipReader(path: bad)).nextMember()
        }
    }

    func testLoadsCIFAR10AndCIFAR100FromOfficialTarballs() throws {
        let root = try DataTestFixtures.temporaryFolder()
        var files: [(path: String, content: [UInt8])] = [("cifar-10-batches-bin/batches.meta.txt", Array("airplane\n".utf8))]
        // Members deliberately out of order: the loader must still concatenate batches 1...5.
        for k in [3, 1, 2, 5, 4] {
            files.append(("cifar-10-batches-bin/data_batch_\(k).bin", DataTestFixtures.cifar10Records([UInt8(k), UInt8(k)])))
        }
        files.append(("cifar-10-batches-bin/test_batch.bin", DataTestFixtures.cifar10Records([9])))
        let tarball = DataTestFixtures.gzip(DataTestFixtures.tar(files: files, directories: ["cifar-10-batches-bin"]))
        try DataTestFixtures.write(tarball, to: root.appendingPathComponent("cifar-10"), "cifar-10-binary.tar.gz")
        let train = try DatasetLoader.load(.cifar10, split: .train, root: root)
        XCTAssertEqual(train.labels, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        XCTAssertEqual(train.sourceFiles.first, root.appendingPathComponent("cifar-10/cifar-10-binary.tar.gz").path + ":cifar-10-batches-bin/data_batch_1.bin")
        XCTAssertEqual(try DatasetLoader.load(.cifar10, split: .test, root: root).labels, [9])
        XCTAssertEqual(try DatasetLoader.load(.cifar10, split: .train, root: root, limit: 3).labels, [1, 1, 2])

        let cifar100 = DataTestFixtures.gzip(DataTestFixtures.tar(files: [
            ("cifar-100-binary/train.bin", DataTestFixtures.cifar100Records([(1, 11), (2, 22)])),
            ("cifar-100-binary/test.bin", DataTestFixtures.cifar100Records([(3, 33)])),
        ]))
        try DataTestFixtures.write(cifar100, to: root.appendingPathComponent("cifar-100"), "cifar-100-binary.tar.gz")
        XCTAssertEqual(try DatasetLoader.load(.cifar100, split: .train, root: root, labels: .coarse).labels, [1, 2])
        XCTAssertEqual(try DatasetLoader.load(.cifar100, split: .test, root: root).labels, [33])
    }

    func testTarballWithoutTheMemberSaysWhichIsMissing() throws {
        let root = try DataTestFixtures.temporaryFolder()
        let tarball = DataTestFixtures.gzip(DataTestFixtures.tar(files: [("cifar-10-batches-bin/data_batch_1.bin", DataTestFixtures.cifar10Records([1]))]))
        try DataTestFixtures.write(tarball, to: root.appendingPathComponent("cifar-10"), "cifar-10-binary.tar.gz")
        assertThrowsMessage(["cifar-10-binary.tar.gz", "no member named test_batch.bin"]) {
            try DatasetLoader.load(.cifar10, split: .test, root: root)
        }
    }
}
