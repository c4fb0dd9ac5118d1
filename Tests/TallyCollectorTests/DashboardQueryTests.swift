import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import ServicePing
import TallyTestSupport
import Testing

@testable import TallyCollector

/// A GitLab-format dashboard over the events of `PageData`, run on SQLite and PostgreSQL: every panel's CSV must
/// equal what was sent, counted in Swift.
@Suite("dashboards: queries")
struct DashboardQueryTests {
    static func visualization(_ type: String, _ query: String) -> String {
        "version: 1\ntype: \(type)\noptions: {}\ndata:\n  type: cube_analytics\n  query:\n" + query
    }

    /// Panel slugs in order: p1 … p10.
    static let visualizations: [(String, String)] = [
        (
            "sparse_daily",
            visualization(
                "LineChart",
                """
                    measures: [TrackedEvents.count]
                    timeDimensions: [{dimension: TrackedEvents.derivedTstamp, granularity: day}]
                    filters:
                      - {member: TrackedEvents.eventName, operator: equals, values: ['<b>bold</b>']}
                      - {member: TrackedEvents.appId, operator: equals, values: [web]}
                      - {member: TrackedEvents.derivedTstamp, operator: afterDate, values: ['2025-03-28']}
                """)
        ),
        (
            "by_event",
            visualization(
                "ColumnChart",
                """
                    measures: [TrackedEvents.count]
                    dimensions: [TrackedEvents.eventName]
                    order: {TrackedEvents.count: desc}
                """)
        ),
        (
            "apps_without_closing",
            visualization(
                "DataTable",
                """
                    measures: [TrackedEvents.count, TrackedEvents.uniqueUsersCount]
                    dimensions: [TrackedEvents.appId]
                    filters: [{member: TrackedEvents.eventAction, operator: notEquals, values: [close_issue]}]
                    order: {TrackedEvents.appId: asc}
                """)
        ),
        (
            "issue_events",
            visualization(
                "SingleStat",
                """
                    measures: [TrackedEvents.count]
                    filters: [{member: TrackedEvents.eventName, operator: contains, values: [issue]}]
                """)
        ),
        (
            "weekly",
            visualization(
                "ColumnChart",
                """
                    measures: [TrackedEvents.count]
                    timeDimensions: [{dimension: TrackedEvents.derivedTstamp, granularity: week}]
                """)
        ),
        (
            "sql_count",
            """
            version: 1
            type: SingleStat
            options: {}
            data:
              type: sql
              query:
                sql: SELECT COUNT(*) AS n FROM events WHERE derived_tstamp >= {{from}} AND derived_tstamp < {{to}}
            """
        ),
        (
            "sql_write",
            """
            version: 1
            type: DataTable
            options: {}
            data: {type: sql, query: {sql: DROP TABLE events}}
            """
        ),
        (
            "daily_by_app",
            visualization(
                "LineChart",
                """
                    measures: [TrackedEvents.count]
                    dimensions: [TrackedEvents.appId]
                    timeDimensions: [{dimension: TrackedEvents.derivedTstamp, granularity: day}]
                """)
        ),
        (
            "percent",
            visualization(
                "SingleStat",
                """
                    measures: [TrackedEvents.count]
                    filters:
                      - or:
                        - {member: TrackedEvents.eventName, operator: contains, values: ['%']}
                        - {member: TrackedEvents.eventName, operator: startsWith, values: ['_']}
                """)
        ),
        (
            "own_range",
            visualization(
                "SingleStat",
                """
                    measures: [TrackedEvents.count]
                    timeDimensions: [{dimension: TrackedEvents.derivedTstamp, dateRange: ['2025-03-10', '2025-03-12']}]
                """)
        ),
    ]

