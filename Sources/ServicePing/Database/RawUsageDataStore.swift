import Foundation
import InternalEvents
import SQLKit

/// The `raw_usage_data` table: every ping built, once per `recorded_at`, with when and how it was submitted.
public struct RawUsageDataStore: Sendable {
    /// One stored ping.
    public struct Row: Sendable, Hashable {
        public var id: Int64
        public var recordedAt: Date
        /// The payload JSON, as built.
        public var payload: String
        public var createdAt: Date
        /// When the collector accepted it; `nil` while unsent.
        public var sentAt: Date?
        /// The collector's `conv_index.usage_data_id`.
        public var usageDataID: Int64?
    }

    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Creates the table (and its unique index on `recorded_at`) when missing. Safe to run at every start.
    public func migrate() async throws {
        switch database.dialect {
        case .sqlite:
            try await database.sql.raw(
                """
                CREATE TABLE IF NOT EXISTS raw_usage_data (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    recorded_at TEXT NOT NULL UNIQUE,
                    payload TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    sent_at TEXT,
                    usage_data_id INTEGER
                )
                """
            ).run()
        case .postgres:
            // Two processes creating the table at once can make PostgreSQL's `IF NOT EXISTS` fail on its catalog's
            // unique index; the table then exists, which is all this needs.
            do {
                try await createPostgresTable()
            } catch {
                let exists = try await database.sql.raw("SELECT to_regclass('raw_usage_data') IS NOT NULL AS found")
                    .firstRow()?.decode(column: "found", as: Bool.self)
                if exists != true { throw error }
            }
        }
    }

    private func createPostgresTable() async throws {
        try await database.sql.raw(
            """
            CREATE TABLE IF NOT EXISTS raw_usage_data (
                id BIGSERIAL PRIMARY KEY,
                recorded_at TIMESTAMPTZ NOT NULL UNIQUE,
                payload TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                sent_at TIMESTAMPTZ,
                usage_data_id BIGINT
            )
            """
        ).run()
    }

    /// Stores a ping unless one with the same `recorded_at` exists; returns whether a row was added.
    /// One statement, so a process killed meanwhile leaves either the whole row or none.
    @discardableResult
    public func insert(recordedAt: Date, payload: String, createdAt: Date = Date()) async throws -> Bool {
        let rows = try await database.sql.raw(
            """
            INSERT INTO raw_usage_data (recorded_at, payload, created_at) VALUES (\(time(recordedAt)), \(bind: payload), \(time(createdAt)))
            ON CONFLICT (recorded_at) DO NOTHING RETURNING id
            """
        ).allRows()
        return !rows.isEmpty
    }

    /// Stores a ping unless any ping was stored at or after `since` (the week's ping already exists); returns whether
    /// a row was added. The check and the insert are one statement, so two workers can't both pass the check.
    @discardableResult
    public func insert(
        recordedAt: Date, payload: String, unlessStoredSince since: Date, createdAt: Date = Date()
    ) async throws -> Bool {
        let rows = try await database.sql.raw(
            """
            INSERT INTO raw_usage_data (recorded_at, payload, created_at)
            SELECT \(time(recordedAt)), \(bind: payload), \(time(createdAt))
            WHERE NOT EXISTS (SELECT 1 FROM raw_usage_data WHERE recorded_at >= \(time(since)))
            ON CONFLICT (recorded_at) DO NOTHING RETURNING id
            """
        ).allRows()
        return !rows.isEmpty
    }

    /// Records a successful submission.
    public func markSent(recordedAt: Date, usageDataID: Int64, at sentAt: Date = Date()) async throws {
        try await database.sql.raw(
            """
            UPDATE raw_usage_data SET sent_at = \(time(sentAt)), usage_data_id = \(bind: usageDataID)
            WHERE recorded_at = \(time(recordedAt))
            """
        ).run()
    }

    /// The newest ping recorded at or after `date`, if any.
    public func newest(since date: Date) async throws -> Row? {
        try await rows(
            """
            SELECT id, recorded_at, payload, created_at, sent_at, usage_data_id FROM raw_usage_data
            WHERE recorded_at >= \(time(date)) ORDER BY recorded_at DESC LIMIT 1
            """
        ).first
    }

    /// Pings not yet accepted by the collector, oldest first.
    public func unsent() async throws -> [Row] {
        try await rows(
            """
            SELECT id, recorded_at, payload, created_at, sent_at, usage_data_id FROM raw_usage_data
            WHERE sent_at IS NULL ORDER BY recorded_at ASC
            """
        )
    }

    /// Every stored ping, oldest first.
    public func all() async throws -> [Row] {
        try await rows(
            "SELECT id, recorded_at, payload, created_at, sent_at, usage_data_id FROM raw_usage_data ORDER BY recorded_at ASC"
        )
    }

    private func rows(_ query: SQLQueryString) async throws -> [Row] {
        try await database.sql.raw(query).allRows().map { row in
            Row(
                id: try row.decode(column: "id", as: Int64.self),
                recordedAt: try decodeTime(row, "recorded_at"),
                payload: try row.decode(column: "payload", as: String.self),
                createdAt: try decodeTime(row, "created_at"),
                sentAt: try row.decodeNil(column: "sent_at") ? nil : try decodeTime(row, "sent_at"),
                usageDataID: try row.decode(column: "usage_data_id", as: Int64?.self))
        }
    }

    /// SQLite keeps times as ISO-8601 text with milliseconds (sortable, readable); PostgreSQL as `timestamptz`.
    private func time(_ date: Date) -> SQLQueryString {
        switch database.dialect {
        case .sqlite: "\(bind: Self.text(date))"
        case .postgres: "\(bind: date)"
        }
    }

    private func decodeTime(_ row: any SQLRow, _ column: String) throws -> Date {
        switch database.dialect {
        case .postgres:
            return try row.decode(column: column, as: Date.self)
        case .sqlite:
            let text = try row.decode(column: column, as: String.self)
            guard let date = Self.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [], debugDescription: "\(column) is not a time: \(text)"))
            }
            return date
        }
    }

    static func text(_ date: Date) -> String { JSONValue.formatTimestamp(date) }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
