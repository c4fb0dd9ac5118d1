import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import ServicePing
import TallyCollector
import TallyTestSupport
import Testing

/// Events and pings with numbers known in advance, sent through the collector's own endpoints, so the pages'
/// figures can be checked against what was sent (not against a second copy of the pages' SQL).
struct PageData {
    struct Event {
        var number: Int
        var time: Date
        var action: String
        var app: String
        var user: String?
    }

    /// Monday 2025-03-31, 12:00 UTC: "today" for the pages.
    static let now = Date(timeIntervalSince1970: 1_743_422_400)
    static let actions = ["create_issue", "close_issue", "view_dashboard", "<b>bold</b>"]

    /// 800 events over the 28 days up to today.
    static let events: [Event] = {
        var random = SeededGenerator(seed: 14)
        let firstDay = now.timeIntervalSince1970 - 12 * 3_600 - 27 * 86_400
        return (0..<800).map { number in
            let seconds = firstDay + Double(Int.random(in: 0..<(28 * 86_400), using: &random))
            let action = actions[min(Int.random(in: 0..<10, using: &random) / 3, 3)]
            return Event(
                number: number, time: Date(timeIntervalSince1970: seconds), action: action,
                app: Bool.random(using: &random) ? "web" : "api",
                user: number % 7 == 0 ? nil : "user-\(Int.random(in: 0..<12, using: &random))")
        }
    }()

    static func day(_ date: Date) -> String { String(JSONValue.formatTimestamp(date).prefix(10)) }

    /// Posts every event in batches of 200.
    static func send(_ client: some TestClientProtocol) async throws {
        for start in stride(from: 0, to: events.count, by: 200) {
            let batch = events[start..<min(start + 200, events.count)].map { event in
                // The true timestamp makes the event's time (derived_tstamp) this one, whatever the collector's clock.
                var extra = ["aid": event.app, "ttm": String(Int64(event.time.timeIntervalSince1970 * 1_000))]
                if let user = event.user { extra["uid"] = user }
                return TrackerBodies.structured(
                    event.number, action: event.action, created: event.time, sent: event.time, extra: extra)
            }
            let status = try await client.execute(
                uri: TrackerBodies.tp2, method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: TrackerBodies.batch(batch))
            ) { $0.status }
            #expect(status == .ok)
        }
    }

    /// A ping of `uuid` at `recordedAt` with `counts.issues` = `issues`.
    static func ping(uuid: String, host: String, recordedAt: String, issues: Int) -> String {
        """
        {"recorded_at":"\(recordedAt)","uuid":"\(uuid)","hostname":"\(host)","version":"17.8.0","edition":"EE",\
        "counts":{"issues":\(issues)}}
        """
    }
}

/// The pages of `tally collect` (`/events`, `/metrics`, `/instances`, `/dictionary`), their CSV exports and their
/// answers to bad parameters, on SQLite and PostgreSQL.
@Suite("tally collect: pages")
struct WebPagesTests {
    func router(_ fixture: CollectorFixture, metrics: [MetricDefinition] = []) -> Router<BasicRequestContext> {
        buildCollectorRouter(
            .init(metricDefinitions: metrics, now: { PageData.now }), warehouse: fixture.warehouse)
    }

    func get(_ client: some TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
    }

