// swift-tools-version:6.0
import PackageDescription

/// fsb: Fixed-Sign Binary neural networks — training, hardware simulation and ablations.
/// Data flows one way: files → datasets → network → trainer → results, and beside it
/// network shape → accelerator simulator → reports. The target graph below enforces that.
let optimizedC: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "fsb",
    products: [
        .executable(name: "fsb", targets: ["fsb"]),
        // The readers and configs as a library, for the fuzz package in Fuzz/ (built apart,
        // with sanitizers, so that `swift build` and `swift test` here stay plain).
        .library(name: "FSBReaders", targets: ["FSBCore", "FSBData", "FSBHardware", "FSBExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: optimizedC),
        // C code of the benchmarks only (fsb-bench), kept out of the tool's kernels.
        .target(name: "CBench", path: "Sources/CBench", cSettings: optimizedC),
        .target(name: "FSBCore", dependencies: ["CKernels"]),
        .target(name: "FSBData", dependencies: ["FSBCore", "CZlib"]),
        .target(name: "FSBNN", dependencies: ["FSBCore", "CKernels"]),
        .target(name: "FSBHardware", dependencies: ["FSBCore"]),
        .target(name: "FSBExperiments", dependencies: ["FSBCore", "FSBData", "FSBNN", "FSBHardware"]),
        .executableTarget(name: "fsb", dependencies: [
            "FSBCore", "FSBData", "FSBNN", "FSBHardware", "FSBExperiments",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "fsb-bench", dependencies: [
            "FSBCore", "FSBData", "FSBNN", "FSBExperiments", "CKernels", "CBench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["FSBCore"], path: "Tests/TestSupport"),
        .testTarget(name: "FSBCoreTests", dependencies: ["FSBCore", "CKernels", "TestSupport"]),
        .testTarget(name: "FSBDataTests", dependencies: ["FSBData", "TestSupport"]),
        .testTarget(name: "FSBNNTests", dependencies: ["FSBNN", "CKernels", "TestSupport"]),
        .testTarget(name: "FSBHardwareTests", dependencies: ["FSBHardware", "TestSupport"]),
        .testTarget(name: "FSBExperimentsTests", dependencies: ["FSBExperiments", "TestSupport"]),
        .testTarget(name: "FSBCommandTests", dependencies: [
            "fsb", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ]
)
