// swift-tools-version: 6.1
import PackageDescription

/// Tally: GitLab-style internal analytics for Swift server apps.
///
/// Targets by job, each linking only what it uses (DESIGN.md §2):
/// - `CHiredis` → `Hiredis` → `InternalEvents`: what an app that only counts links (with Yams, swift-log and
///   swift-metrics). No SwiftNIO, no HTTP, TLS or SQL stack.
/// - `TallyServiceLifecycle` (the `Service` conformances: swift-service-lifecycle).
/// - `EventRecords` (Snowplow records, emitter, pseudonymizer: AsyncHTTPClient, swift-crypto).
/// - `ServicePing` (instrumentations, payload, worker: the SQL drivers and AsyncHTTPClient).
/// - `TallyServer` (GitLab's usage_data routes on Hummingbird; no SQL driver, no TLS).
/// - `TallyTesting` (a recording tracker and Swift Testing helpers for app authors).
/// - `tally`, the command line, links everything.
/// `TallyTestSupport` starts real servers for the test suites and is never linked into products.
///
/// Traits keep SwiftPM from loading what an app doesn't use: every dependency on the server stack is conditional on
/// the `Server` trait, and swift-service-lifecycle on `ServiceLifecycle`. Both are on by default; an app that only
/// counts depends on Tally with `traits: []` and builds Hiredis and InternalEvents with Yams, swift-log and
/// swift-metrics, and SwiftPM never reads the other packages' manifests (that alone took 7 s of every build).
/// A product of the server stack's packages: a dependency only with the `Server` trait.
func server(_ product: String, _ package: String) -> Target.Dependency {
    .product(name: product, package: package, condition: .when(traits: ["Server"]))
}

/// swift-service-lifecycle: a dependency only with the `ServiceLifecycle` trait (which `Server` turns on).
let serviceLifecycle = Target.Dependency.product(
    name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["ServiceLifecycle"]))

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
    traits: [
        .trait(
            name: "ServiceLifecycle",
            description: "TallyServiceLifecycle: Tally's services in a swift-service-lifecycle ServiceGroup."
        ),
        .trait(
            name: "Server",
            description: """
                Everything beyond counting: event records, Service Ping, the usage_data server, the collector and \
                the tally command (SwiftNIO, Hummingbird, AsyncHTTPClient, swift-crypto, the SQL drivers).
                """,
            enabledTraits: ["ServiceLifecycle"]
        ),
        .default(enabledTraits: ["Server"]),
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
                serviceLifecycle,
            ]
        ),
        .target(
            name: "EventRecords",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                server("Crypto", "swift-crypto"),
                server("AsyncHTTPClient", "async-http-client"),
                server("NIOCore", "swift-nio"),
                server("NIOFoundationCompat", "swift-nio"),
            ]
        ),
        .target(
            name: "ServicePing",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                .product(name: "Logging", package: "swift-log"),
                server("SQLKit", "sql-kit"),
                server("SQLiteKit", "sqlite-kit"),
                server("PostgresKit", "postgres-kit"),
                server("AsyncHTTPClient", "async-http-client"),
                server("NIOCore", "swift-nio"),
                server("NIOFoundationCompat", "swift-nio"),
                server("Crypto", "swift-crypto"),
                serviceLifecycle,
            ]
        ),
        .target(
            name: "TallyServer",
            dependencies: [
                "Hiredis",
                "InternalEvents",
                server("Hummingbird", "hummingbird"),
                server("HTTPTypes", "swift-http-types"),
                server("NIOCore", "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                serviceLifecycle,
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
                server("Hummingbird", "hummingbird"),
                server("NIOConcurrencyHelpers", "swift-nio"),
                server("HTTPTypes", "swift-http-types"),
                server("Crypto", "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                server("NIOCore", "swift-nio"),
                server("NIOFoundationCompat", "swift-nio"),
                server("SQLKit", "sql-kit"),
                server("SQLiteKit", "sqlite-kit"),
                server("PostgresKit", "postgres-kit"),
                server("AsyncHTTPClient", "async-http-client"),
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
                server("Hummingbird", "hummingbird"),
                server("ArgumentParser", "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                serviceLifecycle,
                server("AsyncHTTPClient", "async-http-client"),
                server("NIOCore", "swift-nio"),
                server("SQLKit", "sql-kit"),
            ]
        ),
        .target(
            name: "TallyTestSupport",
            dependencies: [
                "Hiredis",
                .product(name: "Logging", package: "swift-log"),
                serviceLifecycle,
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
                serviceLifecycle,
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EventRecordsTests",
            dependencies: [
                "EventRecords", "InternalEvents", "Hiredis", "TallyTestSupport", "TallyServiceLifecycle",
                serviceLifecycle,
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ServicePingTests",
            dependencies: [
                "ServicePing", "InternalEvents", "Hiredis", "TallyTestSupport", "TallyServiceLifecycle",
                server("SQLKit", "sql-kit"),
                server("NIOCore", "swift-nio"),
                serviceLifecycle,
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TallyServerTests",
            dependencies: [
                "TallyServer", "InternalEvents", "EventRecords", "ServicePing", "Hiredis", "TallyTestSupport",
                "TallyServiceLifecycle", "TallyCollector",
                server("Hummingbird", "hummingbird"),
                server("HummingbirdTesting", "hummingbird"),
                serviceLifecycle,
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TallyCollectorTests",
            dependencies: [
                "TallyCollector", "ServicePing", "InternalEvents", "TallyTestSupport",
                server("Hummingbird", "hummingbird"),
                server("HummingbirdTesting", "hummingbird"),
                server("SQLKit", "sql-kit"),
                server("NIOCore", "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TallyCLITests",
            dependencies: [
                "tally", "Hiredis", "InternalEvents", "TallyTestSupport",
                server("Crypto", "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
