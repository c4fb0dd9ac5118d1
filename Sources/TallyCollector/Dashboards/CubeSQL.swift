import InternalEvents
import SQLKit
import ServicePing

/// Turns a `CubeQuery` into one SQL statement for the warehouse's dialect, runs it, and fills the days a
/// day-granular series has no rows for with 0 (as GitLab's dashboards do).
///
/// Values reach the database as bound parameters; member names map to fixed SQL from `CubeSchema`, so nothing of
/// a dashboard file is ever spliced into SQL.
struct CubeSQL: Sendable {
    let query: CubeQuery
    /// The page's days (the dashboard's date range filter): they replace the query's own date ranges.
    let range: (from: CalendarDay, to: CalendarDay)?
    let excludeAnonymousUsers: Bool
    let today: CalendarDay

    /// The selected columns in order: grouped times, dimensions, measures.
    struct Column: Sendable {
        var name: String
        var title: String
        var member: String
        var isMeasure: Bool
        var granularity: CubeQuery.Granularity?
    }

    var columns: [Column] {
        var columns: [Column] = []
        for time in query.groupedTimes {
            let member = CubeSchema.resolve(time.member)!.member
            columns.append(
                Column(
                    name: "\(time.member).\(time.granularity!.rawValue)",
                    title: "\(member.title) (\(time.granularity!.rawValue))", member: time.member, isMeasure: false,
                    granularity: time.granularity))
        }
        for name in query.dimensions {
            columns.append(
                Column(name: name, title: CubeSchema.resolve(name)!.member.title, member: name, isMeasure: false))
        }
        for name in query.measures {
            columns.append(
                Column(name: name, title: CubeSchema.resolve(name)!.member.title, member: name, isMeasure: true))
        }
        return columns
    }

    /// The days the query covers: the page's range, else its first time dimension's own range.
    var days: (from: CalendarDay, to: CalendarDay)? {
        if let range { return range }
        return query.timeDimensions.lazy.compactMap { $0.dateRange?.resolve(today: today) }.first
    }

    private func expression(_ member: String, _ dialect: WarehouseDialect) -> String {
        CubeSchema.resolve(member)!.member.sql(dialect)
    }

    static func bucket(_ column: String, _ granularity: CubeQuery.Granularity, _ dialect: WarehouseDialect) -> String {
        switch dialect {
        case .clickhouse:
            switch granularity {
            case .hour: return "formatDateTime(\(column), '%Y-%m-%dT%H:00')"
            case .day: return "toString(toDate(\(column)))"
            case .week: return "toString(toMonday(\(column)))"
            case .month: return "formatDateTime(\(column), '%Y-%m')"
            case .quarter: return "concat(toString(toYear(\(column))), '-Q', toString(toQuarter(\(column))))"
            case .year: return "toString(toYear(\(column)))"
            }
        case .sqlite:
            switch granularity {
            case .hour: return "substr(\(column), 1, 13) || ':00'"
            case .day: return "substr(\(column), 1, 10)"
            case .week:
                return
                    "date(substr(\(column), 1, 10), '-' || ((CAST(strftime('%w', substr(\(column), 1, 10)) AS INTEGER) + 6) % 7) || ' days')"
            case .month: return "substr(\(column), 1, 7)"
            case .quarter:
                return "substr(\(column), 1, 4) || '-Q' || ((CAST(substr(\(column), 6, 2) AS INTEGER) + 2) / 3)"
            case .year: return "substr(\(column), 1, 4)"
            }
        case .postgres:
            let utc = "(\(column) AT TIME ZONE 'UTC')"
            switch granularity {
            case .hour: return "to_char(\(utc), 'YYYY-MM-DD\"T\"HH24:00')"
            case .day: return "to_char(\(utc), 'YYYY-MM-DD')"
            case .week: return "to_char(date_trunc('week', \(utc)), 'YYYY-MM-DD')"
            case .month: return "to_char(\(utc), 'YYYY-MM')"
            case .quarter: return "to_char(\(utc), 'YYYY-\"Q\"Q')"
            case .year: return "to_char(\(utc), 'YYYY')"
            }
        }
    }

