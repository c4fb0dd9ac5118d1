import EventRecords
import Foundation
import InternalEvents
import Logging
import ServiceLifecycle
import TallyServiceLifecycle
import TallyTestSupport
import Testing

/// The event-record emitter against a real HTTP collector (Python's http.server) on loopback.
@Suite("Snowplow emitter")
struct SnowplowEmitterTests {
    static let secret = "emitter-secret-0123456789abcdef-0123"
    static let rawUser: UserID = 987_654_321
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/export.yml",
            DefinitionFolder.event(
                "export_report",
                extra:
                    "additional_properties:\n  label:\n    description: f\n  value:\n    description: n\n  kind:\n    description: c"
            ))
        try folder.write(
            "events/duo.yml",
            DefinitionFolder.event(
                "request_duo_chat_response", identifiers: "[user]",
                extra:
                    "classification: duo\nadditional_properties:\n  value:\n    description: n\n  workflow_id:\n    description: w"
            ))
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func emitter(
        _ collectorURL: String, configure: (inout SnowplowEmitter.Configuration) -> Void = { _ in }
    )
        throws -> SnowplowEmitter
    {
        var configuration = SnowplowEmitter.Configuration(
            collectorURL: collectorURL, batchSize: 2, flushInterval: .milliseconds(50),
            retryDelays: [.milliseconds(20), .milliseconds(20), .milliseconds(20)], requestTimeout: .seconds(5))
        configure(&configuration)
        return SnowplowEmitter(
            configuration: configuration,
            instance: .init(
                appID: "tally_test", environment: "development", instanceID: "instance-1", hostName: "host.test",
                instanceVersion: "0.0.1"),
            pseudonymizer: try Pseudonymizer(secret: Self.secret), catalog: catalog,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Runs `emitter` as a service while `body` runs, then shuts it down gracefully.
    func running(_ emitter: SnowplowEmitter, _ body: (Tracker) async throws -> Void) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [emitter.service], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body(Tracker(catalog: catalog, sinks: [emitter]))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("records reach the collector in batches, with the protocol's fields and decodable contexts")
    func protocolFields() async throws {
        let collector = try await Collector.start()
        let emitter = try emitter(collector.baseURL)
        try await running(emitter) { tracker in
            for index in 0..<3 {
                try await tracker.trackStrictly(
                    "export_report", user: Self.rawUser, project: 7,
                    additionalProperties: [
                        "label": .string("csv"), "value": .integer(Int64(index)), "kind": .string("k"),
                    ])
            }
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 3 })
        }
        let requests = collector.requests
        #expect(requests.count == 2, "a batch of 2, then 1")
        for request in requests {
            #expect(request.path == "/com.snowplowanalytics.snowplow/tp2")
            #expect(request.contentType?.hasPrefix("application/json") == true)
            #expect(!request.body.contains(String(Self.rawUser.rawValue)), "no raw user id in any byte sent")
        }
        let envelope = try #require(
            try JSONSerialization.jsonObject(with: Data(requests[0].body.utf8)) as? [String: Any])
        #expect(envelope["schema"] as? String == SnowplowEventRecord.payloadSchema)
        let events = try #require(envelope["data"] as? [[String: String]])
        #expect(events.count == 2)
        let first = events[0]
        #expect(
            Set(first.keys) == [
                "e", "se_ca", "se_ac", "se_la", "se_va", "eid", "dtm", "stm", "tv", "tna", "aid", "p", "cx",
            ])
        #expect(first["e"] == "se" && first["se_ac"] == "export_report" && first["se_ca"] == "InternalEventTracking")
        #expect(first["aid"] == "tally_test" && first["tna"] == "gl")
        let cx = try #require(first["cx"])
        let decoded = try #require(Data(base64URL: cx))
        #expect(!String(decoding: decoded, as: UTF8.self).contains("987654321"))
        let contexts = try #require(try JSONSerialization.jsonObject(with: decoded) as? [String: Any])
        let standard = try #require((contexts["data"] as? [[String: Any]])?.first?["data"] as? [String: Any])
        let pseudonym = try Pseudonymizer(secret: Self.secret).pseudonym(for: Self.rawUser)
        #expect(standard["user_id"] as? String == pseudonym)
        #expect((standard["extra"] as? [String: Any])?["kind"] as? String == "k")
        #expect(emitter.statistics.failed == 0 && emitter.statistics.dropped == 0)
    }

    @Test("the emitter finds classification: duo in its catalog: that event's record carries ai_context, others don't")
    func duoEventsCarryAIContext() async throws {
        let collector = try await Collector.start()
        let emitter = try emitter(collector.baseURL)
        try await running(emitter) { tracker in
            try await tracker.trackStrictly(
                "request_duo_chat_response", user: 8,
                additionalProperties: ["value": .integer(2), "workflow_id": .string("wf-3")])
            try await tracker.trackStrictly("export_report", user: 8)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 2 })
        }
        var events: [[String: String]] = []
        for request in collector.requests {
            let envelope = try #require(
                try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            events += try #require(envelope["data"] as? [[String: String]])
        }
        #expect(events.count == 2)
        var schemas: [String: [String]] = [:]
        var aiData: [String: Any]?
        for event in events {
            let cx = try #require(event["cx"])
            let decoded = try #require(Data(base64URL: cx))
            let contexts = try #require(
                (try JSONSerialization.jsonObject(with: decoded) as? [String: Any])?["data"] as? [[String: Any]])
            schemas[event["se_ac"] ?? ""] = contexts.compactMap { $0["schema"] as? String }
            if let ai = contexts.first(where: { $0["schema"] as? String == AIContext.schema }) {
                aiData = ai["data"] as? [String: Any]
            }
        }
        #expect(schemas["request_duo_chat_response"]?.last == "iglu:com.gitlab/ai_context/jsonschema/1-0-0")
        #expect(schemas["export_report"]?.contains(AIContext.schema) == false)
        #expect(aiData?["workflow_id"] as? String == "wf-3")
        #expect(aiData?["session_id"] is NSNull)
    }

    @Test("a 5xx answer is retried until the collector takes the batch")
    func retriesServerErrors() async throws {
        let collector = try await Collector.start(failingFirst: 2)
        let emitter = try emitter(collector.baseURL)
        try await running(emitter) { tracker in
            try await tracker.trackStrictly("export_report", user: 1)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 1 })
        }
        #expect(collector.requests.map(\.answeredWithError) == [true, true, false])
        #expect(emitter.statistics.retries == 2 && emitter.statistics.failed == 0)
    }

    @Test("a dead collector: the queue stays bounded, drops and failures are counted, track never fails")
    func deadCollector() async throws {
        let dead = try await Collector.start()
        let url = dead.baseURL
        await dead.stopAndWait()
        let emitter = try emitter(url) {
            $0.maximumQueuedRecords = 10
            $0.batchSize = 5
            $0.retryDelays = [.milliseconds(20)]
            // AsyncHTTPClient retries a refused connection until the request's deadline.
            $0.requestTimeout = .milliseconds(500)
        }
        try await running(emitter) { tracker in
            for _ in 0..<100 { try await tracker.trackStrictly("export_report", user: 2) }
            #expect(emitter.statistics.queued <= 10)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.failed > 0 })
        }
        let statistics = emitter.statistics
        print(
            "RELIABILITY scenario=4 collector=down records=100 sent=\(statistics.sent) failed=\(statistics.failed) dropped=\(statistics.dropped) retries=\(statistics.retries)"
        )
        #expect(statistics.sent == 0)
        #expect(statistics.dropped >= 85, "at most 10 queued and 5 in flight")
        #expect(statistics.failed + statistics.dropped == 100, "every record is accounted for: \(statistics)")
        #expect(statistics.queued == 0)
    }

    @Test("a slow collector: requests time out and are retried, the queue stays bounded, track never waits")
    func slowCollector() async throws {
        let collector = try await Collector.start(delay: .seconds(1))
        let emitter = try emitter(collector.baseURL) {
            $0.maximumQueuedRecords = 10
            $0.batchSize = 5
            $0.retryDelays = [.milliseconds(10)]
            $0.requestTimeout = .milliseconds(200)
            $0.shutdownTimeout = .milliseconds(500)
        }
        try await running(emitter) { tracker in
            for _ in 0..<50 { try await tracker.trackStrictly("export_report", user: 2) }
            #expect(emitter.statistics.queued <= 10)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.failed >= 5 })
        }
        let statistics = emitter.statistics
        print(
            "RELIABILITY scenario=4 collector=slow records=50 sent=\(statistics.sent) failed=\(statistics.failed) dropped=\(statistics.dropped) retries=\(statistics.retries)"
        )
        #expect(statistics.dropped >= 35)
        #expect(statistics.sent + statistics.failed + statistics.dropped == 50, "\(statistics)")
        #expect(statistics.retries > 0)
    }

    @Test("what is queued is sent when the service stops")
    func flushOnShutdown() async throws {
        let collector = try await Collector.start()
        let emitter = try emitter(collector.baseURL) {
            $0.batchSize = 100
            $0.flushInterval = .seconds(3_600)
        }
        try await running(emitter) { tracker in
            for _ in 0..<3 { try await tracker.trackStrictly("export_report", user: 3) }
            #expect(emitter.statistics.queued == 3)
        }
        #expect(emitter.statistics.sent == 3)
        #expect(collector.requests.count == 1)
    }

    @Test("events tracked with sendEventRecord: false (Do-Not-Track) never become records")
    func skipsDoNotTrack() async throws {
        let collector = try await Collector.start()
        let emitter = try emitter(collector.baseURL)
        try await running(emitter) { tracker in
            try await tracker.trackStrictly("export_report", user: 4, sendEventRecord: false)
            try await tracker.trackStrictly("export_report", user: 5)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 1 })
        }
        #expect(emitter.statistics.skipped == 1)
        #expect(collector.requests.count == 1)
    }

    @Test("the same event sent by snowplow-tracker (PyPI) carries the same protocol fields")
    func conformsToPythonTracker() async throws {
        guard await Self.pythonTrackerInstalled else {
            if TestEnvironment.isCI { Issue.record("snowplow-tracker is not installed (pip install snowplow-tracker)") }
            return
        }
        let collector = try await Collector.start()
        let emitter = try emitter(collector.baseURL) { $0.batchSize = 1 }
        try await running(emitter) { tracker in
            try await tracker.trackStrictly(
                "export_report", user: 6,
                additionalProperties: ["label": .string("csv"), "value": .integer(3)])
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 1 })
        }
        let script = """
            import sys
            from snowplow_tracker import Tracker, Emitter, StructuredEvent, SelfDescribingJson
            emitter = Emitter("127.0.0.1", protocol="http", port=int(sys.argv[1]), method="post", batch_size=1)
            tracker = Tracker(namespace="gl", emitters=emitter, app_id="tally_test")
            context = [SelfDescribingJson("iglu:com.gitlab/gitlab_service_ping/jsonschema/1-0-1",
                                          {"data_source": "redis_hll", "event_name": "export_report"})]
            tracker.track(StructuredEvent(category="InternalEventTracking", action="export_report", label="csv",
                                          value=3, context=context))
            emitter.flush()
            """
        let python = try await TestEnvironment.run(["python3", "-c", script, String(collector.port)])
        #expect(python.status == 0, "\(python.output)")
        #expect(await TestEnvironment.waitUntil { collector.requests.count == 2 })
        let requests = collector.requests
        #expect(requests[0].path == requests[1].path)
        #expect(requests[0].contentType == requests[1].contentType)
        let (ours, theirs) = (try Self.onlyEvent(requests[0].body), try Self.onlyEvent(requests[1].body))
        #expect(Set(ours.keys) == Set(theirs.keys), "ours: \(ours.keys.sorted()), theirs: \(theirs.keys.sorted())")
        for field in ["e", "se_ca", "se_ac", "se_la", "se_va", "tna", "aid"] {
            #expect(ours[field] == theirs[field], "\(field)")
        }
        for field in ["dtm", "stm"] {
            #expect(ours[field].flatMap { Int64($0) } != nil && theirs[field]?.count == ours[field]?.count)
        }
        #expect(UUID(uuidString: ours["eid"] ?? "") != nil && UUID(uuidString: theirs["eid"] ?? "") != nil)
    }

    static var pythonTrackerInstalled: Bool {
        get async { (try? await TestEnvironment.run(["python3", "-c", "import snowplow_tracker"]))?.status == 0 }
    }

    /// The single event of a `payload_data` envelope, checked to be one.
    static func onlyEvent(_ body: String) throws -> [String: String] {
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(envelope["schema"] as? String == SnowplowEventRecord.payloadSchema)
        let events = try #require(envelope["data"] as? [[String: String]])
        #expect(events.count == 1)
        return try #require(events.first)
    }
}

extension Data {
    /// Decodes base64url without padding, as `cx` is sent.
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