    static func dashboardFolder() throws -> URL {
        let root = try TestEnvironment.makeTemporaryDirectory("tally-dashboards")
        let visualizations = root.appendingPathComponent("visualizations")
        try FileManager.default.createDirectory(at: visualizations, withIntermediateDirectories: true)
        for (slug, text) in Self.visualizations {
            try text.write(to: visualizations.appendingPathComponent("\(slug).yaml"), atomically: true, encoding: .utf8)
        }
        var dashboard =
            "version: '2'\ntitle: Checks\nfilters:\n  dateRange: {enabled: true, defaultOption: 7d}\npanels:\n"
        for (index, (slug, _)) in Self.visualizations.enumerated() {
            dashboard +=
                "  - {title: \(slug), visualization: \(slug), gridAttributes: {xPos: \(index % 2 * 6), yPos: \(index), width: 6, height: 3}}\n"
        }
        // The second dashboard has no date range filter: queries read everything, or their own range.
        let whole = dashboard.replacingOccurrences(
            of: "title: Checks\nfilters:\n  dateRange: {enabled: true, defaultOption: 7d}\n", with: "title: Whole\n")
        for (name, text) in [("checks", dashboard), ("whole", whole)] {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        return root
    }

    func csv(_ client: some TestClientProtocol, _ uri: String) async throws -> [[String]] {
        let (status, text) = try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
        #expect(status == .ok, "\(uri): \(text)")
        return text.split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func panelsCountWhatWasSent(_ fixture: CollectorFixture) async throws {
        let catalog = try DashboardCatalog(folder: try Self.dashboardFolder())
        let router = buildCollectorRouter(
            .init(dashboards: catalog, now: { PageData.now }), warehouse: fixture.warehouse)
        try await Application(router: router).test(.router) { client in
            try await PageData.send(client)
            let days = (25...31).map { "2025-03-\($0)" }
            let previousDays = (18...24).map { "2025-03-\($0)" }
            let inRange = PageData.events.filter { days.contains(PageData.day($0.time)) }
            let inPrevious = PageData.events.filter { previousDays.contains(PageData.day($0.time)) }
            func panel(_ number: Int, _ dashboard: String = "checks") async throws -> [[String]] {
                try await csv(client, "/dashboards/\(dashboard)?range=7d&panel=p\(number)&format=csv")
            }

            let sparse = inRange.filter {
                $0.action == "<b>bold</b>" && $0.app == "web" && PageData.day($0.time) > "2025-03-28"
            }
            let daily = try await panel(1)
            #expect(daily.first == ["TrackedEvents.derivedTstamp.day", "TrackedEvents.count"])
            #expect(
                Array(daily.dropFirst())
                    == days.map { day in [day, "\(sparse.filter { PageData.day($0.time) == day }.count)"] })
            #expect(
                daily.dropFirst().contains { $0[1] == "0" }, "the sparse series should have empty days, filled with 0")

            var byAction: [String: Int] = [:]
            for event in inRange { byAction[event.action, default: 0] += 1 }
            let ranked = byAction.keys.sorted {
                byAction[$0]! != byAction[$1]! ? byAction[$0]! > byAction[$1]! : $0 < $1
            }
            #expect(Array(try await panel(2).dropFirst()) == ranked.map { [$0, "\(byAction[$0]!)"] })

            let open = inRange.filter { $0.action != "close_issue" }
            #expect(
                Array(try await panel(3).dropFirst())
                    == ["api", "web"].map { app in
                        let events = open.filter { $0.app == app }
                        return [app, "\(events.count)", "\(Set(events.compactMap(\.user)).count)"]
                    })

            let issues = { (events: [PageData.Event]) in events.filter { $0.action.contains("issue") }.count }
            #expect(
                try await panel(4) == [
                    ["TrackedEvents.count", "previous period"], ["\(issues(inRange))", "\(issues(inPrevious))"],
                ])