    /// A CSV export as rows of fields (the tests' values hold no commas or quotes).
    func csv(_ client: some TestClientProtocol, _ uri: String) async throws -> [[String]] {
        let (status, text) = try await get(client, uri)
        #expect(status == .ok, "\(uri): \(text)")
        return text.split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func eventPanelsCountWhatWasSent(_ fixture: CollectorFixture) async throws {
        try await Application(router: router(fixture)).test(.router) { client in
            try await PageData.send(client)
            // range=7d: 2025-03-25…2025-03-31; the previous period 2025-03-18…2025-03-24.
            let days = (0..<7).map { PageData.day(Date(timeIntervalSince1970: 1_742_860_800 + Double($0) * 86_400)) }
            let previousDays = (0..<7).map {
                PageData.day(Date(timeIntervalSince1970: 1_742_256_000 + Double($0) * 86_400))
            }
            #expect(days.first == "2025-03-25" && days.last == "2025-03-31" && previousDays.first == "2025-03-18")
            for (action, app) in [(nil, nil), ("close_issue", nil), (nil, "api"), ("<b>bold</b>", "web")]
                as [(String?, String?)]
            {
                let selected = PageData.events.filter { event in
                    (action == nil || event.action == action) && (app == nil || event.app == app)
                }
                var query = "range=7d"
                if let action {
                    query += "&action=" + action.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                }
                if let app { query += "&app_id=\(app)" }
                let current = selected.filter { days.contains(PageData.day($0.time)) }
                let previous = selected.filter { previousDays.contains(PageData.day($0.time)) }

                let daily = try await csv(client, "/events?\(query)&panel=daily&format=csv")
                #expect(daily.first == ["day", "events", "previous period"])
                #expect(
                    Array(daily.dropFirst())
                        == zip(days, previousDays).map { day, before in
                            [
                                day, "\(current.filter { PageData.day($0.time) == day }.count)",
                                "\(previous.filter { PageData.day($0.time) == before }.count)",
                            ]
                        }, "\(query)")

                let total = try await csv(client, "/events?\(query)&panel=total&format=csv")
                #expect(
                    total == [["events", "previous period"], ["\(current.count)", "\(previous.count)"]], "\(query)")
                let users = try await csv(client, "/events?\(query)&panel=users&format=csv")
                #expect(
                    users == [
                        ["users", "previous period"],
                        ["\(Set(current.compactMap(\.user)).count)", "\(Set(previous.compactMap(\.user)).count)"],
                    ], "\(query)")

                var counts: [String: Int] = [:]
                for event in current { counts[event.action, default: 0] += 1 }
                let ranked = counts.keys.sorted { left, right in
                    counts[left]! != counts[right]! ? counts[left]! > counts[right]! : left < right
                }
                let expectedTop = ranked.map { action -> [String] in
                    [action, String(counts[action]!), String(previous.filter { $0.action == action }.count)]
                }
                let top = try await csv(client, "/events?\(query)&panel=top&format=csv")
                #expect(Array(top.dropFirst()) == expectedTop, "\(query)")

                let rows = try await csv(client, "/events?\(query)&panel=rows&format=csv")
                #expect(rows.count - 1 == min(current.count, 100))
                let newest = current.sorted { $0.time > $1.time }.first
                #expect(rows.dropFirst().first?[0] == newest.map { JSONValue.formatTimestamp($0.time) })
            }
            // The HTML page carries the same figures.
            let (status, page) = try await get(client, "/events?range=7d")
            #expect(status == .ok)
            let current = PageData.events.filter { days.contains(PageData.day($0.time)) }
            #expect(page.contains("<data value=\"\(current.count)\">"))
            #expect(page.contains("<svg class=\"chart\""))
        }
    }

    @Test func eventPanelsCountWhatWasSentInSQLite() async throws {
        try await eventPanelsCountWhatWasSent(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func eventPanelsCountWhatWasSentInPostgreSQL() async throws {
        try await eventPanelsCountWhatWasSent(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func eventPanelsCountWhatWasSentInClickHouse() async throws {
        try await eventPanelsCountWhatWasSent(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func eventPanelsCountWhatWasSentInShardedClickHouse() async throws {
        try await eventPanelsCountWhatWasSent(try await .shardedClickHouse())
    }

    func metricPanelsFollowTheLatestPingOfEachWeek(_ fixture: CollectorFixture) async throws {
        try await Application(router: router(fixture)).test(.router) { client in
            // Instance A pings every Monday from 2025-03-03 to 2025-03-31; B skips the week of 2025-03-10 and
            // pings twice in the week of 2025-03-17 (the later ping counts).
            var pings: [String] = []
            for (week, monday) in ["2025-03-03", "2025-03-10", "2025-03-17", "2025-03-24", "2025-03-31"].enumerated() {
                pings.append(
                    PageData.ping(
                        uuid: "aaaa-1", host: "a.example", recordedAt: "\(monday)T10:00:00.000Z", issues: 10 * week))
            }
            pings.append(
                PageData.ping(uuid: "bbbb-2", host: "b.example", recordedAt: "2025-03-04T10:00:00.000Z", issues: 7))
            pings.append(
                PageData.ping(uuid: "bbbb-2", host: "b.example", recordedAt: "2025-03-17T10:00:00.000Z", issues: 8))
            pings.append(
                PageData.ping(uuid: "bbbb-2", host: "b.example", recordedAt: "2025-03-20T10:00:00.000Z", issues: 9))
            pings.append(
                PageData.ping(uuid: "bbbb-2", host: "b.example", recordedAt: "2025-03-25T10:00:00.000Z", issues: 11))
            for ping in pings {
                let status = try await client.execute(
                    uri: "/usage_data", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: ping)
                ) { $0.status }
                #expect(status == .created)
            }
            let range = "range=custom&from=2025-03-03&to=2025-03-31"
            let weekly = try await csv(client, "/metrics?key_path=counts.issues&\(range)&panel=weekly&format=csv")
            #expect(
                weekly == [
                    ["week", "a.example", "b.example"], ["2025-03-03", "0", "7"], ["2025-03-10", "10", ""],
                    ["2025-03-17", "20", "9"], ["2025-03-24", "30", "11"], ["2025-03-31", "40", ""],
                ])
            let one = try await csv(
                client, "/metrics?key_path=counts.issues&instance=bbbb-2&\(range)&panel=weekly&format=csv")
            #expect(one.first == ["week", "b.example"])
            let values = try await csv(client, "/metrics?key_path=counts.issues&\(range)&panel=values&format=csv")
            #expect(values.count == 1 + 5 + 3)
            #expect(values.first == ["week", "instance", "host", "value", "failed"])

            let reported = try await csv(client, "/metrics?panel=reported&format=csv")
            #expect(reported.dropFirst().map { Array($0.prefix(3)) } == [["counts.issues", "2", "9"]])

            // Today is Monday 2025-03-31: the last complete week is 2025-03-24's. B missed 2025-03-10's.
            let instances = try await csv(client, "/instances?panel=instances&format=csv")
            #expect(
                instances.first == [
                    "uuid", "hostname", "version", "edition", "first_ping", "last_ping", "pings", "pings_missed",
                ])
            #expect(
                instances.dropFirst().map { [$0[0], $0[1], $0[4], $0[5], $0[6], $0[7]] } == [
                    ["aaaa-1", "a.example", "2025-03-03T10:00:00.000Z", "2025-03-31T10:00:00.000Z", "5", "0"],
                    ["bbbb-2", "b.example", "2025-03-04T10:00:00.000Z", "2025-03-25T10:00:00.000Z", "4", "1"],
                ])
            let (status, page) = try await get(client, "/instances")
            #expect(status == .ok && page.contains("href=\"/metrics?instance=bbbb-2\""))
        }
    }

    @Test func metricPanelsFollowTheLatestPingOfEachWeekInSQLite() async throws {
        try await metricPanelsFollowTheLatestPingOfEachWeek(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func metricPanelsFollowTheLatestPingOfEachWeekInPostgreSQL() async throws {
        try await metricPanelsFollowTheLatestPingOfEachWeek(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func metricPanelsFollowTheLatestPingOfEachWeekInClickHouse() async throws {
        try await metricPanelsFollowTheLatestPingOfEachWeek(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func metricPanelsFollowTheLatestPingOfEachWeekInShardedClickHouse() async throws {
        try await metricPanelsFollowTheLatestPingOfEachWeek(try await .shardedClickHouse())
    }

    @Test(arguments: [
        ("/events?range=12d", "range"), ("/events?range=custom&to=2025-03-01", "from"),
        ("/events?range=custom&from=2025-02-30&to=2025-03-01", "from"),
        ("/events?range=custom&from=2025-03-02&to=2025-03-01", "to"),
        ("/events?range=custom&from=1900-01-01&to=2025-03-01", "to"), ("/events?format=xml", "format"),
        ("/events?format=csv", "panel"), ("/metrics?format=csv&panel=weekly", "panel"),
        ("/instances?format=csv&panel=nope", "panel"),
    ])
    func badParametersAreNamed(uri: String, parameter: String) async throws {
        let fixture = try await CollectorFixture.sqlite()
        try await Application(router: router(fixture)).test(.router) { client in
            let (status, page) = try await get(client, uri)
            #expect(status == .badRequest)
            #expect(page.contains("Parameter <code>\(parameter)</code>"), "\(page)")
        }
    }

    @Test func whatSendersWroteIsTextOnPagesAndInExports() async throws {
        let fixture = try await CollectorFixture.sqlite()
        try await Application(router: router(fixture)).test(.router) { client in
            let now = PageData.now
            let hostile = ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "a\"b,c"]
            let body = TrackerBodies.batch(
                hostile.enumerated().map {
                    TrackerBodies.structured(
                        9_000 + $0, action: $1, extra: ["ttm": String(Int64(now.timeIntervalSince1970 * 1_000))])
                })
            _ = try await client.execute(
                uri: TrackerBodies.tp2, method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: body)
            ) { $0.status }
            let (_, page) = try await get(client, "/events?range=7d")
            #expect(!page.contains("<script>alert"))
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let (_, filtered) = try await get(client, "/events?range=7d&action=%22%3E%3Cscript%3E")
            #expect(!filtered.contains("\"><script>"))
            let (_, export) = try await get(client, "/events?range=7d&panel=top&format=csv")
            #expect(export.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
            #expect(export.contains("\"a\"\"b,c\""))
        }
    }

    @Test func aWarehouseThatCantAnswerGets503() async throws {
        let warehouse = Warehouse(configuration: try DatabaseConfiguration(url: "sqlite:///nonexistent-tally/w.sqlite"))
        try await Application(router: buildCollectorRouter(.init(), warehouse: warehouse)).test(.router) { client in
            for path in ["/events", "/metrics", "/instances"] {
                let (status, page) = try await get(client, path)
                #expect(status == .serviceUnavailable, "\(path)")
                #expect(page.contains("try again later"))
            }
        }
    }

    @Test func theDictionaryListsSearchesAndFilters() async throws {
        let catalog = try DefinitionLoader().load(
            from: [DefinitionFolder.packageRoot.appendingPathComponent("definitions")])
        let fixture = try await CollectorFixture.sqlite()
        try await Application(router: router(fixture, metrics: catalog.metrics)).test(.router) { client in
            let (status, page) = try await get(client, "/dictionary")
            #expect(status == .ok)
            for metric in catalog.metrics { #expect(page.contains(">\(HTMLText.escape(metric.keyPath))</a>")) }
            let (_, all) = try await get(client, "/dictionary.json")
            let document = try JSONDecoder().decode(JSONValue.self, from: Data(all.utf8))
            #expect(document["count"] == .integer(Int64(catalog.metrics.count)))
            let first = try #require(catalog.metrics.sorted { $0.keyPath < $1.keyPath }.first)
            let listed = try #require(document["metrics"]?.array?.first)
            #expect(listed["key_path"]?.string == first.keyPath)
            #expect(listed["description"]?.string == first.description)
            #expect(listed["time_frame"]?.string == first.timeFrame.rawValue)

            for frame in TimeFrame.allCases {
                let (_, text) = try await get(client, "/dictionary?format=json&time_frame=\(frame.rawValue)")
                let selected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                #expect(selected["count"] == .integer(Int64(catalog.metrics.filter { $0.timeFrame == frame }.count)))
            }
            let word = try #require(first.keyPath.split(separator: ".").last).uppercased()
            let (_, searched) = try await get(client, "/dictionary.json?q=\(word)")
            let found = try JSONDecoder().decode(JSONValue.self, from: Data(searched.utf8))
            let expected = catalog.metrics.filter {
                $0.keyPath.lowercased().contains(word.lowercased())
                    || $0.description.lowercased().contains(word.lowercased())
            }
            #expect(found["count"] == .integer(Int64(expected.count)))
            #expect(expected.count > 0)
        }
    }
}

/// What the tests expect HTML escaping to produce.
enum HTMLText {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
