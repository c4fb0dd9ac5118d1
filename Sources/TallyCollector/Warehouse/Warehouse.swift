import Foundation
import InternalEvents
import Logging
import SQLKit
import SQLiteKit
import ServicePing

/// Where `tally collect` keeps what instances send: one SQLite file by default, PostgreSQL in production,
/// ClickHouse at scale (`Warehouse+ClickHouse.swift`).
///
/// Each call opens a connection, does its work in one transaction, and closes it: pings arrive weekly per
/// instance, so connections are cheap next to them. Event batches are the exception: a group-commit leader keeps
/// one connection for its rounds (`EventWriter`). ClickHouse's HTTP connections are kept alive and shared. SQLite
/// runs in WAL mode; this process's writes take turns
/// (`SerialGate`: SQLite allows one writer, and writers waiting inside SQLite would hold the threads the one
/// writing needs), other processes' are waited for (busy timeout). Reads never wait for writes.
///
/// **Thread safety:** `Sendable`; calls may run concurrently.
public struct Warehouse: Sendable {
    public let configuration: WarehouseConfiguration
    let logger: Logger
    /// This process's SQLite writes, one at a time (shared by copies of the value).
    private let writes = SerialGate()
    /// The event writer (group commit) and the pseudonymizer, shared by copies of the value.
    let shared = WarehouseShared()

    /// Metric rows inserted per statement (7 values each, under SQLite's bound-parameter limit).
    static let metricRowsPerInsert = 500