            // Weeks touching 2025-03-25…31: the Mondays 03-24 and 03-31, counting only days in range.
            #expect(
                Array(try await panel(5).dropFirst()) == [
                    ["2025-03-24", "\(inRange.filter { PageData.day($0.time) < "2025-03-31" }.count)"],
                    ["2025-03-31", "\(inRange.filter { PageData.day($0.time) == "2025-03-31" }.count)"],
                ])

            #expect(try await panel(6).last == ["\(inRange.count)"])
            let refused = try await panel(7)
            #expect(refused.first == ["error"])
            #expect(refused.count == 2 && refused[1].joined().contains("only reads"), "\(refused)")

            let byApp = try await panel(8)
            let apps = ["api", "web"].sorted { left, right in
                let a = inRange.filter { $0.app == left }.count
                let b = inRange.filter { $0.app == right }.count
                return a != b ? a > b : left < right
            }
            #expect(byApp.first == ["TrackedEvents.derivedTstamp.day"] + apps)
            #expect(
                Array(byApp.dropFirst())
                    == days.map { day in
                        [day]
                            + apps.map { app in
                                "\(inRange.filter { $0.app == app && PageData.day($0.time) == day }.count)"
                            }
                    })

            // % and _ are literal in contains/startsWith: no event name holds them.
            #expect(try await panel(9).last?.first == "0")

            // The page's range replaces a query's own; without a range filter the query's own applies, and a
            // query without one reads every event.
            #expect(try await panel(10).last?.first == "\(inRange.count)")
            let ownDays = ["2025-03-10", "2025-03-11", "2025-03-12"]
            let whole = try await csv(client, "/dashboards/whole?panel=p10&format=csv")
            #expect(whole.last == ["\(PageData.events.filter { ownDays.contains(PageData.day($0.time)) }.count)"])
            let everything = try await csv(client, "/dashboards/whole?panel=p4&format=csv")
            #expect(everything.last == ["\(issues(PageData.events))"])
            let range = try await csv(client, "/dashboards/whole?range=bogus&panel=p4&format=csv")
            #expect(range.last == ["\(issues(PageData.events))"], "a dashboard without a range filter ignores range")

            // Nothing was deleted by the refused statement, and the HTML page draws every panel.
            #expect(try await panel(6).last == ["\(inRange.count)"])
            let (status, page) = try await client.execute(uri: "/dashboards/checks?range=7d", method: .get) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(status == .ok)
            #expect(page.components(separatedBy: "<section class=\"panel").count - 1 == Self.visualizations.count)
            #expect(page.contains("grid-column:7 / span 6;grid-row:2 / span 3"))
        }
    }

    @Test func panelsCountWhatWasSentInSQLite() async throws {
        try await panelsCountWhatWasSent(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func panelsCountWhatWasSentInPostgreSQL() async throws {
        try await panelsCountWhatWasSent(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func panelsCountWhatWasSentInClickHouse() async throws {
        try await panelsCountWhatWasSent(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func panelsCountWhatWasSentInShardedClickHouse() async throws {
        try await panelsCountWhatWasSent(try await .shardedClickHouse())
    }

    @Test func builtInDashboardsRenderOverTheSameData() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let router = buildCollectorRouter(.init(now: { PageData.now }), warehouse: fixture.warehouse)
        try await Application(router: router).test(.router) { client in
            try await PageData.send(client)
            for name in DashboardCatalog.builtIn.names {
                let (status, page) = try await client.execute(uri: "/dashboards/\(name)", method: .get) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(status == .ok, "\(name)")
                #expect(!page.contains("This panel's query failed"), "\(name): \(page)")
            }
            let total = try await csv(client, "/dashboards/behavior?range=7d&panel=p1&format=csv")
            let inRange = PageData.events.filter { (25...31).map { "2025-03-\($0)" }.contains(PageData.day($0.time)) }
            #expect(total.last?.first == "\(inRange.count)")
            let (missing, _) = try await client.execute(uri: "/dashboards/nope", method: .get) { ($0.status, 0) }
            #expect(missing == .notFound)
            let (offered, message) = try await client.execute(uri: "/dashboards/instances?range=7d", method: .get) {
                ($0.status, String(buffer: $0.body))
            }
            #expect(offered == .badRequest && message.contains("<code>range</code>"))
        }
    }

    @Test func hostileFilterValuesStayValues() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let hostile = ["' OR 1=1 --", "\"; DROP TABLE events; --", "\\", "%' OR '%'='", "x') UNION SELECT 1 --"]
        var yaml = "version: 1\ntype: SingleStat\noptions: {}\ndata:\n  type: cube_analytics\n  query:\n"
        yaml += "    measures: [TrackedEvents.count]\n    filters:\n      - or:\n"
        for value in hostile {
            let quoted = "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
            yaml += "        - {member: TrackedEvents.eventName, operator: equals, values: [\(quoted)]}\n"
            yaml += "        - {member: TrackedEvents.eventName, operator: contains, values: [\(quoted)]}\n"
        }
        let root = try TestEnvironment.makeTemporaryDirectory("tally-dashboards")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("visualizations"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("h"), withIntermediateDirectories: true)
        try yaml.write(to: root.appendingPathComponent("visualizations/v.yaml"), atomically: true, encoding: .utf8)
        try "title: H\npanels:\n  - {title: v, visualization: v, gridAttributes: {width: 12, height: 1}}\n".write(
            to: root.appendingPathComponent("h/h.yaml"), atomically: true, encoding: .utf8)
        let router = buildCollectorRouter(
            .init(dashboards: try DashboardCatalog(folder: root), now: { PageData.now }), warehouse: fixture.warehouse)
        try await Application(router: router).test(.router) { client in
            try await PageData.send(client)
            let count = try await csv(client, "/dashboards/h?panel=p1&format=csv")
            #expect(count.last == ["0"], "\(count)")
            let all = try await fixture.warehouse.query("SELECT COUNT(*) AS n FROM events")
            #expect(all.rows == [[.integer(Int64(PageData.events.count))]])
        }
    }

    /// The benchmark's synthetic events and its two timings, on a small warehouse.
    @Test func theBenchmarkFillsAndMeasures() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let today = PageData.now
        _ = try await DashboardBenchmark.fill(fixture.warehouse, count: 5_000, today: today, chunk: 2_000)
        let stored = try await fixture.warehouse.query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT se_action) AS actions, SUM(event = 'page_view') AS views, MIN(derived_tstamp) >= '2025-01-01' AS recent FROM events"
        )
        #expect(stored.rows == [[.integer(5_000), .integer(20), .integer(500), .integer(1)]])
        let (render, direct, statements) = try await DashboardBenchmark.measure(
            fixture.warehouse, today: today, runs: 2)
        #expect(render.count == 2 && direct.count == 2 && statements == 9)
    }

    @Test func urlPathsAsDashboardsReadThem() {
        #expect(SQLiteDateFunctions.path(ofURL: "https://x.example/a/b?c=1#d") == "/a/b")
        #expect(SQLiteDateFunctions.path(ofURL: "https://x.example") == "")
        #expect(SQLiteDateFunctions.path(ofURL: "/local/path?q") == "/local/path")
    }
}
