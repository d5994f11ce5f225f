// swift-tools-version: 6.1
// Fuzz targets for Strata (libFuzzer + AddressSanitizer). A package of its own,
// so the root package's `swift build` / `swift test` never see it; `tools/fuzz`
// builds it with `-sanitize=fuzzer,address -D FUZZING`. See README.md.
import PackageDescription

let fuzzTargets = ["long-csv", "wide-csv", "line-protocol", "codecs", "segment", "wal", "manifest"]

let package = Package(
    name: "StrataFuzz",
    dependencies: [
        .package(name: "Strata", path: "../../"),
    ],
    targets: [
        // What every target runs on one input, and the checksum fix-ups.
        .target(
            name: "StrataFuzzTargets",
            dependencies: [.product(name: "Strata", package: "Strata"), .product(name: "StrataCodecs", package: "Strata")]
        ),
        // Writes the seed corpora (built without sanitizers: `tools/fuzz seeds`).
        .executableTarget(
            name: "strata-fuzz-seeds",
            dependencies: ["StrataFuzzTargets", .product(name: "Strata", package: "Strata"), .product(name: "StrataCodecs", package: "Strata")]
        ),
    ] + fuzzTargets.map { name in
        // One executable a target: libFuzzer's main with -D FUZZING, else a replayer of the files given.
        .executableTarget(name: "fuzz-" + name, dependencies: ["StrataFuzzTargets"], path: "Sources/fuzz-" + name)
    },
    swiftLanguageModes: [.v6]
)
