import Foundation
import InternalEvents
import SQLKit

/// GitLab's batch counter: counts over id ranges instead of one big scan, so that no single query runs long.
///
/// Batches of 100,000 ids (10,000 for distinct counts, 1,000 for sums); at most 10,000 batches, else -1; a batch that
/// hits the statement timeout is retried at half the size while the size stays ≥ 2,500, else -1.
public struct BatchCounter: Sendable {
    public struct Settings: Sendable, Hashable {
        public var countBatchSize = 100_000
        public var distinctBatchSize = 10_000
        public var sumBatchSize = 1_000
        public var maximumLoops = 10_000
        /// Smallest batch a statement timeout may halve to.
        public var minimumRetryBatchSize = 2_500
        /// Pause between batches, to spare the database (GitLab: 10 ms).
        public var pause: Duration = .milliseconds(10)

        public init() {}
    }

    public let database: AppDatabase
    public let settings: Settings

    public init(database: AppDatabase, settings: Settings = .init()) {
        self.database = database
        self.settings = settings
    }

    /// The metric's value over `spec`'s table, within `window` of its timestamp column when given.
    public func value(
        of spec: DatabaseMetricSpec, window: (start: Date, end: Date)?
    ) async throws(MetricFailure) -> JSONValue {
        do {
            let filter = self.filter(spec, window: window)
            var low = spec.start
            var high = spec.finish
            if low == nil || high == nil {
                let bounds = try await database.sql.raw(
                    "SELECT MIN(\(ident: spec.batchColumn)) AS low, MAX(\(ident: spec.batchColumn)) AS high FROM \(ident: spec.table) WHERE \(filter)"
                ).firstRow()
                low = try low ?? bounds?.decode(column: "low", as: Int64?.self) ?? 0
                high = try high ?? bounds?.decode(column: "high", as: Int64?.self) ?? 0
            }
            let start = low ?? 0
            let finish = (high ?? 0) + 1
            switch spec.operation {
            case .count, .distinctCount:
                let size = spec.operation == .count ? settings.countBatchSize : settings.distinctBatchSize
                return .integer(
                    try await batched(
                        spec, filter: filter, start: start, finish: finish, size: size,
                        expression: countExpression(spec), as: Int64.self))
            case .sum:
                return .double(
                    try await batched(
                        spec, filter: filter, start: start, finish: finish, size: settings.sumBatchSize,
                        expression: sumExpression(spec), as: Double.self))
            case .average:
                let sum = try await batched(
                    spec, filter: filter, start: start, finish: finish, size: settings.sumBatchSize,
                    expression: sumExpression(spec), as: Double.self)
                let count = try await batched(
                    spec, filter: filter, start: start, finish: finish, size: settings.countBatchSize,
                    expression: "COUNT(\(ident: spec.column))", as: Int64.self)
                return count == 0 ? .double(0) : .double(sum / Double(count))
            }
        } catch let failure as MetricFailure {
            throw failure
        } catch {
            throw MetricFailure("database: \(String(reflecting: error).prefix(300))")
        }
    }

    /// The SQL a metric runs, in the database's dialect, with its bound values listed: the id bounds query (unless
    /// `start`/`finish` are fixed) and the batch query, whose last two values are each batch's id range.
    public func statements(
        for spec: DatabaseMetricSpec, window: (start: Date, end: Date)?
    ) -> [(sql: String, binds: [String])] {
        let filter = self.filter(spec, window: window)
        let expression: SQLQueryString =
            switch spec.operation {
            case .count, .distinctCount: countExpression(spec)
            case .sum, .average: sumExpression(spec)
            }
        var queries: [SQLQueryString] = []
        if spec.start == nil || spec.finish == nil {
            queries.append(
                "SELECT MIN(\(ident: spec.batchColumn)) AS low, MAX(\(ident: spec.batchColumn)) AS high FROM \(ident: spec.table) WHERE \(filter)"
            )
        }
        queries.append(
            """
            SELECT \(expression) AS value FROM \(ident: spec.table)
            WHERE \(filter) AND \(ident: spec.batchColumn) >= \(bind: Int64(0)) AND \(ident: spec.batchColumn) < \(bind: Int64(0))
            """)
        return queries.map { query in
            let (sql, binds) = database.sql.serialize(query)
            return (sql.replacingOccurrences(of: "\n", with: " "), binds.map { "\($0)" })
        }
    }