    /// The statement, with its columns aliased `c0`, `c1`, … in `columns` order.
    func statement(_ reader: WarehouseReader) -> SQLQueryString {
        let dialect = reader.dialect
        let columns = columns
        var select: [SQLQueryString] = []
        for (index, column) in columns.enumerated() {
            let expression =
                column.granularity.map { Self.bucket(self.expression(column.member, dialect), $0, dialect) }
                ?? self.expression(column.member, dialect)
            select.append("\(unsafeRaw: expression) AS c\(unsafeRaw: String(index))")
        }
        var sql: SQLQueryString = "SELECT "
        sql += select.joined(separator: ", ")
        sql += " FROM \(unsafeRaw: query.cube.source)"
        var conditions: [SQLQueryString] = []
        let rangeMember =
            query.timeDimensions.first?.member ?? "\(query.cube.name).\(query.cube.defaultTime)"
        if let range {
            conditions.append(within(expression(rangeMember, dialect), range.from, range.to, reader))
        } else {
            for time in query.timeDimensions {
                if let days = time.dateRange?.resolve(today: today) {
                    conditions.append(within(expression(time.member, dialect), days.from, days.to, reader))
                }
            }
        }
        if excludeAnonymousUsers, let user = query.cube.user { conditions.append("\(unsafeRaw: user) IS NOT NULL") }
        for filter in query.filters { conditions.append(condition(filter, reader)) }
        if !conditions.isEmpty {
            sql += " WHERE "
            sql += conditions.map { "(\($0))" as SQLQueryString }.joined(separator: " AND ")
        }
        let grouped = columns.indices.filter { !columns[$0].isMeasure }
        // Columns by position, or by alias in ClickHouse (18.16 reads `GROUP BY 1` as a constant).
        func reference(_ index: Int) -> String { dialect == .clickhouse ? "c\(index)" : String(index + 1) }
        if !grouped.isEmpty {
            sql += " GROUP BY \(unsafeRaw: grouped.map(reference).joined(separator: ", "))"
        }
        var order: [String] = []
        for (member, ascending) in query.order {
            if let index = columns.firstIndex(where: { $0.member == member }) {
                order.append("\(reference(index)) \(ascending ? "ASC" : "DESC")")
            }
        }
        if query.order.isEmpty {
            if let time = columns.firstIndex(where: { $0.granularity != nil }) {
                order.append("\(reference(time)) ASC")
            } else if let measure = columns.firstIndex(where: \.isMeasure) {
                order.append("\(reference(measure)) DESC")
            }
        }
        // Ties broken by every grouped column, so the same data always gives the same rows.
        for index in grouped where !order.contains(where: { $0.hasPrefix("\(reference(index)) ") }) {
            order.append("\(reference(index)) ASC")
        }
        if !order.isEmpty { sql += " ORDER BY \(unsafeRaw: order.joined(separator: ", "))" }
        sql += " LIMIT \(literal: query.limit)"
        if query.offset > 0 { sql += " OFFSET \(literal: query.offset)" }
        return sql
    }

    private func within(
        _ column: String, _ from: CalendarDay, _ to: CalendarDay, _ reader: WarehouseReader
    ) -> SQLQueryString {
        "\(unsafeRaw: column) >= \(reader.time(from.start)) AND \(unsafeRaw: column) < \(reader.time(to.adding(days: 1).start))"
    }

