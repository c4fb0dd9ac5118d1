import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import ServicePing
import TallyCollector
import TallyServer
import TallyTestSupport
import Testing

/// A real browser (Debian's headless chromium): a page of an app with `tally.js` is clicked, and the app's Redis
/// counters and the collector's warehouse get the events; with Do-Not-Track or Global Privacy Control on, the
/// counters still move and no record leaves the browser. Then every page of `tally collect` and a GitLab-format
/// dashboard render without a console error, at desktop and phone widths, showing the warehouse's numbers.
///
/// Screenshots land in `.build/screenshots`.
@Suite(
    "tally.js and the pages in a real browser",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"),
    .enabled(if: Browser.shouldRunSuites, "chromium is not installed (CI=true makes this a failure)"))
struct BrowserTests {
    /// The app's page: GitLab's `data-event-tracking` button, a `tally.trackEvent` call with a custom property.
    static func page(collector: Int?) -> String {
        let records = collector.map { " data-collector=\"http://127.0.0.1:\($0)\"" } ?? ""
        return """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Notes</title>
            <link rel="icon" href="data:,"><meta name="csrf-token" content="csrf-123">
            <script src="/api/v4/usage_data/tally.js"\(records) data-app-id="browser-notes"></script></head><body>
            <button id="note" data-event-tracking="create_note" data-event-label="toolbar" data-event-value="3">Add</button>
            <button id="custom" onclick="tally.trackEvent('create_note', {label: 'js', lang: 'swift'})">Custom</button>
            <button id="hide" onclick="hideNow()">Hide</button>
            <script>
            // The page hides right after a click, in one script (no timer can flush in between); then it asks the
            // app for the counter until the beacon's event is counted, so the browser stays up while it goes.
            function hideNow() {
              window.beacons = 0;
              var send = navigator.sendBeacon.bind(navigator);
              navigator.sendBeacon = function (url, data) { window.beacons++; return send(url, data); };
              document.getElementById("note").click();
              window.dispatchEvent(new PageTransitionEvent("pagehide"));
              window.fetchedBeforeHiding = tally.sent;
              setInterval(function () {
                fetch("/counted").then(function (r) { return r.text(); }).then(function (t) { window.counted = Number(t); });
              }, 100);
            }
            </script>
            </body></html>
            """
    }

