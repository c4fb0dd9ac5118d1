import Crypto
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

/// Tracker events as trackers send them (tp2 batches, tp1 pixels), for the Snowplow collector tests.
enum TrackerBodies {
    static let tp2 = "/com.snowplowanalytics.snowplow/tp2"

    static func eventID(_ number: Int) -> String {
        String(format: "00000000-0000-4000-8000-%012d", number)
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The contexts GitLab's internal events carry: `gitlab_standard` (with a pseudonymized user) and
    /// `gitlab_service_ping`.
    static let gitLabContexts = """
        {"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[\
        {"schema":"iglu:com.gitlab/gitlab_standard/jsonschema/1-1-7","data":{"environment":"production",\
        "source":"tally","plan":"free","extra":{"plan":"premium"},"user_id":"pseudonym-of-user",\
        "namespace_id":9,"project_id":7,"instance_id":"instance-1","host_name":"app.example.com",\
        "instance_version":"1.2.3"}},\
        {"schema":"iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1","data":{"data_source":"redis_hll",\
        "event_name":"feature_used"}}]}
        """

    /// A structured event's fields (all strings, as the protocol sends them).
    static func structured(
        _ number: Int, action: String = "feature_used", category: String = "InternalEventTracking",
        created: Date = Date(), sent: Date = Date(), extra: [String: String] = [:]
    ) -> [String: String] {
        var fields = [
            "e": "se", "p": "srv", "tv": "tally-swift-test", "tna": "gl", "aid": "tally-app",
            "eid": eventID(number), "se_ca": category, "se_ac": action,
            "dtm": String(Int64(created.timeIntervalSince1970 * 1_000)),
            "stm": String(Int64(sent.timeIntervalSince1970 * 1_000)),
        ]
        fields.merge(extra) { $1 }
        return fields
    }

    static func batch(_ events: [[String: String]]) -> String {
        let data = events.map { fields in
            JSONValue.object(fields.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        }
        return JSONValue.object([
            ("schema", .string("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4")),
            ("data", .array(data)),
        ]).serialized()
    }
}

@Suite("tally collect: Snowplow collector")
struct SnowplowCollectorTests {
    func post(
        _ client: some TestClientProtocol, _ body: String, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, JSONValue?, HTTPFields) {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return try await client.execute(
            uri: TrackerBodies.tp2, method: .post, headers: fields, body: ByteBuffer(string: body)
        ) { response in
            (
                response.status, try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body)),
                response.headers
            )
        }
    }

    func counts(_ answer: JSONValue?) -> [Int64] {
        ["stored", "duplicates", "bad_rows"].map { key in
            if case .integer(let value)? = answer?[key] { return value }
            return -1
        }
    }

