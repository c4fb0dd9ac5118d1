import Hiredis
import SQLKit

extension SQLQueryBuilder {
    /// Every row the query returns. SQLKit's own `all()` and `first()` append rows from the driver's thread
    /// (SQLite's thread pool) to a variable they read after the query without a lock, which ThreadSanitizer reports
    /// as a race; here the rows are collected under one.
    public func allRows() async throws -> [any SQLRow] {
        let rows = LockedValueBox<[any SQLRow]>([])
        try await database.execute(sql: query) { row in rows.withLockedValue { $0.append(row) } }
        return rows.withLockedValue { $0 }
    }

    /// The first row the query returns (all are read: use it for queries of one row).
    public func firstRow() async throws -> (any SQLRow)? {
        try await allRows().first
    }
}
