// swift-tools-version: 6.1
import PackageDescription

// A nested package, so that building the Strata library itself never pulls in Hummingbird and SwiftNIO.
let package = Package(
    name: "FleetService",
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Named explicitly: a path dependency is otherwise known by its folder name, which depends on the clone.
        .package(name: "Strata", path: "../.."),
    ],
    targets: [
        // The routes and the store bridge, as a library so the tests can build the application in-process.
        .target(
            name: "FleetServiceCore",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                // FlatDictionary, the type of a request's query parameters.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // NIOThreadPool, where the blocking store calls run.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Strata", package: "Strata"),
            ]
        ),
        .executableTarget(
            name: "FleetService",
            dependencies: [
                "FleetServiceCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Strata", package: "Strata"),
            ]
        ),
        .testTarget(
            name: "FleetServiceTests",
            dependencies: [
                "FleetServiceCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Strata", package: "Strata"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
