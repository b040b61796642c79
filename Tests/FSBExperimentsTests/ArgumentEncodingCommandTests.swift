import FSBCore
import Foundation
import XCTest

/// `fsb` given a path that is not UTF-8 (here `--output` with the bytes FF FE, passed by a
/// shell since `Process` only takes Swift strings) refuses it before doing anything: exit 64,
/// one line naming the option, the byte and its offset, and nothing written.
final class ArgumentEncodingCommandTests: XCTestCase {
    func testNonUTF8OutputPathIsRefusedAndNothingIsWritten() throws {
        let folder = HardeningFixtures.temporaryFolder(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.arguments = ["-c", "exec \"$0\" train --config \"$1\" --output \"$(printf 'run\\377\\376')\"",
                             try HardeningFixtures.fsbExecutable(), HardeningFixtures.root.appendingPathComponent("configs/quickstart.json").path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 64)
        XCTAssertEqual(message, "Error: argument 5 (the value of --output): expected UTF-8 text (paths and names are UTF-8 in fsb), found byte 0xFF at byte offset 3 that is not UTF-8; rename the file or folder, or pass a UTF-8 path to it (e.g. a symbolic link)\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}
