import Foundation
import InternalEvents
import SQLKit
import ServicePing

/// One warehouse connection for the queries of one page: every panel of a page reads through the same connection.
///
/// **Thread safety:** use it within the `Warehouse.reading` call that made it, one query at a time.
struct WarehouseReader: Sendable {
    let database: WarehouseDatabase

    var dialect: WarehouseDialect { database.dialect }

    /// Runs `query` and reads `columns` of each row (named in the query with `AS`), so an empty answer still has
    /// its columns.
    func result(_ query: SQLQueryString, columns: [String]) async throws -> QueryResult {
        let rows = try await database.sql.raw(query).allRows()
        let dialect = dialect
        return QueryResult(
            columns: columns, rows: rows.map { row in columns.map { Warehouse.value(row, $0, dialect: dialect) } })
    }

    /// Runs `query` and reads every column the rows have (none when no row came back).
    func rows(_ query: SQLQueryString) async throws -> QueryResult {
        let rows = try await database.sql.raw(query).allRows()
        let columns = rows.first?.allColumns ?? []
        let dialect = dialect
        return QueryResult(
            columns: columns, rows: rows.map { row in columns.map { Warehouse.value(row, $0, dialect: dialect) } })
    }

    /// The first column of every row, as text.
    func strings(_ query: SQLQueryString) async throws -> [String] {
        try await result(query, columns: ["value"]).rows.compactMap { $0.first?.string }
    }

    /// A time as the warehouse compares it (`TIMESTAMPTZ` in PostgreSQL, ISO 8601 text in SQLite).
    func time(_ date: Date) -> any SQLExpression { database.time(date) }

    /// The UTC day of a time column, as `YYYY-MM-DD` text.
    func day(of column: String) -> SQLQueryString {
        switch dialect {
        case .sqlite: "substr(\(unsafeRaw: column), 1, 10)"
        case .postgres: "to_char(\(unsafeRaw: column) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        case .clickhouse: "toString(toDate(\(unsafeRaw: column)))"
        }
    }
}

extension Warehouse {
    /// Opens one connection for a page's reads; `readOnly` makes the database refuse writes on it (SQLite
    /// `PRAGMA query_only`, PostgreSQL read-only transactions, ClickHouse `readonly=2`), for queries written in
    /// dashboard files.
    func reading<Result: Sendable>(
        readOnly: Bool = false, _ body: @Sendable (WarehouseReader) async throws -> Result
    ) async throws -> Result {
        try await withDatabase(sqliteFunctions: SQLiteDateFunctions.all, readOnly: readOnly) { database in
            if readOnly { try await Self.refuseWrites(database) }
            return try await body(WarehouseReader(database: database))
        }
    }
}
