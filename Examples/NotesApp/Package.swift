// swift-tools-version: 6.1
import PackageDescription

/// A small Hummingbird app that uses Tally as an app author would: it depends on Tally by path, tracks events from
/// its routes, mounts GitLab's usage_data routes behind its own authentication, runs the buffered counters and
/// the weekly worker in its ServiceGroup, and tests its tracking with TallyTesting (no Redis needed).
let package = Package(
    name: "NotesApp",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tally", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "NotesApp",
            dependencies: [
                .product(name: "InternalEvents", package: "Tally"),
                .product(name: "TallyServer", package: "Tally"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "NotesServer",
            dependencies: [
                "NotesApp",
                .product(name: "InternalEvents", package: "Tally"),
                .product(name: "ServicePing", package: "Tally"),
                .product(name: "TallyServiceLifecycle", package: "Tally"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "NotesAppTests",
            dependencies: [
                "NotesApp",
                .product(name: "InternalEvents", package: "Tally"),
                .product(name: "TallyTesting", package: "Tally"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
