import InternalEvents
import SQLKit

/// `/events`: what trackers sent, per day and per action, with the rows behind them.
///
/// Filters: the date range (`range`, `from`, `to`), `action` (a structured event's action, or the event type for
/// the others, such as `page_view`) and `app_id`. Every figure is compared with the period just before.
struct EventsPage: Sendable {
    static let path = "/events"
    /// Actions in the "most fired" panel.
    static let topCount = 10
    /// Rows in the "latest events" table.
    static let rowCount = 100

    let range: DateRange
    let action: String?
    let appID: String?

    init(parameters: PageParameters, today: CalendarDay) throws(PageParameters.Invalid) {
        range = try DateRange(parameters: parameters, today: today)
        action = parameters["action"]
        appID = parameters["app_id"]
        for (name, value) in [("action", action), ("app_id", appID)] where (value?.utf8.count ?? 0) > 255 {
            throw .init(parameter: name, message: "at most 255 bytes")
        }
    }

    /// What the page shows: its filter choices and its panels.
    struct Content: Sendable {
        var actions: [String]
        var appIDs: [String]
        var panels: [Panel]
    }

    static let actionExpression: SQLQueryString = "COALESCE(se_action, event)"
    static let userExpression: SQLQueryString = "COALESCE(gsc_pseudonymized_user_id, user_id)"

    /// The tie-break among events of the same second: arrival (`id`) in SQLite and PostgreSQL; ClickHouse's
    /// events have no row number, so their ids.
    static func arrivalOrder(_ dialect: WarehouseDialect) -> SQLQueryString {
        dialect == .clickhouse ? "event_id" : "id"
    }

    /// Rows of `events` within `from…to` (days included) that pass the page's other filters.
    func condition(_ reader: WarehouseReader, from: CalendarDay, to: CalendarDay) -> SQLQueryString {
        var sql: SQLQueryString =
            "derived_tstamp >= \(reader.time(from.start)) AND derived_tstamp < \(reader.time(to.adding(days: 1).start))"
        if let action { sql += " AND \(Self.actionExpression) = \(bind: action)" }
        if let appID { sql += " AND app_id = \(bind: appID)" }
        return sql
    }

    func load(_ warehouse: Warehouse) async throws -> Content {
        try await warehouse.reading { reader in
            let previous = range.previous
            let inRange: SQLQueryString =
                "derived_tstamp >= \(reader.time(range.from.start))"
            let both = condition(reader, from: previous.from, to: range.to)
            let actions = try await reader.strings(
                "SELECT DISTINCT \(Self.actionExpression) AS value FROM events ORDER BY value LIMIT 1000")
            let appIDs = try await reader.strings(
                "SELECT DISTINCT app_id AS value FROM events WHERE app_id IS NOT NULL ORDER BY value LIMIT 1000")

            let totals = try await reader.result(
                """
                SELECT SUM(CASE WHEN \(inRange) THEN 1 ELSE 0 END) AS events,
                       SUM(CASE WHEN \(inRange) THEN 0 ELSE 1 END) AS previous_events,
                       COUNT(DISTINCT CASE WHEN \(inRange) THEN \(Self.userExpression) END) AS users,
                       COUNT(DISTINCT CASE WHEN \(inRange) THEN NULL ELSE \(Self.userExpression) END) AS previous_users
                FROM events WHERE \(both)
                """, columns: ["events", "previous_events", "users", "previous_users"])
            let total = totals.rows.first ?? []
            func cell(_ index: Int) -> JSONValue {
                index < total.count && total[index] != .null ? total[index] : .integer(0)
            }

            let perDay = try await reader.result(
                "SELECT \(reader.day(of: "derived_tstamp")) AS day, COUNT(*) AS events FROM events WHERE \(both) GROUP BY day",
                columns: ["day", "events"])
            var counts: [String: JSONValue] = [:]
            for row in perDay.rows { if let day = row[0].string { counts[day] = row[1] } }
            let daily = QueryResult(
                columns: ["day", "events", "previous period"],
                rows: range.days.map { day in
                    [
                        .string(day.description), counts[day.description] ?? .integer(0),
                        counts[day.adding(days: -range.dayCount).description] ?? .integer(0),
                    ]
                })

            let top = try await reader.result(
                """
                SELECT \(Self.actionExpression) AS action,
                       SUM(CASE WHEN \(inRange) THEN 1 ELSE 0 END) AS events,
                       SUM(CASE WHEN \(inRange) THEN 0 ELSE 1 END) AS previous_events,
                       COUNT(DISTINCT CASE WHEN \(inRange) THEN \(Self.userExpression) END) AS users
                FROM events WHERE \(both)
                GROUP BY action HAVING SUM(CASE WHEN \(inRange) THEN 1 ELSE 0 END) > 0
                ORDER BY events DESC, action LIMIT \(literal: Self.topCount)
                """, columns: ["action", "events", "previous_events", "users"])

            let rows = try await reader.result(
                """
                SELECT derived_tstamp AS time, app_id, event, se_category AS category, se_action AS action,
                       se_label AS label, se_property AS property, se_value AS value, \(Self.userExpression) AS user,
                       gsc_instance_id AS instance
                FROM events WHERE \(condition(reader, from: range.from, to: range.to))
                ORDER BY derived_tstamp DESC, \(Self.arrivalOrder(reader.dialect)) DESC LIMIT \(literal: Self.rowCount)
                """,
                columns: [
                    "time", "app_id", "event", "category", "action", "label", "property", "value", "user", "instance",
                ])

            let panels = [
                Panel(
                    id: "total", title: "Events", visualization: .singleStat,
                    result: QueryResult(columns: ["events", "previous period"], rows: [[cell(0), cell(1)]])),
                Panel(
                    id: "users", title: "Unique users", visualization: .singleStat,
                    result: QueryResult(columns: ["users", "previous period"], rows: [[cell(2), cell(3)]]),
                    note: "Distinct pseudonymized user ids; events without one are not counted here."),
                Panel(
                    id: "daily", title: "Events per day", visualization: .lineChart, result: daily,
                    comparisonColumns: [2], note: "Dashed: the \(range.dayCount) days before, day by day."),
                Panel(
                    id: "top", title: "Most fired events", visualization: .columnChart,
                    result: QueryResult(
                        columns: ["action", "events", "previous period"],
                        rows: top.rows.map { Array($0.prefix(3)) }),
                    comparisonColumns: [2]),
                Panel(
                    id: "top_users", title: "Most fired events: unique users", visualization: .dataTable,
                    result: QueryResult(
                        columns: ["action", "events", "unique users"], rows: top.rows.map { [$0[0], $0[1], $0[3]] })),
                Panel(
                    id: "rows", title: "Latest events", visualization: .dataTable, result: rows,
                    note: "The newest \(Self.rowCount) events of the range that pass the filters."),
            ]
            return Content(actions: actions, appIDs: appIDs, panels: panels)
        }
    }

    /// The panels' layout on the 12-column grid, by panel id.
    static let spans = ["total": 3, "users": 3, "daily": 12, "top": 7, "top_users": 5, "rows": 12]

    func html(_ content: Content, parameters: PageParameters) -> HTML {
        let fields =
            PageLayout.select("action", label: "Action", options: content.actions, selected: action)
            + PageLayout.select("app_id", label: "App id", options: content.appIDs, selected: appID)
        return PageLayout.page(
            title: "Events", path: Self.path,
            body: PageLayout.filters(range: range, fields: fields)
                + PageLayout.grid(content.panels, spans: Self.spans, path: Self.path, parameters: parameters))
    }
}
