/// libFuzzer's entry point for programs that keep their own `main` (`FuzzerInterface.h`):
/// it parses the libFuzzer flags in `argc`/`argv` and calls `callback` once per input.
/// Present only when linked with `-sanitize=fuzzer`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
