import FSBCore
@testable import FSBExperiments
import XCTest

/// User errors name the file and the JSON path or the folder, in words; groups of files
/// are written all or none.
final class ErrorWordingTests: XCTestCase {
    func testUnknownLayerOverrideNamesTheConfigPath() throws {
        var config = try HardeningFixtures.tinyConfig()
        config.model.layerMethods = ["conv9": .bwn]
        let folder = HardeningFixtures.temporaryFolder(self)
        XCTAssertThrowsError(try Trainer(config: config, options: .init(runDirectory: folder, dataRoot: HardeningFixtures.dataRoot, quiet: true))) { error in
            guard let problem = error as? ConfigError else { return XCTFail("\(error)") }
            XCTAssertEqual(problem.located(in: "run.json").description, "run.json: model.layerMethods.conv9: no such layer; layers are: fc1, fc2, fc")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "nothing may be written")
    }

    /// Input echoed in a message is clipped, so that an absurd value cannot fill a terminal.
    func testALongMessageIsClippedToOneShortLine() throws {
        let name = String(repeating: "n", count: 100_000)
        let json = HardeningFixtures.baseJSON.replacingOccurrences(of: #""name": "format-v1""#, with: #""name": "\#(name)""#)
        XCTAssertThrowsError(try ExperimentConfig.decode(json: json, file: "n.json")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("n.json: name: must be a single folder name"), String(message.prefix(80)))
            let note = message.dropFirst(1000)
            XCTAssertTrue(note.hasPrefix("… (clipped; ") && note.hasSuffix(" characters in all)"), String(note))
            let total = Int(note.dropFirst("… (clipped; ".count).prefix { $0.isNumber }) ?? 0
            XCTAssertGreaterThan(total, 100_000, "the note gives the full length")
        }
        XCTAssertEqual(FSBError(String(repeating: "x", count: 1000)).description.count, 1000, "1000 characters stay whole")
    }

    /// A rename that fails part-way (an immutable last file, `chattr +i`: root on a file
    /// system with attributes) puts the files already renamed back as they were.
    func testAGroupWhoseLastRenameFailsPutsTheOthersBack() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let names = ["eval.csv", "per_class.csv", "confusion.csv"]
        for (i, name) in names.enumerated() { try Data("\(i)".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        func chattr(_ flag: String) throws -> Int32 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr") else { return -1 }
            return try CModuleFixtures.run(["/usr/bin/chattr", flag, folder + "/confusion.csv"]).status
        }
        guard try chattr("+i") == 0 else { throw XCTSkip("cannot make a file immutable here (needs root and chattr)") }
        addTeardownBlock { _ = try? chattr("-i") }
        let files: [(url: URL, data: Data)] = names.map { (URL(fileURLWithPath: folder + "/" + $0), Data("new".utf8)) }
        XCTAssertThrowsError(try AtomicFile.writeGroup(files)) { error in
            XCTAssertEqual("\(error)", "\(folder)/confusion.csv: cannot rename temporary file into place: Operation not permitted")
        }
        for (i, name) in names.enumerated() {
            XCTAssertEqual(try String(contentsOfFile: folder + "/" + name, encoding: .utf8), "\(i)", name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), names.sorted(), "no temporary or kept file is left")
    }

