@testable import FSBExperiments
import XCTest

/// The `--emit slurm` values: sbatch's own forms pass, anything else (another line, another
/// directive, a word) is refused.
final class SlurmOptionsTests: XCTestCase {
    func testTimeLimitsInSbatchForms() {
        for valid in ["30", "30:00", "4:00:00", "1-0", "1-02:00", "1-02:00:00", "UNLIMITED", "infinite"] {
            XCTAssertTrue(SlurmOptions.isTimeLimit(valid), valid)
        }
        for invalid in ["", "soon", "1:2:3:4", "1-", "-1", "1-2-3", "4:00:00\n#SBATCH --x", "4h", "1234567:00"] {
            XCTAssertFalse(SlurmOptions.isTimeLimit(invalid), invalid)
        }
    }

    func testMemorySizesInSbatchForms() {
        for valid in ["8G", "512", "16000M", "1t", "64k"] {
            XCTAssertTrue(SlurmOptions.isMemory(valid), valid)
        }
        for invalid in ["", "lots", "8GB", "G", "1G\n#SBATCH --x", "-1G", "1234567890123"] {
            XCTAssertFalse(SlurmOptions.isMemory(invalid), invalid)
        }
    }

    func testCheckNamesTheOption() {
        XCTAssertThrowsError(try SlurmOptions.check(cpusPerTask: 0, time: nil, memory: nil)) { error in
            XCTAssertEqual("\(error)", "--cpus-per-task must be in 1...4096, got 0")
        }
        XCTAssertNoThrow(try SlurmOptions.check(cpusPerTask: 4096, time: "1-00:00:00", memory: "8G"))
    }
}
