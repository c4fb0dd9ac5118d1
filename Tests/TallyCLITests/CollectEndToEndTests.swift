import Crypto
import Foundation
import TallyTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The whole loop with real senders into one live `tally collect`: `tally worker --submit` (its weekly ping, caught
/// up at start), `tally serve`'s Snowplow emitter (event records of tracked events), and PyPI's `snowplow-tracker`
/// (a client nobody here wrote, over tp2 and the tp1 pixel). The warehouse's rows are checked field by field, and
/// no raw user id is anywhere in its files.
@Suite(
    "tally collect end to end",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct CollectEndToEndTests {
    static let instanceSecret = "instance-secret-0123456789abcdef-xyz"
    static let rawUser = "raw-user-77"

    @Test func workerServeAndSnowplowTrackerLandInTheWarehouse() async throws {
        let redis = try await RedisServer.shared()
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("view_page", identifiers: "[user]"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.metric(
                "counts.page_viewers", timeFrame: "7d", events: "- name: view_page\n  unique: user.id"))
        try folder.write(
            "metrics/uuid.yml",
            try String(
                contentsOf: DefinitionFolder.packageRoot.appendingPathComponent(
                    "definitions/metrics/license/20261125000100_uuid.yml"), encoding: .utf8))
        let collector = try await CollectProcess.start(in: folder.url)
        defer { collector.process.send(SIGKILL) }
        let environment = [
            "TALLY_REDIS_URL": "redis://127.0.0.1:\(redis.port)",
            "TALLY_KEY_PREFIX": TestEnvironment.uniqueKeyPrefix("e2e"),
            "TALLY_DATABASE_URL": "sqlite://" + folder.url.appendingPathComponent("app.sqlite").path,
            "TALLY_DEFINITIONS": folder.url.path,
        ]

        // 1. tally serve with event records on: three tracked events become records in the warehouse.
        let serveLog = folder.url.appendingPathComponent("serve.log")
        let server = try TallyBinary.launch(
            ["serve", "--port", "0", "--event-records-url", collector.baseURL, "--app-id", "e2e-app"],
            environment: environment.merging([
                "TALLY_API_TOKENS": "token-1", "TALLY_INSTANCE_SECRET": Self.instanceSecret,
            ]) { $1 }, output: serveLog, unblockingSignals: true)
        defer { server.send(SIGKILL) }
        var servePort: Int?
        _ = await TestEnvironment.waitUntil {
            let text = (try? String(contentsOf: serveLog, encoding: .utf8)) ?? ""
            servePort = text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\//).flatMap { Int($0.1) }
            return servePort != nil || !server.isRunning
        }
        let port = try #require(servePort, "\((try? String(contentsOf: serveLog, encoding: .utf8)) ?? "")")
        for user in [3, 4, 3] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v4/usage_data/track_event")!)
            request.httpMethod = "POST"
            request.setValue("Bearer token-1", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"event": "view_page", "user_id": \#(user), "send_to_snowplow": true}"#.utf8)
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
        }
        // Queryable soon after arrival: the emitter sends within its flush interval (1 s).
        #expect(
            try await TestEnvironment.waitUntil(limit: .seconds(20)) {
                try await collector.count("SELECT count(*) AS n FROM events WHERE se_action = 'view_page'") == 3
            }, "tally serve's records arrive")
        kill(server.processIdentifier, SIGTERM)
        #expect(await TestEnvironment.waitUntil { !server.isRunning })

        // 2. tally worker --submit: the missed week's ping is built at start and submitted.
        let workerLog = folder.url.appendingPathComponent("worker.log")
        let worker = try TallyBinary.launch(
            ["worker", "--jitter", "0", "--submit", "--collector-url", collector.baseURL], environment: environment,
            output: workerLog, unblockingSignals: true)
        defer { worker.send(SIGKILL) }
        #expect(
            try await TestEnvironment.waitUntil(limit: .seconds(60)) {
                try await collector.count("SELECT count(*) AS n FROM pings") == 1
            }, "\((try? String(contentsOf: workerLog, encoding: .utf8)) ?? "")")
        kill(worker.processIdentifier, SIGTERM)

        // 3. PyPI's snowplow-tracker: two structured events over tp2 (POST), one over the pixel (GET).
        let script = """
            import sys
            from snowplow_tracker import Tracker, Emitter, Subject, StructuredEvent, SelfDescribingJson
            port = int(sys.argv[1])
            subject = Subject().set_user_id("\(Self.rawUser)")
            context = [SelfDescribingJson("iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7",
                                          {"environment": "production", "source": "python", "project_id": 7,
                                           "namespace_id": 9, "extra": {"format": "csv"}})]
            for method in ["post", "get"]:
                emitter = Emitter("127.0.0.1", protocol="http", port=port, method=method, batch_size=2)
                tracker = Tracker(namespace="py", emitters=emitter, app_id="py-app", subject=subject)
                count = 2 if method == "post" else 1
                for index in range(count):
                    tracker.track(StructuredEvent(category="InternalEventTracking", action="export_report",
                                                  label=method, property_="p%d" % index, value=3, context=context))
                emitter.flush()
            """
        let python = try await TestEnvironment.run(["python3", "-c", script, String(collector.port)])
        #expect(python.status == 0, "\(python.output)")
        #expect(
            try await TestEnvironment.waitUntil(limit: .seconds(20)) {
                try await collector.count("SELECT count(*) AS n FROM events WHERE se_action = 'export_report'") == 3
            })

        // Field by field.
        let served = try await collector.query(
            """
            SELECT se_category, app_id, platform, name_tracker, gsc_pseudonymized_user_id, user_id, gsc_source,
                   contexts FROM events WHERE se_action = 'view_page' ORDER BY id
            """)
        let pseudonym = { (user: Int) in
            Data(SHA256.hash(data: Data((String(user) + String(Self.instanceSecret.prefix(32))).utf8)))
                .base64EncodedString()
        }
        #expect(
            served.map { $0["gsc_pseudonymized_user_id"] as? String } == [pseudonym(3), pseudonym(4), pseudonym(3)])
        for row in served {
            #expect(row["se_category"] as? String == "InternalEventTracking")
            #expect(row["app_id"] as? String == "e2e-app")
            #expect(row["platform"] as? String == "srv")
            #expect(row["name_tracker"] as? String == "gl")
            #expect(row["user_id"] is NSNull, "tally serve sends no uid")
            #expect(row["gsc_source"] as? String == "tally")
            #expect((row["contexts"] as? String)?.contains("gitlab_service_ping") == true)
        }
        let python3Rows = try await collector.query(
            """
            SELECT se_category, se_label, se_property, se_value, app_id, name_tracker, v_tracker, user_id,
                   project_id, namespace_id, gsc_extra, gsc_source FROM events WHERE se_action = 'export_report'
            ORDER BY se_label DESC, se_property
            """)
        #expect(python3Rows.map { $0["se_label"] as? String } == ["post", "post", "get"])
        #expect(python3Rows.map { $0["se_property"] as? String } == ["p0", "p1", "p0"])
        let users = Set(python3Rows.compactMap { $0["user_id"] as? String })
        #expect(users.count == 1 && users.first != Self.rawUser && users.first?.count == 44, "\(users)")
        for row in python3Rows {
            #expect(row["se_value"] as? Double == 3)
            #expect(row["app_id"] as? String == "py-app")
            #expect(row["name_tracker"] as? String == "py")
            #expect((row["v_tracker"] as? String)?.hasPrefix("py-") == true)
            #expect(row["project_id"] as? Int == 7)
            #expect(row["namespace_id"] as? Int == 9)
            #expect(row["gsc_extra"] as? String == #"{"format":"csv"}"#)
            #expect(row["gsc_source"] as? String == "python")
        }
        let behaviour = try await collector.query(
            "SELECT event_action, count(*) AS n FROM mart_behavior_structured_event GROUP BY 1 ORDER BY 1")
        #expect(behaviour.map { $0["n"] as? Int } == [3, 3])
        let ping = try await collector.query(
            "SELECT metric_value FROM fct_ping_instance_metric WHERE metrics_path = 'counts.page_viewers'")
        #expect(ping.count == 1, "the worker's ping is flattened: \(ping)")
        #expect(try await collector.count("SELECT count(*) AS n FROM bad_rows") == 0)

        // No raw user id in any of the warehouse's files, once the collector has stopped.
        kill(collector.process.processIdentifier, SIGTERM)
        #expect(await TestEnvironment.waitUntil { !collector.process.isRunning })
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter {
            $0.hasPrefix("warehouse.sqlite")
        }
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try Data(contentsOf: folder.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(Self.rawUser.utf8)) == nil, "\(file) holds the raw user id")
        }
    }
}