    func testFolderThatCannotBeCreatedIsNamedInWords() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/plain"))
        XCTAssertThrowsError(try AtomicFile.write("a", to: URL(fileURLWithPath: folder + "/plain/sub/file.csv"))) { error in
            XCTAssertEqual("\(error)", "\(folder)/plain/sub: cannot create folder: \(folder)/plain is not a folder")
        }
        XCTAssertThrowsError(try Folders.create(folder + "/plain/sub")) { error in
            XCTAssertEqual("\(error)", "\(folder)/plain/sub: cannot create folder: Not a directory")
        }
    }

    func testAGroupOfFilesIsWrittenAllOrNone() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/plain"))
        let files: [(url: URL, data: Data)] = [
            (URL(fileURLWithPath: folder + "/eval.csv"), Data("1".utf8)),
            (URL(fileURLWithPath: folder + "/per_class.csv"), Data("2".utf8)),
            (URL(fileURLWithPath: folder + "/plain/confusion.csv"), Data("3".utf8)),
        ]
        XCTAssertThrowsError(try AtomicFile.writeGroup(files))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["plain"])
        try AtomicFile.writeGroup(Array(files.prefix(2)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["eval.csv", "per_class.csv", "plain"])
        // A folder where the last file goes: refused before the first is replaced.
        try FileManager.default.createDirectory(atPath: folder + "/confusion.csv/keep", withIntermediateDirectories: true)
        let again: [(url: URL, data: Data)] = [files[0].url, files[1].url, URL(fileURLWithPath: folder + "/confusion.csv")]
            .map { (url: $0, data: Data("new".utf8)) }
        XCTAssertThrowsError(try AtomicFile.writeGroup(again)) { error in
            XCTAssertEqual("\(error)", "\(folder)/confusion.csv: cannot write: expected a file or nothing there, found a folder")
        }
        XCTAssertEqual(try String(contentsOfFile: folder + "/eval.csv", encoding: .utf8), "1", "the old file stays")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["confusion.csv", "eval.csv", "per_class.csv", "plain"])
    }

    /// Stale files of a group (an earlier run's verify.txt) are gone once it is written; a
    /// stale folder is refused before anything is written.
    func testAGroupRemovesItsStaleFiles() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let url = { (name: String) in URL(fileURLWithPath: folder + "/" + name) }
        for name in ["layers.csv", "verify.txt", "predictions.csv"] { try Data("old".utf8).write(to: url(name)) }
        try AtomicFile.writeGroup([(url("layers.csv"), Data("new".utf8))], removing: [url("verify.txt"), url("predictions.csv"), url("absent.txt")])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["layers.csv"])
        XCTAssertEqual(try String(contentsOfFile: folder + "/layers.csv", encoding: .utf8), "new")
        // A stale name that the group also writes is written, not removed.
        try AtomicFile.writeGroup([(url("verify.txt"), Data("v".utf8))], removing: [url("verify.txt")])
        XCTAssertEqual(try String(contentsOfFile: folder + "/verify.txt", encoding: .utf8), "v")
        try FileManager.default.createDirectory(atPath: folder + "/predictions.csv", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.writeGroup([(url("layers.csv"), Data("newer".utf8))], removing: [url("predictions.csv")])) { error in
            XCTAssertEqual("\(error)", "\(folder)/predictions.csv: cannot write: expected a file or nothing there, found a folder")
        }
        XCTAssertEqual(try String(contentsOfFile: folder + "/layers.csv", encoding: .utf8), "new", "nothing was written")
    }

    /// A stale file that cannot be removed (immutable, `chattr +i`) leaves the group unwritten,
    /// and a failed rename puts the stale files already set aside back.
    func testAGroupThatCannotRemoveAStaleFileWritesNothing() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let url = { (name: String) in URL(fileURLWithPath: folder + "/" + name) }
        for name in ["layers.csv", "totals.csv", "verify.txt", "predictions.csv"] { try Data("old".utf8).write(to: url(name)) }
        func chattr(_ flag: String, _ name: String) throws -> Int32 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr") else { return -1 }
            return try CModuleFixtures.run(["/usr/bin/chattr", flag, folder + "/" + name]).status
        }
        guard try chattr("+i", "predictions.csv") == 0 else { throw XCTSkip("cannot make a file immutable here (needs root and chattr)") }
        addTeardownBlock { _ = try? chattr("-i", "predictions.csv"); _ = try? chattr("-i", "totals.csv") }
        let group: [(url: URL, data: Data)] = [(url("layers.csv"), Data("new".utf8)), (url("totals.csv"), Data("new".utf8))]
        XCTAssertThrowsError(try AtomicFile.writeGroup(group, removing: [url("verify.txt"), url("predictions.csv")])) { error in
            XCTAssertEqual("\(error)", "\(folder)/predictions.csv: cannot remove the earlier run's file: Operation not permitted")
        }
        _ = try chattr("-i", "predictions.csv")
        _ = try chattr("+i", "totals.csv")
        XCTAssertThrowsError(try AtomicFile.writeGroup(group, removing: [url("verify.txt"), url("predictions.csv")])) { error in
            XCTAssertEqual("\(error)", "\(folder)/totals.csv: cannot rename temporary file into place: Operation not permitted")
        }
        for name in ["layers.csv", "totals.csv", "verify.txt", "predictions.csv"] {
            XCTAssertEqual(try String(contentsOfFile: folder + "/" + name, encoding: .utf8), "old", name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).count, 4, "no temporary, kept or set-aside file is left")
    }
}
