import InternalEvents
import SQLKit

/// `/instances`: every instance that has sent a ping, with what its latest ping says and how many weekly pings it
/// has missed since its first (complete ISO weeks without a ping, the current week not counted).
struct InstancesPage: Sendable {
    static let path = "/instances"

    let today: CalendarDay

    func load(_ warehouse: Warehouse) async throws -> [Panel] {
        try await warehouse.reading { reader in
            // ClickHouse 18.16 can't join a `Distributed` table by `ON` (a sharded warehouse's pings), so there
            // each instance's latest row is picked by `argMax`.
            let latestQuery: SQLQueryString =
                reader.dialect == .clickhouse
                ? """
                SELECT uuid, argMax(hostname, recorded_at) AS hostname, argMax(version, recorded_at) AS version,
                       argMax(edition, recorded_at) AS edition, MIN(recorded_at) AS first_ping,
                       MAX(recorded_at) AS last_ping, COUNT(*) AS pings
                FROM pings FINAL GROUP BY uuid ORDER BY last_ping DESC, uuid
                """
                : """
                SELECT p.uuid AS uuid, p.hostname AS hostname, p.version AS version, p.edition AS edition,
                       f.first_ping AS first_ping, p.recorded_at AS last_ping, f.pings AS pings
                FROM pings p JOIN (
                  SELECT uuid, MIN(recorded_at) AS first_ping, MAX(recorded_at) AS last_ping, COUNT(*) AS pings
                  FROM pings GROUP BY uuid) f ON f.uuid = p.uuid AND f.last_ping = p.recorded_at
                ORDER BY p.recorded_at DESC, p.uuid
                """
            let latest = try await reader.result(
                latestQuery, columns: ["uuid", "hostname", "version", "edition", "first_ping", "last_ping", "pings"])
            let week: SQLQueryString =
                switch reader.dialect {
                case .sqlite: "ping_week"
                case .postgres: "to_char(ping_week, 'YYYY-MM-DD')"
                case .clickhouse: "toString(ping_week)"
                }
            let weeks = try await reader.result(
                "SELECT uuid, \(week) AS week FROM latest_pings_per_week", columns: ["uuid", "week"])
            var pinged: [String: Set<Int>] = [:]
            for row in weeks.rows {
                guard let uuid = row[0].string, let day = row[1].string.flatMap({ CalendarDay($0) }) else { continue }
                pinged[uuid, default: []].insert(day.number)
            }
            let lastCompleteMonday = today.monday.number - 7
            let rows = latest.rows.map { row -> [JSONValue] in
                let uuid = row[0].string ?? ""
                let weeks = pinged[uuid] ?? []
                var missed = 0
                if let first = weeks.min(), first <= lastCompleteMonday {
                    missed =
                        stride(from: first, through: lastCompleteMonday, by: 7).filter { !weeks.contains($0) }.count
                }
                return row + [.integer(Int64(missed))]
            }
            return [
                Panel(
                    id: "instances", title: "Instances", visualization: .dataTable,
                    result: QueryResult(columns: latest.columns + ["pings_missed"], rows: rows),
                    note: "pings_missed: complete ISO weeks since the first ping without one.",
                    link: Panel.Link(column: 0) { row in
                        row[0].string.map { MetricsPage.path + PageParameters([("instance", $0)]).queryString }
                    })
            ]
        }
    }

    func html(_ panels: [Panel], parameters: PageParameters) -> HTML {
        PageLayout.page(
            title: "Instances", path: Self.path,
            body: PageLayout.grid(panels, spans: [:], path: Self.path, parameters: parameters))
    }
}
