import Foundation
import InternalEvents
import PostgresKit
import SQLKit
import SQLiteKit
import ServicePing

/// The answer to a query: column names and rows of values.
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[JSONValue]]

    public init(columns: [String], rows: [[JSONValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A query the warehouse refused, with the database's reason.
public struct QueryError: Error, CustomStringConvertible {
    public var description: String
}

extension Warehouse {
    /// Runs one SQL statement read-only (SQLite `PRAGMA query_only`, PostgreSQL `READ ONLY` transactions,
    /// ClickHouse `readonly=2`) and
    /// returns what it selected. In SQLite, PostgreSQL's `date_trunc(unit, time)` is there too
    /// (`SQLiteDateFunctions`), so GitLab's example queries run on either. A statement that writes is refused by the database and reported as a `QueryError`.
    public func query(_ sql: String) async throws -> QueryResult {
        try await withDatabase(sqliteFunctions: SQLiteDateFunctions.all, readOnly: true) { database in
            try await Self.refuseWrites(database)
            let rows: [any SQLRow]
            do {
                rows = try await database.sql.raw(SQLQueryString(sql)).allRows()
            } catch {
                throw QueryError(description: Self.explain(error))
            }
            let columns = rows.first?.allColumns ?? []
            let dialect = database.dialect
            return QueryResult(
                columns: columns, rows: rows.map { row in columns.map { Self.value(row, $0, dialect: dialect) } })
        }
    }

    /// Makes a SQLite or PostgreSQL connection refuse writes (a ClickHouse one is opened read-only).
    static func refuseWrites(_ database: WarehouseDatabase) async throws {
        switch database.dialect {
        case .sqlite: try await database.sql.raw("PRAGMA query_only = 1").run()
        case .postgres: try await database.sql.raw("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").run()
        case .clickhouse: break
        }
    }

    /// The database's message, with the read-only refusal said plainly.
    static func explain(_ error: any Error) -> String {
        let text = String(reflecting: error)
        if text.contains("readonly") || text.contains("read-only") || text.contains("query_only")
            || text.contains("25006")
        {
            return "tally query only reads; the warehouse refused a write: \(error)"
        }
        return "\(error)"
    }

    /// One cell as JSON: SQLite's own storage class, or PostgreSQL's or ClickHouse's type; other types as text.
    static func value(_ row: any SQLRow, _ column: String, dialect: WarehouseDialect) -> JSONValue {
        if let row = row as? ClickHouseRow { return row.value(column) ?? .null }
        if dialect == .sqlite, let data = try? row.decode(column: column, as: SQLiteCell.self).data {
            switch data {
            case .integer(let value): return .integer(Int64(value))
            case .float(let value): return .double(value)
            case .text(let value): return .string(value)
            case .blob(let buffer): return .string("<\(buffer.readableBytes) bytes>")
            case .null: return .null
            }
        }
        if (try? row.decodeNil(column: column)) == true { return .null }
        if let value = try? row.decode(column: column, as: Int64.self) { return .integer(value) }
        if let value = try? row.decode(column: column, as: Double.self) { return .double(value) }
        if let value = try? row.decode(column: column, as: Bool.self) { return .bool(value) }
        if let value = try? row.decode(column: column, as: Date.self) { return .timestamp(value) }
        if let value = try? row.decode(column: column, as: String.self) { return .string(value) }
        return .string("<unreadable>")
    }
}

/// A SQLite cell as stored (integer, real, text, blob or null): SQLiteKit hands `SQLiteDataConvertible` types the
/// raw value, where decoding `Int64` or `Date` would convert text that looks like one.
private struct SQLiteCell: Decodable, SQLiteDataConvertible {
    let data: SQLiteData

    init?(sqliteData: SQLiteData) { data = sqliteData }

    var sqliteData: SQLiteData? { data }

    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "SQLite only"))
    }
}
