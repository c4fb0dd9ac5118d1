import Foundation
import Logging
import SQLKit
import ServicePing
import TallyCollector

/// The benchmarks' warehouses: each run gets a fresh one, removed afterwards.
enum ScratchWarehouse {
    /// `--warehouse-url`: `sqlite` (the default) or a PostgreSQL server's URL.
    static func validate(_ url: String) throws {
        guard url == "sqlite" || url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw WarehouseURLError(url: url)
        }
    }

    struct WarehouseURLError: Error, CustomStringConvertible {
        var url: String
        var description: String { "--warehouse-url: sqlite or postgres://…, got \(url)" }
    }

    /// A migrated warehouse for `body`: a SQLite file in a temporary folder, or a scratch database created on the
    /// PostgreSQL server of `url` (the user needs CREATEDB) and dropped after, also when `body` throws.
    static func with<Result: Sendable>(
        _ url: String, logger: Logger, _ body: (Warehouse) async throws -> Result
    ) async throws -> Result {
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