    private func condition(_ filter: CubeQuery.Filter, _ reader: WarehouseReader) -> SQLQueryString {
        switch filter {
        case .and(let parts):
            return parts.map { "(\(condition($0, reader)))" as SQLQueryString }.joined(separator: " AND ")
        case .or(let parts):
            return parts.map { "(\(condition($0, reader)))" as SQLQueryString }.joined(separator: " OR ")
        case .member(let name, let op, let values):
            let member = CubeSchema.resolve(name)!.member
            let column = self.expression(name, reader.dialect)
            let expression: SQLQueryString = "\(unsafeRaw: column)"
            let text: SQLQueryString =
                switch reader.dialect {
                case .postgres where member.isNumeric: "CAST(\(unsafeRaw: column) AS TEXT)"
                case .clickhouse where member.isNumeric: "toString(\(unsafeRaw: column))"
                default: expression
                }
            // ClickHouse's LIKE takes `\` as its escape and has no ESCAPE clause.
            let escape: SQLQueryString = reader.dialect == .clickhouse ? "" : " ESCAPE '\\'"
            func bound(_ value: String) -> SQLQueryString {
                member.isNumeric ? "\(bind: Double(value) ?? 0)" : "\(bind: value)"
            }
            func like(_ pattern: (String) -> String) -> SQLQueryString {
                values.map { "\(text) LIKE \(bind: pattern(Self.escapeLike($0)))\(escape)" as SQLQueryString }
                    .joined(separator: " OR ")
            }
            let list = values.map(bound).joined(separator: ", ")
            switch op {
            case .equals: return "\(expression) IN (\(list))"
            case .notEquals: return "\(expression) NOT IN (\(list)) OR \(expression) IS NULL"
            case .contains: return like { "%\($0)%" }
            case .notContains: return "\(expression) IS NULL OR NOT (\(like { "%\($0)%" }))"
            case .startsWith: return like { "\($0)%" }
            case .endsWith: return like { "%\($0)" }
            case .gt: return "\(expression) > \(bound(values[0]))"
            case .gte: return "\(expression) >= \(bound(values[0]))"
            case .lt: return "\(expression) < \(bound(values[0]))"
            case .lte: return "\(expression) <= \(bound(values[0]))"
            case .set: return "\(expression) IS NOT NULL"
            case .notSet: return "\(expression) IS NULL"
            case .inDateRange, .notInDateRange, .beforeDate, .afterDate:
                let days = values.compactMap { CalendarDay($0.prefix(10)) }
                switch op {
                case .inDateRange: return within(column, days[0], days[1], reader)
                case .notInDateRange: return "NOT (\(within(column, days[0], days[1], reader)))"
                case .beforeDate: return "\(expression) < \(reader.time(days[0].start))"
                default: return "\(expression) >= \(reader.time(days[0].adding(days: 1).start))"
                }
            }
        }
    }

    /// `%`, `_` and `\` taken literally in a LIKE pattern (with `ESCAPE '\'`).
    static func escapeLike(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    /// Runs the statement: columns named by member (`TrackedEvents.derivedTstamp.day`, `TrackedEvents.count`), and
    /// for a day-granular first time column, every day of the range present (measures 0 where nothing happened).
    func run(_ reader: WarehouseReader) async throws -> QueryResult {
        let columns = columns
        let raw = try await reader.result(statement(reader), columns: columns.indices.map { "c\($0)" })
        var result = QueryResult(columns: columns.map(\.name), rows: raw.rows)
        if let first = columns.first, first.granularity == .day { result = fillDays(result, columns) }
        return result
    }

    private func fillDays(_ result: QueryResult, _ columns: [Column]) -> QueryResult {
        let presentDays = result.rows.compactMap { $0.first?.string.flatMap { CalendarDay($0) } }
        guard let bounds = days ?? presentDays.min().map({ ($0, presentDays.max()!) }) else { return result }
        guard bounds.to.number - bounds.from.number < 3_660 else { return result }
        let measureIndices = columns.indices.filter { columns[$0].isMeasure }
        let keyIndices = columns.indices.dropFirst().filter { !columns[$0].isMeasure }
        // One series per combination of the other dimensions (a single one without them).
        var seriesKeys: [[JSONValue]] = []
        var seen = Set<String>()
        var byDayAndKey: [String: [JSONValue]] = [:]
        for row in result.rows {
            let key = keyIndices.map { row[$0] }
            let keyText = JSONValue.array(key).serialized()
            if seen.insert(keyText).inserted { seriesKeys.append(key) }
            byDayAndKey[(row[0].string ?? "") + "|" + keyText] = row
        }
        if seriesKeys.isEmpty && keyIndices.isEmpty { seriesKeys = [[]] }
        var rows: [[JSONValue]] = []
        for day in stride(from: bounds.from.number, through: bounds.to.number, by: 1).map(CalendarDay.init(number:)) {
            for key in seriesKeys {
                let keyText = JSONValue.array(key).serialized()
                if let row = byDayAndKey[day.description + "|" + keyText] {
                    rows.append(row)
                    continue
                }
                var row = [JSONValue](repeating: .null, count: columns.count)
                row[0] = .string(day.description)
                for (offset, index) in keyIndices.enumerated() { row[index] = key[offset] }
                for index in measureIndices { row[index] = .integer(0) }
                rows.append(row)
            }
        }
        return QueryResult(columns: result.columns, rows: rows)
    }
}
