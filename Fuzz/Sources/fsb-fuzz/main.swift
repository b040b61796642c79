import Foundation

// fsb-fuzz: one libFuzzer binary for all readers; FSB_FUZZ_TARGET names the reader
// (`FuzzTarget`). With FSB_FUZZ_REENCODE="SOURCE:DESTINATION" it instead re-encodes a
// checkpoint in the current format (a seed) and exits. The libFuzzer flags pass through.
let environment = ProcessInfo.processInfo.environment
if let reencode = environment["FSB_FUZZ_REENCODE"] {
    let paths = reencode.split(separator: ":", maxSplits: 1).map(String.init)
    guard paths.count == 2 else { fuzzFailure("FSB_FUZZ_REENCODE: expected SOURCE:DESTINATION, got \(reencode)") }
    do {
        try CheckpointTargets.reencode(paths[0], to: paths[1])
    } catch {
        fuzzFailure("FSB_FUZZ_REENCODE: \(error)")
    }
    exit(0)
}
guard let name = environment["FSB_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    fuzzFailure("set FSB_FUZZ_TARGET to one of \(names)")
}
/// The scratch file and target of this process, read by the C callback (which cannot capture).
nonisolated(unsafe) let scratch = ScratchFile(name: target.fileName)
nonisolated(unsafe) let selectedTarget = target

atexit { scratch.remove() }

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in
    let input = UnsafeRawBufferPointer(start: data, count: count)
    selectedTarget.fileBytes(for: input).withUnsafeBytes { scratch.write($0) }
    selectedTarget.run(path: scratch.path)
    return 0
})
