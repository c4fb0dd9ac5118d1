import Foundation
import Logging
import SQLKit
import ServicePing
import TallyCollector

/// The benchmarks' warehouses: each run gets a fresh one, removed afterwards.
enum ScratchWarehouse {
    /// `--warehouse-url`: `sqlite` (the default), a PostgreSQL server's URL or a ClickHouse one's.
    static func validate(_ url: String) throws {
        guard
            url == "sqlite" || url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
                || url.hasPrefix("clickhouse://")
        else {
            throw WarehouseURLError(url: url)
        }
    }

    struct WarehouseURLError: Error, CustomStringConvertible {
        var url: String
        var description: String { "--warehouse-url: sqlite, postgres://… or clickhouse://…, got \(url)" }
    }

    /// What the report calls the warehouse of `url`.
    static func kind(_ url: String) -> String {
        if url.hasPrefix("clickhouse://") { return url.contains("cluster=") ? "clickhouse (sharded)" : "clickhouse" }
        return url.hasPrefix("postgres") ? "postgresql" : "sqlite"
    }

    /// A migrated warehouse for `body`: a SQLite file in a temporary folder, or a scratch database created on the
    /// PostgreSQL or ClickHouse server(s) of `url` (the user needs CREATEDB) and dropped after, also when `body`
    /// throws.
    static func with<Result: Sendable>(
        _ url: String, logger: Logger, _ body: (Warehouse) async throws -> Result
    ) async throws -> Result {
        if url.hasPrefix("clickhouse://") {
            var configuration = try ClickHouseConfiguration(url: url)
            configuration.database = "tally_bench_\(UInt32.random(in: 0...UInt32.max))"
            let warehouse = Warehouse(configuration: WarehouseConfiguration(.clickhouse(configuration)), logger: logger)
            let client = ClickHouseClient(configuration)
            func drop() async throws {
                for node in configuration.nodes.indices {
                    try await client.execute(
                        "DROP DATABASE IF EXISTS \(configuration.database)", inDatabase: false, node: node)
                }
            }
            do {
                try await warehouse.migrate()
                let result = try await body(warehouse)
                try await drop()
                return result
            } catch {
                try? await drop()
                throw error
            }
        }
        if url == "sqlite" {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "tally-bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let warehouse = Warehouse(
                configuration: try DatabaseConfiguration(
                    url: "sqlite://" + folder.appendingPathComponent("w.sqlite").path), logger: logger)
            try await warehouse.migrate()
            return try await body(warehouse)
        }
        let server = try DatabaseConfiguration(url: url)
        let name = "tally_bench_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await AppDatabase.withDatabase(server, logger: logger) { database in
            try await database.sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
        }
        var components = URLComponents(string: url)!
        components.path = "/" + name
        let warehouse = Warehouse(configuration: try DatabaseConfiguration(url: components.string!), logger: logger)
        do {
            try await warehouse.migrate()
            let result = try await body(warehouse)
            try await drop(name, on: server, logger: logger)
            return result
        } catch {
            try? await drop(name, on: server, logger: logger)
            throw error
        }
    }

    private static func drop(_ name: String, on server: DatabaseConfiguration, logger: Logger) async throws {
        try await AppDatabase.withDatabase(server, logger: logger) { database in
            try await database.sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name)").run()
        }
    }
}
