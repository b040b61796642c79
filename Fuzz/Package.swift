// swift-tools-version:6.0
import PackageDescription

/// libFuzzer targets for fsb's readers (gzip, tar, IDX, CIFAR, checkpoint, experiment config,
/// compare spec, hardware config, topology CSV). A package of its own, depending on the main
/// one by path, because its entry point hands `main` to libFuzzer and only links with
/// `-sanitize=fuzzer`: the main package's `swift build` and `swift test` never see it.
/// Built and run by `scripts/fuzz.sh` (which passes the sanitizers and lld).
let package = Package(
    name: "fsb-fuzz",
    dependencies: [
        .package(name: "fsb", path: ".."),
    ],
    targets: [
        .executableTarget(name: "fsb-fuzz", dependencies: [
            .product(name: "FSBReaders", package: "fsb"),
        ]),
    ]
)
