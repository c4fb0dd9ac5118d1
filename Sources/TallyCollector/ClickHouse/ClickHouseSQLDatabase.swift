import Foundation
import InternalEvents
import Logging
import NIOCore
import SQLKit

/// SQLKit's face of a ClickHouse server, so the warehouse's queries, built with SQLKit or written as
/// `SQLQueryString`, run on ClickHouse as on SQLite and PostgreSQL.
///
/// Bound values become literals (`ClickHouseLiteral`: 18.16 has no query parameters). A statement that returns
/// rows (`SELECT`, `WITH`, `SHOW`, `DESCRIBE`, `EXISTS`) is answered through `ClickHouseClient.select`; any other
/// is run as it is. There are no transactions and no sessions: each statement is one HTTP request.
///
/// **Thread safety:** `Sendable`; statements may run concurrently.
struct ClickHouseSQLDatabase: SQLDatabase {
    let client: ClickHouseClient
    /// Settings sent with every statement (`readonly=2` for the read-only queries of `tally query` and pages).
    let settings: [String: String]
    let logger: Logger

    var eventLoop: any EventLoop { client.http.eventLoopGroup.any() }
    var dialect: any SQLDialect { ClickHouseDialect() }

    func execute(
        sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void
    )
        -> EventLoopFuture<Void>
    {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (text, binds) = serialize(query)
        let statement = try ClickHouseLiteral.substitute(binds, into: text)
        logger.debug("clickhouse", metadata: ["sql": "\(statement)"])
        guard Self.returnsRows(statement) else {
            try await client.execute(statement, settings: settings)
            return
        }
        let result = try await client.select(statement, settings: settings)
        let index = ClickHouseRow.Index(columns: result.columns)
        for (cells, row) in zip(result.rows, result.rows.indices) {
            onRow(ClickHouseRow(index: index, types: result.types, cells: cells, number: row))
        }
    }

    /// Whether a statement's first word (after spaces, comments and parentheses) is one that returns rows.
    static func returnsRows(_ statement: String) -> Bool {
        var rest = Substring(statement)
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "(" }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*"), let end = rest.range(of: "*/") {
                rest = rest[end.upperBound...]
            } else {
                break
            }
        }
        let word = rest.prefix { $0.isLetter }.uppercased()
        return ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS"].contains(word)
    }
}

/// ClickHouse's SQL as SQLKit writes it: `"identifiers"`, `'strings'`, `$N` placeholders (replaced by literals
/// before the statement is sent), booleans as 1 and 0.
struct ClickHouseDialect: SQLDialect {
    var name: String { "clickhouse" }
    var identifierQuote: any SQLExpression { SQLRaw("\"") }
    var literalStringQuote: any SQLExpression { SQLRaw("'") }
    var supportsAutoIncrement: Bool { false }
    var autoIncrementClause: any SQLExpression { SQLRaw("") }
    func bindPlaceholder(at position: Int) -> any SQLExpression { SQLRaw("$\(position)") }
    func literalBoolean(_ value: Bool) -> any SQLExpression { SQLRaw(value ? "1" : "0") }
    var supportsReturning: Bool { false }
    var upsertSyntax: SQLUpsertSyntax { .unsupported }
}

/// One row of a ClickHouse answer.
struct ClickHouseRow: SQLRow {
    /// Column names to positions, shared by the rows of one answer.
    final class Index: Sendable {
        let columns: [String]
        let positions: [String: Int]

        init(columns: [String]) {
            self.columns = columns
            var positions: [String: Int] = [:]
            for (position, name) in columns.enumerated() where positions[name] == nil { positions[name] = position }
            self.positions = positions
        }
    }

    let index: Index
    let types: [String]
    let cells: [JSONValue]
    let number: Int

    var allColumns: [String] { index.columns }

    func contains(column: String) -> Bool { index.positions[column] != nil }

    func value(_ column: String) -> JSONValue? { index.positions[column].map { cells[$0] } }

    func decodeNil(column: String) throws -> Bool {
        guard let value = value(column) else { throw missing(column) }
        return value == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let value = value(column) else { throw missing(column) }
        if let decoded = Self.direct(value, as: type) { return decoded }
        let data = try JSONEncoder().encode(value)
        return try JSONDecoder().decode(D.self, from: data)
    }

    /// The common types, read without a JSON round trip.
    private static func direct<D>(_ value: JSONValue, as type: D.Type) -> D? {
        switch value {
        case .string(let text):
            if let text = text as? D { return text }
            if D.self == Date.self || D.self == Date?.self {
                return ClickHouseResult.parseDateTime(text) as? D
            }
            if D.self == Int64.self { return Int64(text) as? D }
            if D.self == Int.self { return Int(text) as? D }
            if D.self == Double.self { return Double(text) as? D }
        case .integer(let number):
            if let number = number as? D { return number }
            if D.self == Int.self { return Int(exactly: number) as? D }
            if D.self == Double.self { return Double(number) as? D }
            if D.self == Bool.self, number == 0 || number == 1 { return (number == 1) as? D }
            if D.self == String.self { return String(number) as? D }
        case .double(let number):
            if let number = number as? D { return number }
        default: break
        }
        return nil
    }

    private func missing(_ column: String) -> DecodingError {
        .valueNotFound(
            Any.self, .init(codingPath: [], debugDescription: "no column \(column) in row \(number) of the answer"))
    }
}