    /// The app: its page (which signs the browser in as user 7 with a cookie) and GitLab's usage-data routes behind
    /// that cookie.
    static func app(_ fixture: ServerFixture, collector: Int) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        // `/?counters-only`: the page without a collector (its events only count; no record is sent).
        router.get("/") { request, _ in
            let countersOnly = request.uri.query == "counters-only"
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .setCookie: "session=7; Path=/; HttpOnly; SameSite=Lax",
                ],
                body: .init(byteBuffer: ByteBuffer(string: page(collector: countersOnly ? nil : collector))))
        }
        router.get("/counted") { _, _ in
            String(try await fixture.integer("{event_counters}_create_note") ?? 0)
        }
        let api = UsageDataAPI<BasicRequestContext>(
            tracker: fixture.tracker(), metricDefinitions: try MetricDefinitionsDocument(catalog: fixture.catalog)
        ) { request, _ in
            let cookies = request.headers[.cookie] ?? ""
            let session = cookies.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("session=") }
            return session.flatMap { Int64($0.dropFirst("session=".count)) }.map { TallyCaller(user: UserID($0)) }
        }
        api.addRoutes(to: router)
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static let state = "({sent: tally.sent, records: tally.records, failed: tally.failed, optedOut: tally.optedOut()})"
    /// What tally.js left in the browser: no cookie readable by the page (the app's session one is HttpOnly), no
    /// storage.
    static let traces = "({cookies: document.cookie, local: localStorage.length, session: sessionStorage.length})"

    @Test func clicksReachRedisAndTheWarehouseAndPagesRender() async throws {
        let fixture = try await ServerFixture(label: "browser")
        let folder = try TestEnvironment.makeTemporaryDirectory("tally-browser")
        let warehouse = Warehouse(
            configuration: try DatabaseConfiguration(url: "sqlite://" + folder.appendingPathComponent("w.sqlite").path))
        try await warehouse.migrate()
        let dashboards = try DashboardCatalog(folder: try Self.gitLabDashboardFolder(in: folder))
        let collector = buildCollector(
            .init(port: 0, metricDefinitions: fixture.catalog.metrics, dashboards: dashboards), warehouse: warehouse)
        try await collector.test(.live) { collectorClient in
            let collectorPort = try #require(collectorClient.port)
            try await Self.app(fixture, collector: collectorPort).test(.live) { appClient in
                let appURL = "http://127.0.0.1:\(try #require(appClient.port))/"
                let collectorURL = "http://127.0.0.1:\(collectorPort)"

                // 1. Two clicks: two events in Redis (about user 7, from the session), two rows in the warehouse.
                let visits = try await Browser.visit([
                    Browser.Page(
                        url: appURL, name: "tally-js", clicks: ["#note", "#custom"],
                        wait: "window.tally && tally.sent >= 2 && tally.records >= 2", eval: Self.state)
                ])
                #expect(visits[0].errors.isEmpty, "\(visits[0].console)")
                #expect(visits[0].waited == true, "\(visits[0].result) \(visits[0].console)")
                #expect(visits[0].result == #"{"failed":0,"optedOut":false,"records":2,"sent":2}"#)
                let traces = try await Browser.visit([Browser.Page(url: appURL, eval: Self.traces)])
                #expect(traces[0].result == #"{"cookies":"","local":0,"session":0}"#)
                #expect(try await fixture.integer("{event_counters}_create_note") == 2)
                #expect(fixture.recorder.events.map(\.user) == [UserID(7), UserID(7)])
                let rows = try await warehouse.query(
                    "SELECT se_action, se_label, se_value, app_id, platform, gsc_extra FROM events ORDER BY se_label")
                #expect(
                    rows.rows == [
                        ["create_note", "js", .null, "browser-notes", "web", #"{"lang":"swift"}"#],
                        ["create_note", "toolbar", .double(3), "browser-notes", "web", "{}"],
                    ])

                // 2. Do-Not-Track, then Global Privacy Control: the counter moves, no record is sent.
                for (doNotTrack, privacy) in [(true, false), (false, true)] {
                    let before = try await fixture.integer("{event_counters}_create_note") ?? 0
                    let visit = try await Browser.visit(
                        [
                            Browser.Page(
                                url: appURL, clicks: ["#note"], wait: "window.tally && tally.sent >= 1",
                                eval: Self.state)
                        ],
                        doNotTrack: doNotTrack, globalPrivacyControl: privacy)
                    #expect(visit[0].errors.isEmpty, "\(visit[0].console)")
                    #expect(visit[0].result == #"{"failed":0,"optedOut":true,"records":0,"sent":1}"#)
                    #expect(try await fixture.integer("{event_counters}_create_note") == before + 1)
                    #expect(try await warehouse.query("SELECT COUNT(*) AS n FROM events").rows == [[.integer(2)]])
                }

                // 3. The page hides right after a click: the queued event leaves with sendBeacon. The click and the
                // `pagehide` happen in one script, so no timer can flush in between, and the page stays up for the
                // beacon to go (a real unload makes delivery the browser's best effort, which a test can't gate on).
                // A page without a collector: only the app's same-origin beacon.
                let plain = try await appClient.execute(uri: "/?counters-only", method: .get) {
                    String(buffer: $0.body)
                }
                #expect(!plain.contains("data-collector"), "\(plain)")
                let beforeLeaving = try await fixture.integer("{event_counters}_create_note") ?? 0
                let left = try await Browser.visit([
                    Browser.Page(
                        url: appURL + "?counters-only", clicks: ["#hide"],
                        wait: "window.counted >= \(beforeLeaving + 1)",
                        eval: "({beacons: window.beacons, fetched: window.fetchedBeforeHiding, failed: tally.failed})")
                ])
                #expect(left[0].waited == true, "the beacon's event was never counted: \(left[0].console)")
                #expect(left[0].result == #"{"beacons":1,"failed":0,"fetched":0}"#, "\(left[0].console)")
                #expect(left[0].errors.isEmpty, "\(left[0].console)")
                let arrived = await TestEnvironment.waitUntil {
                    (try? await fixture.integer("{event_counters}_create_note")) == beforeLeaving + 1
                }
                #expect(arrived, "the beacon's event reached the counter")

                // 4. Every page of the collector, at 1280 px and at a phone's 390 px: no console error, no
                // sideways scrolling on the phone, and the numbers shown are the warehouse's.
                let paths = [
                    "/events", "/metrics", "/metrics?key_path=counts.notes_users", "/instances", "/dictionary",
                    "/dashboards", "/dashboards/behavior", "/dashboards/audience", "/dashboards/instances",
                    "/dashboards/gitlab_behavior",
                ]
                let stat = "(document.querySelector('[data-panel=\"total\"] data') || {}).value"
                var pages: [Browser.Page] = []
                for path in paths {
                    let name =
                        "page"
                        + path.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "?", with: "-")
                        .replacingOccurrences(of: "=", with: "-")
                    pages.append(Browser.Page(url: collectorURL + path, name: name, eval: stat))
                    pages.append(
                        Browser.Page(
                            url: collectorURL + path, name: name + "-phone", width: 390,
                            eval: "document.documentElement.scrollWidth"))
                }
                pages.append(
                    Browser.Page(
                        url: collectorURL + "/dashboards/behavior?range=7d", name: "dashboard-behavior",
                        eval: "(document.querySelector('[data-panel=\"p1\"] data') || {}).value"))
                pages.append(
                    Browser.Page(
                        url: collectorURL + "/dashboards/gitlab_behavior",
                        eval:
                            "Array.from(document.querySelectorAll('[data-panel=\"p2\"] tbody tr')).map(r => Array.from(r.children).map(c => c.textContent))"
                    ))
                let shown = try await Browser.visit(pages)
                for visit in shown {
                    #expect(visit.errors.isEmpty, "\(visit.url): \(visit.console)")
                    #expect(!visit.title.isEmpty && !visit.title.contains("Bad request"), "\(visit.url)")
                }
                for phone in shown.enumerated() where phone.offset % 2 == 1 && phone.offset < 2 * paths.count {
                    #expect(
                        (Int(phone.element.result) ?? .max) <= 390, "\(phone.element.url) scrolls sideways on a phone")
                }
                let stored = try await warehouse.query("SELECT se_label, event, app_id, page_url FROM events").rows
                #expect(shown[0].result == "\"2\"", "the events page's total is the warehouse's: \(stored)")
                #expect(shown[2 * paths.count].result == "\"2\"", "the behavior dashboard's total is the warehouse's")
                let table = try await warehouse.query(
                    "SELECT se_action, COUNT(*) AS n FROM events GROUP BY se_action ORDER BY n DESC")
                #expect(
                    shown.last?.result == "[[\"\(table.rows[0][0].string ?? "")\",\"\(CellText(table.rows[0][1]))\"]]")
            }
        }
    }

    /// GitLab's dashboard layout: a dashboard naming two shared visualizations (events per day, events by name).
    static func gitLabDashboardFolder(in folder: URL) throws -> URL {
        let root = folder.appendingPathComponent("dashboards")
        let files = [
            "visualizations/events_over_time.yaml": """
            version: 1
            type: LineChart
            data:
              type: cube_analytics
              query:
                measures: [SnowplowTrackedEvents.count]
                timeDimensions: [{dimension: SnowplowTrackedEvents.derivedTstamp, granularity: day}]
                limit: 100
                timezone: UTC
            options:
              xAxis: {name: Time, type: time}
              yAxis: {name: Counts, type: value}
            """,
            "visualizations/top_events.yaml": """
            version: 1
            type: DataTable
            data:
              type: cube_analytics
              query:
                measures: [TrackedEvents.count]
                dimensions: [TrackedEvents.eventName]
            options: {}
            """,
            "gitlab_behavior/gitlab_behavior.yaml": """
            title: GitLab-style behavior
            filters:
              dateRange: {enabled: true}
            panels:
              - {title: Events over time, visualization: events_over_time, gridAttributes: {xPos: 0, yPos: 0, width: 8, height: 4}}
              - {title: Top events, visualization: top_events, gridAttributes: {xPos: 8, yPos: 0, width: 4, height: 4}}
            """,
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }
}

/// A count as the pages print it (grouped digits).
private func CellText(_ value: JSONValue) -> String {
    if case .integer(let number) = value { return number.formatted(.number.grouping(.automatic)) }
    return "\(value)"
}