    private func countExpression(_ spec: DatabaseMetricSpec) -> SQLQueryString {
        spec.operation == .distinctCount ? "COUNT(DISTINCT \(ident: spec.column))" : "COUNT(\(ident: spec.column))"
    }

    private func sumExpression(_ spec: DatabaseMetricSpec) -> SQLQueryString {
        "CAST(SUM(\(ident: spec.column)) AS DOUBLE PRECISION)"
    }

    private func filter(_ spec: DatabaseMetricSpec, window: (start: Date, end: Date)?) -> SQLQueryString {
        var filter: SQLQueryString = "1 = 1"
        for (column, value) in spec.conditions {
            switch value {
            case .null: filter = "\(filter) AND \(ident: column) IS NULL"
            case .bool(let flag): filter = "\(filter) AND \(ident: column) = \(bind: flag)"
            case .integer(let number): filter = "\(filter) AND \(ident: column) = \(bind: number)"
            case .double(let number): filter = "\(filter) AND \(ident: column) = \(bind: number)"
            case .string(let text): filter = "\(filter) AND \(ident: column) = \(bind: text)"
            case .array, .object: break
            }
        }
        if let window {
            switch database.dialect {
            case .postgres:
                filter =
                    "\(filter) AND \(ident: spec.timestampColumn) BETWEEN \(bind: window.start) AND \(bind: window.end)"
            case .sqlite:
                // SQLite keeps times as text; compare in its own CURRENT_TIMESTAMP format, `YYYY-MM-DD HH:MM:SS`.
                filter =
                    "\(filter) AND \(ident: spec.timestampColumn) BETWEEN \(bind: Self.sqliteTime(window.start)) AND \(bind: Self.sqliteTime(window.end))"
            }
        }
        return filter
    }

    /// A time in SQLite's `CURRENT_TIMESTAMP` text form, `YYYY-MM-DD HH:MM:SS` (UTC), as database metrics compare it.
    public static func sqliteTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    private func checkLoops(start: Int64, finish: Int64, size: Int) throws(MetricFailure) {
        if (finish - start) / Int64(size) >= Int64(settings.maximumLoops) {
            throw MetricFailure(
                "\((finish - start) / Int64(size)) batches of \(size) ids exceed the limit of \(settings.maximumLoops)")
        }
    }

    /// The sum of `expression` over every batch, each batch's value decoded as `Number` (NULL counts 0).
    private func batched<Number: Decodable & AdditiveArithmetic>(
        _ spec: DatabaseMetricSpec, filter: SQLQueryString, start: Int64, finish: Int64, size: Int,
        expression: SQLQueryString, as type: Number.Type
    ) async throws -> Number {
        try checkLoops(start: start, finish: finish, size: size)
        var total = Number.zero
        try await forEachBatch(spec, filter: filter, start: start, finish: finish, size: size, expression: expression) {
            row in
            total += try row.decode(column: "value", as: Number?.self) ?? .zero
        }
        return total
    }

    /// Runs `expression` over `[batchStart, batchStart + size)` ranges; halves the size on a statement timeout.
    private func forEachBatch(
        _ spec: DatabaseMetricSpec, filter: SQLQueryString, start: Int64, finish: Int64, size: Int,
        expression: SQLQueryString,
        _ add: (any SQLRow) throws -> Void
    ) async throws {
        var batchStart = start
        var batchSize = size
        var first = true
        while batchStart < finish {
            if !first && settings.pause > .zero { try await Task.sleep(for: settings.pause) }
            first = false
            let batchEnd = min(batchStart + Int64(batchSize), finish)
            do {
                let row = try await database.sql.raw(
                    """
                    SELECT \(expression) AS value FROM \(ident: spec.table)
                    WHERE \(filter) AND \(ident: spec.batchColumn) >= \(bind: batchStart) AND \(ident: spec.batchColumn) < \(bind: batchEnd)
                    """
                ).firstRow()
                if let row { try add(row) }
                batchStart = batchEnd
            } catch  where Self.isStatementTimeout(error) {
                guard batchSize / 2 >= settings.minimumRetryBatchSize else {
                    throw MetricFailure(
                        "statement timeout at batch size \(batchSize) (ids \(batchStart)..<\(batchEnd))")
                }
                batchSize /= 2
            }
        }
    }

    /// PostgreSQL's `query_canceled` (57014), raised by `statement_timeout`.
    static func isStatementTimeout(_ error: any Error) -> Bool {
        let text = String(reflecting: error)
        return text.contains("57014") || text.contains("canceling statement due to statement timeout")
    }
}
