import InternalEvents
import SQLKit

/// `/metrics`: one metric's weekly values per instance, from the pings they sent (the latest ping of each instance
/// in each ISO week, as `latest_pings_per_week` picks it).
///
/// Filters: `key_path` (without one, the page lists the metrics pings report), `instance` (an instance's uuid)
/// and the date range (`range`, default 90 days).
struct MetricsPage: Sendable {
    static let path = "/metrics"
    /// Instances drawn as lines; the table has all of them.
    static let seriesLimit = 10

    let range: DateRange
    let keyPath: String?
    let instance: String?

    init(parameters: PageParameters, today: CalendarDay) throws(PageParameters.Invalid) {
        range = try DateRange(parameters: parameters, today: today, default: .ninetyDays)
        keyPath = parameters["key_path"]
        instance = parameters["instance"]
        for (name, value) in [("key_path", keyPath), ("instance", instance)] where (value?.utf8.count ?? 0) > 1_024 {
            throw .init(parameter: name, message: "at most 1024 bytes")
        }
    }

    struct Content: Sendable {
        var keyPaths: [String]
        var instances: [String]
        var panels: [Panel]
    }

    func week(_ reader: WarehouseReader) -> SQLQueryString {
        switch reader.dialect {
        case .sqlite: "w.ping_week"
        case .postgres: "to_char(w.ping_week, 'YYYY-MM-DD')"
        case .clickhouse: "toString(w.ping_week)"
        }
    }

    func load(_ warehouse: Warehouse) async throws -> Content {
        try await warehouse.reading { reader in
            let keyPaths = try await reader.strings(
                "SELECT DISTINCT metrics_path AS value FROM ping_metrics ORDER BY value")
            let instances = try await reader.strings("SELECT DISTINCT uuid AS value FROM pings ORDER BY value")
            guard let keyPath else {
                let reported = try await reader.result(
                    """
                    SELECT metrics_path AS key_path, COUNT(DISTINCT instance_uuid) AS instances,
                           COUNT(*) AS pings, MAX(recorded_at) AS last_reported
                    FROM ping_metrics GROUP BY metrics_path ORDER BY metrics_path
                    """, columns: ["key_path", "instances", "pings", "last_reported"])
                let panel = Panel(
                    id: "reported", title: "Metrics in pings", visualization: .dataTable, result: reported,
                    note: "Every numeric metric the warehouse has; pick one to see its weekly values.",
                    link: Panel.Link(column: 0) { [range] row in
                        row[0].string.map {
                            Self.path + PageParameters(range.parameters + [("key_path", $0)]).queryString
                        }
                    })
                return Content(keyPaths: keyPaths, instances: instances, panels: [panel])
            }
            var filter: SQLQueryString =
                "m.metrics_path = \(bind: keyPath) AND \(week(reader)) >= \(bind: range.from.monday.description) AND \(week(reader)) <= \(bind: range.to.description)"
            if let instance { filter += " AND w.uuid = \(bind: instance)" }
            let values = try await reader.result(
                """
                SELECT \(week(reader)) AS week, w.uuid AS instance, w.hostname AS host, m.metric_value AS value,
                       m.has_failed AS failed
                FROM latest_pings_per_week w JOIN ping_metrics m ON m.ping_id = w.id
                WHERE \(filter) ORDER BY week, instance
                """, columns: ["week", "instance", "host", "value", "failed"])
            let panels = [
                Panel(
                    id: "weekly", title: keyPath, visualization: .lineChart, result: pivot(values),
                    note: "The latest ping of each instance in each ISO week (weeks start on Monday)."
                        + (Set(values.rows.map { $0[1] }).count > Self.seriesLimit
                            ? " Lines for the \(Self.seriesLimit) instances with the highest latest value." : "")),
                Panel(id: "values", title: "Values", visualization: .dataTable, result: values),
            ]
            return Content(keyPaths: keyPaths, instances: instances, panels: panels)
        }
    }

    /// Weeks down, one column per instance (named by host, or uuid when hosts repeat), the range's every week.
    func pivot(_ values: QueryResult) -> QueryResult {
        var byInstance: [String: [String: JSONValue]] = [:]
        var hosts: [String: String] = [:]
        var latest: [String: (week: String, value: Double)] = [:]
        for row in values.rows {
            guard let week = row[0].string, let uuid = row[1].string else { continue }
            byInstance[uuid, default: [:]][week] = row[3]
            if let host = row[2].string { hosts[uuid] = host }
            if let value = CellText.numeric(row[3]), week >= latest[uuid]?.week ?? "" { latest[uuid] = (week, value) }
        }
        let chosen = byInstance.keys.sorted { left, right in
            let a = latest[left]?.value ?? 0
            let b = latest[right]?.value ?? 0
            return a != b ? a > b : left < right
        }.prefix(Self.seriesLimit)
        let hostCounts = Dictionary(grouping: chosen, by: { hosts[$0] ?? $0 }).mapValues(\.count)
        let names = chosen.map { uuid in
            let host = hosts[uuid] ?? uuid
            return hostCounts[host, default: 0] > 1 ? "\(host) (\(uuid.prefix(8)))" : host
        }
        return QueryResult(
            columns: ["week"] + names,
            rows: range.weeks.map { monday in
                [.string(monday.description)] + chosen.map { byInstance[$0]?[monday.description] ?? .null }
            })
    }

    func html(_ content: Content, parameters: PageParameters) -> HTML {
        let options = HTML.joined(content.keyPaths.map { "<option value=\"\($0)\"></option>" })
        let fields: HTML = """
            <label>Metric (key path) <input class="search" name="key_path" list="key-paths" value="\(keyPath ?? "")" \
            placeholder="counts.issues"></label><datalist id="key-paths">\(options)</datalist>
            """
        return PageLayout.page(
            title: "Metrics", path: Self.path,
            body: PageLayout.filters(
                range: range,
                fields: fields
                    + PageLayout.select("instance", label: "Instance", options: content.instances, selected: instance))
                + PageLayout.grid(content.panels, spans: [:], path: Self.path, parameters: parameters))
    }
}
