import Foundation
import InternalEvents
import SQLKit
import ServicePing

/// What `tally bench dashboard` needs: a warehouse full of synthetic events, and the time to render a dashboard's
/// page against the time of the same SQL statements run directly, on one connection each, in the same run.
public enum DashboardBenchmark {
    /// Inserts `count` structured events spread evenly over the 90 days up to `today` (20 actions, 5 apps, 100,000
    /// users, every 10th a page view), generated inside the database in statements of `chunk` rows. Calls
    /// `progress` with the rows inserted so far; returns the seconds it took.
    public static func fill(
        _ warehouse: Warehouse, count: Int, today: Date, chunk: Int = 500_000,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> Double {
        let end = CalendarDay(containing: today).adding(days: 1).start.timeIntervalSince1970
        let start = end - 90 * 86_400
        let spacing = (end - start) / Double(max(count, 1))
        let clock = ContinuousClock()
        let began = clock.now
        try await warehouse.withDatabase { database in
            var done = 0
            while done < count {
                let size = min(chunk, count - done)
                let statement: SQLQueryString
                switch database.dialect {
                case .sqlite:
                    statement = """
                        WITH RECURSIVE n(i) AS (SELECT \(literal: done) UNION ALL SELECT i + 1 FROM n WHERE i < \(literal: done + size - 1))
                        INSERT INTO events (event_id, event, app_id, platform, v_tracker, collector_tstamp, derived_tstamp,
                                            se_category, se_action, se_label, user_id, contexts)
                        SELECT printf('00000000-0000-4000-8000-%012x', i), CASE WHEN i % 10 = 0 THEN 'page_view' ELSE 'struct' END,
                               'app-' || (i % 5), 'web', 'bench', t, t, 'bench',
                               CASE WHEN i % 10 = 0 THEN NULL ELSE 'action_' || ((i / 10) % 20) END, 'label_' || (i % 3),
                               'user-' || (i * 7919 % 100000), '[]'
                        FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', \(literal: start) + i * \(literal: spacing), 'unixepoch') AS t FROM n)
                        """
                case .postgres:
                    statement = """
                        INSERT INTO events (event_id, event, app_id, platform, v_tracker, collector_tstamp, derived_tstamp,
                                            se_category, se_action, se_label, user_id, contexts)
                        SELECT '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
                               CASE WHEN i % 10 = 0 THEN 'page_view' ELSE 'struct' END, 'app-' || (i % 5), 'web', 'bench', t, t,
                               'bench', CASE WHEN i % 10 = 0 THEN NULL ELSE 'action_' || ((i / 10) % 20) END, 'label_' || (i % 3),
                               'user-' || (i::bigint * 7919 % 100000), '[]'
                        FROM (SELECT i, to_timestamp(\(literal: start) + i * \(literal: spacing)) AS t
                              FROM generate_series(\(literal: done), \(literal: done + size - 1)) AS i) g
                        """
                case .clickhouse:
                    statement = """
                        INSERT INTO events (event_id, event, app_id, platform, v_tracker, collector_tstamp, derived_tstamp,
                                            se_category, se_action, se_label, user_id, contexts)
                        SELECT concat('00000000-0000-4000-8000-', toString(100000000000 + i)),
                               if(i % 10 = 0, 'page_view', 'struct'), concat('app-', toString(i % 5)), 'web', 'bench', t, t,
                               'bench', if(i % 10 = 0, NULL, concat('action_', toString(intDiv(i, 10) % 20))),
                               concat('label_', toString(i % 3)), concat('user-', toString(i * 7919 % 100000)), '[]'
                        FROM (SELECT number + \(literal: done) AS i,
                                     toDateTime(toUInt32(\(literal: start) + i * \(literal: spacing)), 'UTC') AS t
                              FROM numbers(\(literal: size)))
                        """
                }
                try await warehouse.transaction(database) { try await database.sql.raw(statement).run() }
                done += size
                progress(done)
            }
            if database.dialect == .postgres { try await database.sql.raw("ANALYZE events").run() }
            if database.dialect == .sqlite { try await database.sql.raw("ANALYZE").run() }
        }
        return (clock.now - began).seconds
    }

    /// Seconds per run: the page of dashboard `slug` (every panel's queries, then the HTML and SVG), and its SQL
    /// statements alone (the same ones, rows fetched, nothing drawn). Also gives the number of statements a page runs.
    public static func measure(
        _ warehouse: Warehouse, dashboard slug: String = "behavior", range: String = "30d", today: Date, runs: Int
    ) async throws -> (render: [Double], direct: [Double], statements: Int) {
        guard let dashboard = DashboardCatalog.builtIn.dashboard(slug) else {
            throw WarehouseError("no built-in dashboard \(slug)")
        }
        let page = try DashboardPage(
            dashboard: dashboard, parameters: PageParameters([("range", range)]), today: CalendarDay(containing: today))
        let clock = ContinuousClock()
        var render: [Double] = []
        var direct: [Double] = []
        var statements = 0
        for _ in 0..<runs {
            let began = clock.now
            let panels = try await page.load(warehouse)
            let html = page.html(panels, parameters: PageParameters([("range", range)]))
            render.append((clock.now - began).seconds)
            guard html.description.contains("<svg"), !html.description.contains("This panel's query failed") else {
                throw WarehouseError("the bench dashboard did not render")
            }
            let directBegan = clock.now
            statements = try await warehouse.reading(readOnly: true) { reader in
                let queries = page.statements(reader)
                for query in queries { _ = try await reader.database.sql.raw(query).all() }
                return queries.count
            }
            direct.append((clock.now - directBegan).seconds)
        }
        return (render, direct, statements)
    }
}

extension DashboardPage {
    /// Every SQL statement the page runs, in order (for the benchmark's baseline).
    func statements(_ reader: WarehouseReader) -> [SQLQueryString] {
        var statements: [SQLQueryString] = []
        for panel in dashboard.panels {
            switch panel.visualization.data {
            case .cube(let query):
                statements.append(cubeSQL(query).statement(reader))
                if panel.visualization.kind == .singleStat, let before = previousPeriodSQL(query) {
                    statements.append(before.statement(reader))
                }
            case .sql(let text):
                statements.append(sqlStatement(text, reader))
            }
        }
        return statements
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
