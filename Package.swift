// swift-tools-version: 6.1
import PackageDescription

/// Tally: GitLab-style internal analytics for Swift server apps.
///
/// Targets by job, each linking only what it uses (DESIGN.md §2):
/// - `CHiredis` → `Hiredis` → `InternalEvents`: what an app that only counts links (with Yams, swift-log,
///   swift-metrics and swift-service-lifecycle). No SwiftNIO, no HTTP, TLS or SQL stack.
/// - `EventRecords` (Snowplow records, emitter, pseudonymizer: AsyncHTTPClient, swift-crypto).
/// - `ServicePing` (instrumentations, payload, worker: the SQL drivers and AsyncHTTPClient).
/// - `TallyServer` (GitLab's usage_data routes on Hummingbird; no SQL driver, no TLS).
/// - `TallyTesting` (a recording tracker and Swift Testing helpers for app authors).
/// - `tally`, the command line, links everything.
/// `TallyTestSupport` starts real servers for the test suites and is never linked into products.
let package = Package(
    name: "Tally",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Hiredis", targets: ["Hiredis"]),
        .library(name: "InternalEvents", targets: ["InternalEvents"]),
        .library(name: "TallyServiceLifecycle", targets: ["TallyServiceLifecycle"]),
        .library(name: "EventRecords", targets: ["EventRecords"]),
        .library(name: "ServicePing", targets: ["ServicePing"]),
        .library(name: "TallyServer", targets: ["TallyServer"]),
        .library(name: "TallyCollector", targets: ["TallyCollector"]),
        .library(name: "TallyTesting", targets: ["TallyTesting"]),
        .executable(name: "tally", targets: ["tally"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]
        ),
        .target(name: "Hiredis", dependencies: ["CHiredis"]),
        .target(
            name: "InternalEvents",
            dependencies: [
                "Hiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "TallyServiceLifecycle",
            dependencies: [
                "InternalEvents",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "EventRecords",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ServicePing",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TallyServer",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TallyTesting",
            dependencies: ["InternalEvents"]
        ),
        .target(
            name: "TallyCollector",
            dependencies: [
                "InternalEvents",
                "ServicePing",
                "TallyServer",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "tally",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                "Hiredis",
                "InternalEvents",
                "EventRecords",
                "ServicePing",
                "TallyServer",
                "TallyCollector",
                "TallyServiceLifecycle",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .target(
            name: "TallyTestSupport",
            dependencies: [
                "Hiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "HiredisTests",
            dependencies: ["Hiredis", "TallyTestSupport"]
        ),
        .testTarget(
            name: "InternalEventsTests",
            dependencies: [
                "InternalEvents", "Hiredis", "TallyTestSupport", "TallyTesting", "TallyServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EventRecordsTests",
            dependencies: [
                "EventRecords", "InternalEvents", "Hiredis", "TallyTestSupport", "TallyServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ServicePingTests",
            dependencies: [
                "ServicePing", "InternalEvents", "Hiredis", "TallyTestSupport", "TallyServiceLifecycle",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TallyServerTests",
            dependencies: [
                "TallyServer", "InternalEvents", "EventRecords", "ServicePing", "Hiredis", "TallyTestSupport",
                "TallyServiceLifecycle", "TallyCollector",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TallyCollectorTests",
            dependencies: [
                "TallyCollector", "ServicePing", "InternalEvents", "TallyTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TallyCLITests",
            dependencies: [
                "tally", "Hiredis", "InternalEvents", "TallyTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