    public init(configuration: WarehouseConfiguration, logger: Logger = Logger(label: "tally.warehouse")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// A SQLite or PostgreSQL warehouse.
    public init(configuration: DatabaseConfiguration, logger: Logger = Logger(label: "tally.warehouse")) {
        self.init(configuration: WarehouseConfiguration(.sql(configuration)), logger: logger)
    }

    /// Creates the tables and views that don't exist yet.
    public func migrate() async throws {
        if case .clickhouse(let clickhouse) = configuration.kind {
            return try await ClickHouseSchema(clickhouse).migrate(ClickHouseClient(clickhouse))
        }
        try await withDatabase { database in
            if database.dialect == .sqlite { try await database.sql.raw("PRAGMA journal_mode = WAL").run() }
            for statement in WarehouseSchema.statements(for: database.dialect) {
                try await database.sql.raw(SQLQueryString(statement)).run()
            }
        }
    }

    /// Stores a ping and its flattened metrics, once: a ping of the same instance and `recorded_at` that is already
    /// stored is not stored again. Returns the ping's id.
    func store(_ ping: ReceivedPing, receivedAt: Date = Date()) async throws -> Int64 {
        if case .clickhouse(let clickhouse) = configuration.kind {
            return try await ClickHouseClient(clickhouse).store(ping, receivedAt: receivedAt)
        }
        return try await writing { database in
            if let existing = try await Self.pingID(of: ping, in: database) { return existing }
            do {
                return try await transaction(database) {
                    let id = try await database.sql.insert(into: "pings")
                        .columns("uuid", "hostname", "version", "edition", "recorded_at", "received_at", "payload")
                        .values(
                            SQLBind(ping.uuid), SQLBind(ping.hostname), SQLBind(ping.version), SQLBind(ping.edition),
                            database.time(ping.recordedAt), database.time(receivedAt), SQLBind(ping.payload)
                        )
                        .returning("id").firstRow()?.decode(column: "id", as: Int64.self)
                    guard let id else { throw WarehouseError("the warehouse returned no id for the new ping") }
                    var start = 0
                    while start < ping.metrics.count {
                        let slice = ping.metrics[start..<min(start + Self.metricRowsPerInsert, ping.metrics.count)]
                        var insert = database.sql.insert(into: "ping_metrics").columns(
                            "ping_id", "instance_uuid", "hostname", "metrics_path", "metric_value", "has_failed",
                            "recorded_at")
                        for metric in slice {
                            insert = insert.values(
                                SQLBind(id), SQLBind(ping.uuid), SQLBind(ping.hostname), SQLBind(metric.path),
                                SQLBind(metric.value), database.flag(metric.hasFailed), database.time(ping.recordedAt))
                        }
                        try await insert.run()
                        start += Self.metricRowsPerInsert
                    }
                    return id
                }
            } catch {
                // Another request stored the same ping meanwhile (the unique key refused this one).
                if let existing = try await Self.pingID(of: ping, in: database) { return existing }
                throw error
            }
        }
    }

    /// Stores a ping's metadata document (`POST /usage_ping_metadata`).
    func storeMetadata(_ body: String, uuid: String?, receivedAt: Date = Date()) async throws {
        if case .clickhouse(let clickhouse) = configuration.kind {
            return try await ClickHouseClient(clickhouse).storeMetadata(body, uuid: uuid, receivedAt: receivedAt)
        }
        try await writing { database in
            try await database.sql.insert(into: "ping_metadata").columns("uuid", "received_at", "payload")
                .values(SQLBind(uuid), database.time(receivedAt), SQLBind(body)).run()
        }
    }

    /// Stores a sender's error report (`POST /usage_ping_errors`).
    func storeError(_ report: PingErrorReport, receivedAt: Date = Date()) async throws {
        if case .clickhouse(let clickhouse) = configuration.kind {
            return try await ClickHouseClient(clickhouse).storeError(report, receivedAt: receivedAt)
        }
        try await writing { database in
            try await database.sql.insert(into: "ping_errors")
                .columns("uuid", "hostname", "version", "message", "elapsed", "received_at", "payload")
                .values(
                    SQLBind(report.uuid), SQLBind(report.hostname), SQLBind(report.version), SQLBind(report.message),
                    SQLBind(report.elapsed), database.time(receivedAt), SQLBind(report.payload)
                ).run()
        }
    }

    static func pingID(of ping: ReceivedPing, in database: WarehouseDatabase) async throws -> Int64? {
        try await database.sql.select().column("id").from("pings")
            .where("uuid", .equal, SQLBind(ping.uuid))
            .where("recorded_at", .equal, database.time(ping.recordedAt))
            .firstRow()?.decode(column: "id", as: Int64.self)
    }

    /// Opens the warehouse for a write: in SQLite after this process's earlier writes.
    func writing<Result: Sendable>(
        _ body: @Sendable (WarehouseDatabase) async throws -> Result
    ) async throws -> Result {
        guard configuration.dialect == .sqlite else { return try await withDatabase(body) }
        return try await writes.run { try await withDatabase(body) }
    }

    /// Opens the warehouse for `body` (SQLite with its busy timeout). On ClickHouse there is nothing to open:
    /// `readOnly` makes the server refuse writes (`readonly=2`).
    func withDatabase<Result: Sendable>(
        sqliteFunctions: [SQLiteCustomFunction] = [], readOnly: Bool = false,
        _ body: @Sendable (WarehouseDatabase) async throws -> Result
    ) async throws -> Result {
        switch configuration.kind {
        case .clickhouse(let clickhouse):
            let database = ClickHouseSQLDatabase(
                client: ClickHouseClient(clickhouse), settings: readOnly ? ["readonly": "2"] : [:], logger: logger)
            return try await body(WarehouseDatabase(sql: database, dialect: .clickhouse))
        case .sql(let sql):
            return try await AppDatabase.withDatabase(sql, logger: logger, sqliteFunctions: sqliteFunctions) {
                database in
                if database.dialect == .sqlite { try await database.sql.raw("PRAGMA busy_timeout = 10000").run() }
                return try await body(
                    WarehouseDatabase(sql: database.sql, dialect: database.dialect == .sqlite ? .sqlite : .postgres))
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. ClickHouse has no
    /// transactions: there `body` just runs.
    func transaction<Result: Sendable>(
        _ database: WarehouseDatabase, _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        if database.dialect == .clickhouse { return try await body() }
        try await database.sql.raw(database.dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
        do {
            let result = try await body()
            try await database.sql.raw("COMMIT").run()
            return result
        } catch {
            try? await database.sql.raw("ROLLBACK").run()
            throw error
        }
    }
}

/// A warehouse failure of Tally's own making (the database's errors are passed on as they are).
struct WarehouseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What `POST /usage_ping_errors` carries: `{"error": {time, uuid, hostname, version, message, elapsed}}`.
struct PingErrorReport: Sendable {
    var uuid: String?
    var hostname: String?
    var version: String?
    var message: String?
    var elapsed: Double?
    var payload: String

    init(body: Data) throws(ReceivedPing.Invalid) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw ReceivedPing.Invalid(field: "body", message: "not JSON: \(error)")
        }
        guard let error = value["error"], case .object = error else {
            throw ReceivedPing.Invalid(field: "error", message: "required: an object with uuid, message, …")
        }
        func text(_ key: String) throws(ReceivedPing.Invalid) -> String? {
            guard let value = error[key] else { return nil }
            guard let string = value.string else {
                throw ReceivedPing.Invalid(field: "error.\(key)", message: "expected a string")
            }
            return string
        }
        uuid = try text("uuid")
        hostname = try text("hostname")
        version = try text("version")
        message = try text("message")
        switch error["elapsed"] {
        case .double(let seconds): elapsed = seconds
        case .integer(let seconds): elapsed = Double(seconds)
        case nil: elapsed = nil
        default: throw ReceivedPing.Invalid(field: "error.elapsed", message: "expected a number of seconds")
        }
        payload = String(decoding: body, as: UTF8.self)
    }
}

/// An open warehouse connection: SQLKit's face of it, and the dialect its SQL is written in.
struct WarehouseDatabase: Sendable {
    let sql: any SQLDatabase
    let dialect: WarehouseDialect

    /// A time as the warehouse stores it: `TIMESTAMPTZ` in PostgreSQL, `DateTime('UTC')` in ClickHouse, ISO 8601
    /// text (UTC, milliseconds) in SQLite.
    func time(_ date: Date) -> SQLBind {
        switch dialect {
        case .postgres, .clickhouse: SQLBind(date)
        case .sqlite: SQLBind(JSONValue.formatTimestamp(date))
        }
    }

    /// A flag as the warehouse stores it: `BOOLEAN` in PostgreSQL, 0/1 in SQLite and ClickHouse.
    func flag(_ value: Bool) -> SQLBind {
        switch dialect {
        case .postgres: SQLBind(value)
        case .sqlite, .clickhouse: SQLBind(value ? 1 : 0)
        }
    }
}
