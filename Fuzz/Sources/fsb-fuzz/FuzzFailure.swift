import Foundation

/// Reports a broken expectation and aborts, so that libFuzzer records the input as a crash
/// (an artifact under `Fuzz/artifacts/`) and stops.
func fuzzFailure(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fsb-fuzz: expectation failed: \(message)\n".utf8))
    abort()
}