    func storesEventsFieldByField(_ fixture: CollectorFixture) async throws {
        let created = Date(timeIntervalSince1970: 1_700_000_000.5)
        let body = TrackerBodies.batch([
            TrackerBodies.structured(
                1, created: created, sent: created.addingTimeInterval(2),
                extra: [
                    "cx": TrackerBodies.base64URL(TrackerBodies.gitLabContexts), "uid": "42", "se_la": "a label",
                    "se_pr": "a property", "se_va": "2.5", "url": "https://app.example.com/x",
                ]),
            TrackerBodies.structured(2, action: "other_action", extra: ["co": TrackerBodies.gitLabContexts]),
        ])
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let (status, answer, _) = try await post(client, body)
            #expect(status == .ok)
            #expect(counts(answer) == [2, 0, 0])
            // The sender retries (its answer was lost): nothing is stored twice.
            let (again, repeated, _) = try await post(client, body)
            #expect(again == .ok)
            #expect(counts(repeated) == [0, 2, 0])
        }
        let rows = try await fixture.warehouse.query(
            """
            SELECT event_id, event, app_id, platform, name_tracker, v_tracker, se_category, se_action, se_label,
                   se_property, se_value, user_id, page_url, gsc_pseudonymized_user_id, project_id, namespace_id,
                   gsc_environment, gsc_plan, gsc_instance_id, gsc_extra
            FROM events ORDER BY event_id
            """)
        #expect(rows.rows.count == 2)
        let secret = try await fixture.warehouse.query(
            "SELECT value FROM warehouse_settings WHERE name = 'uid_pseudonymization_secret'"
        ).rows.first?.first?.string
        let pseudonym = Data(SHA256.hash(data: Data(("42" + (secret ?? "")).utf8))).base64EncodedString()
        #expect(secret?.count == 64)
        #expect(
            rows.rows.first == [
                .string(TrackerBodies.eventID(1)), "struct", "tally-app", "srv", "gl", "tally-swift-test",
                "InternalEventTracking", "feature_used", "a label", "a property", .double(2.5), .string(pseudonym),
                "https://app.example.com/x", "pseudonym-of-user", .integer(7), .integer(9), "production", "free",
                "instance-1", #"{"plan":"premium"}"#,
            ])
        #expect(rows.rows.last?[7] == "other_action")
        #expect(rows.rows.last?[11] == .null, "no uid sent, none stored")
        // The raw user id is nowhere in the warehouse.
        let raw = try await fixture.warehouse.query(
            "SELECT count(*) AS n FROM events WHERE user_id = '42' OR contexts LIKE '%\"42\"%'")
        #expect(raw.rows == [[.integer(0)]])
        // Derived time: the device's clock, corrected for its send delay (2 s).
        let times = try await fixture.warehouse.query(
            "SELECT dvce_created_tstamp, collector_tstamp, derived_tstamp FROM events ORDER BY event_id LIMIT 1")
        #expect(
            times.rows.first?[0].string?.hasPrefix(
                fixture.keepsMilliseconds ? "2023-11-14T22:13:20.5" : "2023-11-14T22:13:20.000Z") == true,
            "\(times.rows)")
        let mart = try await fixture.warehouse.query(
            """
            SELECT event_action, event_category, gsc_pseudonymized_user_id, dim_project_id,
                   has_gitlab_service_ping_context
            FROM mart_behavior_structured_event ORDER BY behavior_structured_event_pk
            """)
        #expect(mart.rows.count == 2)
        #expect(mart.rows.first?[0...3] == ["feature_used", "InternalEventTracking", "pseudonym-of-user", .integer(7)])
    }

    @Test func storesEventsFieldByFieldInSQLite() async throws {
        try await storesEventsFieldByField(try await .sqlite())
    }

    @Test(.enabled(if: PostgresServer.shouldRunSuites, "PostgreSQL is not installed (CI=true makes this a failure)"))
    func storesEventsFieldByFieldInPostgreSQL() async throws {
        try await storesEventsFieldByField(try await .postgres())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func storesEventsFieldByFieldInClickHouse() async throws {
        try await storesEventsFieldByField(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func storesEventsFieldByFieldInShardedClickHouse() async throws {
        try await storesEventsFieldByField(try await .shardedClickHouse())
    }

    @Test func badEventsBecomeBadRowsAndTheRestIsStoredInSQLite() async throws {
        try await badEventsBecomeBadRowsAndTheRestIsStored(try await .sqlite())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func badEventsBecomeBadRowsAndTheRestIsStoredInClickHouse() async throws {
        try await badEventsBecomeBadRowsAndTheRestIsStored(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func badEventsBecomeBadRowsAndTheRestIsStoredInShardedClickHouse() async throws {
        try await badEventsBecomeBadRowsAndTheRestIsStored(try await .shardedClickHouse())
    }

    func badEventsBecomeBadRowsAndTheRestIsStored(_ fixture: CollectorFixture) async throws {
        let good = TrackerBodies.structured(1)
        var noPlatform = TrackerBodies.structured(2)
        noPlatform["p"] = nil
        let badEvents: [([String: String], String)] = [
            (noPlatform, "p: required"),
            (TrackerBodies.structured(3, extra: ["e": "zz"]), "e: unknown event type"),
            (TrackerBodies.structured(4, extra: ["eid": "not-a-uuid"]), "eid:"),
            (TrackerBodies.structured(5, extra: ["se_va": "lots"]), "se_va:"),
            (TrackerBodies.structured(6, extra: ["cx": "%%%"]), "cx: not base64"),
            (TrackerBodies.structured(7, extra: ["dtm": "yesterday"]), "dtm:"),
            (TrackerBodies.structured(8, extra: ["se_ac": ""]), "se_ac: required"),
            (TrackerBodies.structured(9, extra: ["p": "toaster"]), "p: unknown platform"),
        ]
        // One more event whose field isn't a string.
        let body = TrackerBodies.batch([good] + badEvents.map(\.0)).replacingOccurrences(
            of: "]}", with: #",{"e":"se","p":"srv","tv":"t","se_va":5}]}"#)
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let (status, answer, _) = try await post(client, body)
            #expect(status == .ok)
            #expect(counts(answer) == [1, 0, Int64(badEvents.count + 1)])
        }
        let bad = try await fixture.warehouse.query("SELECT reason, message, path FROM bad_rows ORDER BY id")
        #expect(bad.rows.count == badEvents.count + 1)
        #expect(bad.rows.first?[0] == "tracker_protocol_violation")
        #expect(bad.rows.first?[1].string?.contains("se_va: expected a string") == true)
        for ((_, expected), row) in zip(badEvents, bad.rows.dropFirst()) {
            #expect(row[0] == "schema_violation")
            #expect(row[1].string?.hasPrefix(expected) == true, "\(row[1]) should start with \(expected)")
            #expect(row[2] == .string(TrackerBodies.tp2))
        }
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM events").rows == [[.integer(1)]])
    }

    @Test func unreadableRequestsAreOneBadRowEachAndNever5xx() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let router = buildCollectorRouter(
            .init(maximumEventBodyBytes: 4_096, maximumEventsPerRequest: 3), warehouse: fixture.warehouse)
        let app = Application(router: router)
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("not json", .ok, "tracker_protocol_violation"),
            (#"{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":[]}"#, .ok, "tracker_protocol_violation"),
            (TrackerBodies.batch([]), .ok, "tracker_protocol_violation"),
            (
                #"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":5}"#, .ok,
                "tracker_protocol_violation"
            ),
            (TrackerBodies.batch((1...4).map { TrackerBodies.structured($0) }), .ok, "size_violation"),
            (String(repeating: "x", count: 5_000), .contentTooLarge, "size_violation"),
        ]
        try await app.test(.router) { client in
            for (body, status, _) in cases {
                let (answered, answer, _) = try await post(client, body)
                #expect(answered == status, "\(body.prefix(60))")
                if status == .ok { #expect(counts(answer) == [0, 0, 1], "\(body.prefix(60))") }
            }
        }
        let bad = try await fixture.warehouse.query(
            "SELECT reason, raw_size, length(raw) AS kept FROM bad_rows ORDER BY id")
        #expect(bad.rows.map { $0[0] } == cases.map { .string($0.2) })
        #expect(bad.rows.last?[1] == .integer(5_000), "the size sent is recorded")
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM events").rows == [[.integer(0)]])
    }

    @Test func thePixelStoresATp1EventAndAnswersAnUncachedGIF() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let query =
                "e=se&p=web&tv=js-3.0.0&aid=site&se_ca=ui&se_ac=clicked%20it&se_la=a+b&eid=\(TrackerBodies.eventID(11))"
            let (status, headers, bytes) = try await client.execute(uri: "/i?" + query, method: .get) {
                ($0.status, $0.headers, Array($0.body.readableBytesView))
            }
            #expect(status == .ok)
            #expect(headers[.contentType] == "image/gif")
            #expect(headers[.cacheControl]?.contains("no-cache") == true)
            #expect(bytes.count == 43)
            #expect(bytes.starts(with: Array("GIF89a".utf8)) && bytes.last == 0x3B, "a whole GIF")
            // A pixel the collector can't take still gets its GIF; the event is a bad row.
            for bad in ["e=se&p=toaster&tv=x&se_ca=a&se_ac=b", "e=%zz", ""] {
                let answer = try await client.execute(uri: "/i?" + bad, method: .get) { $0.status }
                #expect(answer == .ok)
            }
        }
        #expect(
            try await fixture.warehouse.query("SELECT platform, se_action, se_label, app_id FROM events").rows == [
                ["web", "clicked it", "a b", "site"]
            ])
        #expect(
            try await fixture.warehouse.query("SELECT path FROM bad_rows").rows == Array(repeating: ["/i"], count: 3))
    }

    @Test func browserTrackersGetCORS() async throws {
        let fixture = try await CollectorFixture.sqlite()
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            let preflight = try await client.execute(
                uri: TrackerBodies.tp2, method: .options,
                headers: [
                    .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
                    .accessControlRequestHeaders: "Content-Type",
                ]
            ) { ($0.status, $0.headers) }
            #expect(preflight.0 == .ok)
            #expect(preflight.1[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(preflight.1[.accessControlAllowCredentials] == "true")
            #expect(preflight.1[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.1[.accessControlAllowHeaders] == "Content-Type")
            let (_, _, headers) = try await post(
                client, TrackerBodies.batch([TrackerBodies.structured(1)]), headers: [.origin: "https://b.example"])
            #expect(headers[.accessControlAllowOrigin] == "https://b.example")
            #expect(headers[.accessControlAllowCredentials] == "true")
        }
    }

    @Test func concurrentBatchesAreAllStoredOnceInSQLite() async throws {
        try await concurrentBatchesAreAllStoredOnce(try await .sqlite())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func concurrentBatchesAreAllStoredOnceInClickHouse() async throws {
        try await concurrentBatchesAreAllStoredOnce(try await .clickhouse())
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func concurrentBatchesAreAllStoredOnceInShardedClickHouse() async throws {
        try await concurrentBatchesAreAllStoredOnce(try await .shardedClickHouse())
    }

    func concurrentBatchesAreAllStoredOnce(_ fixture: CollectorFixture) async throws {
        let app = Application(router: fixture.router())
        try await app.test(.router) { client in
            // 16 senders, 10 events each; every batch is sent twice (a retry racing its first attempt).
            let outcomes = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for sender in 0..<32 {
                    let batch = TrackerBodies.batch(
                        (0..<10).map { TrackerBodies.structured((sender % 16) * 10 + $0) })
                    group.addTask { counts(try await post(client, batch).1) }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            #expect(outcomes.map { $0[0] }.reduce(0, +) == 160)
            #expect(outcomes.map { $0[1] }.reduce(0, +) == 160)
        }
        #expect(try await fixture.warehouse.query("SELECT count(*) AS n FROM events").rows == [[.integer(160)]])
    }

    @Test func aWarehouseThatCantStoreEventsAnswers503() async throws {
        let warehouse = Warehouse(configuration: try DatabaseConfiguration(url: "sqlite:///nonexistent-tally/w.sqlite"))
        let app = Application(router: buildCollectorRouter(.init(), warehouse: warehouse))
        try await app.test(.router) { client in
            let (status, answer, _) = try await post(client, TrackerBodies.batch([TrackerBodies.structured(1)]))
            #expect(status == .serviceUnavailable)
            #expect(answer?["message"]?.string?.contains("try again") == true)
            let pixel = try await client.execute(uri: "/i?e=se&p=web&tv=x&se_ca=a&se_ac=b", method: .get) { $0.status }
            #expect(pixel == .serviceUnavailable)
        }
    }
}
