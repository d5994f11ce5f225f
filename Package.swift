// swift-tools-version: 6.1
import PackageDescription

// Linux only: the engine's System/ layer uses Linux system interfaces, and Linux is
// the only platform built and tested (see Sources/Strata/System/Platform.swift).

let package = Package(
    name: "Strata",
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .executable(name: "strata", targets: ["strata"]),
        // The codecs on their own, for benchmarks and for tools that read chunks directly.
        .library(name: "StrataCodecs", targets: ["StrataCodecs"]),
        // What the tests and the benchmarks share: a seeded generator, temporary
        // directories, a reference model of a store, and a runner for the CLI.
        .library(name: "StrataTestSupport", targets: ["StrataTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // What services expect from an embedded library: log through swift-log and count
        // through swift-metrics, so the host routes both where it routes its own.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // CRC-32C with the processor's instruction (Swift cannot name it); a few lines of C.
        .target(
            name: "CStrataChecksums"
        ),
        // sync_file_range and mallopt, which Swift's Glibc module does not export; a few lines of C.
        .target(
            name: "CStrataSystem"
        ),
        .target(
            name: "StrataCodecs",
            dependencies: ["CLZ4", "CZstd", "CStrataChecksums"]
        ),
        .target(
            name: "Strata",
            dependencies: [
                "StrataCodecs",
                "CStrataSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "strata",
            dependencies: [
                "Strata",
                "StrataCodecs",
                "CStrataSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Kills a writer at random moments and checks every acknowledged point (tools/crash-test).
        .executableTarget(
            name: "strata-crash-test",
            dependencies: ["Strata"],
            path: "Sources/StrataCrashTest"
        ),
        .target(
            name: "StrataTestSupport",
            dependencies: ["Strata"],
            path: "Tests/StrataTestSupport"
        ),
        .testTarget(
            name: "StrataCodecsTests",
            dependencies: ["StrataCodecs", "StrataTestSupport"]
        ),
        .testTarget(
            name: "StrataTests",
            dependencies: [
                "Strata", "strata", "strata-crash-test", "StrataTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            resources: [.copy("Resources")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
