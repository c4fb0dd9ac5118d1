import EventRecords
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import Logging
import ServicePing
import TallyServer
import TallyServiceLifecycle
import TallyTestSupport
import Testing

/// The server over a real socket, with counters in a real Redis and event records sent to a real HTTP collector.
@Suite(
    "Live server",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct LiveServerTests {
    static let rawUser: Int64 = 987_654_321

    @Test("DNT and Sec-GPC requests are counted but never become records; no raw user id leaves in any byte")
    func doNotTrackAndNoRawUserID() async throws {
        let fixture = try await ServerFixture(label: "live")
        let collector = try await Collector.start()
        let emitter = SnowplowEmitter(
            configuration: .init(collectorURL: collector.baseURL, batchSize: 1, flushInterval: .milliseconds(20)),
            instance: .init(
                appID: "tally_test", environment: "development", instanceID: "instance-live", hostName: "host.test",
                instanceVersion: "0.0.1"),
            pseudonymizer: try Pseudonymizer(secret: "live-secret-for-pseudonyms-0123456789"),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let app = try fixture.application(extraSinks: [emitter], services: [emitter.service])
        let body = #"{"event": "create_note", "user_id": \#(Self.rawUser), "project_id": 7, "send_to_snowplow": true}"#
        try await app.test(.live) { client async throws in
            #expect(try await client.post("track_event", body).status == .ok)
            #expect(try await client.post("track_event", body, headers: [HTTPField.Name("DNT")!: "1"]).status == .ok)
            #expect(
                try await client.post("track_event", body, headers: [HTTPField.Name("Sec-GPC")!: "1"]).status == .ok)
            let batch = #"{"events": [\#(body), \#(body)]}"#
            #expect(try await client.post("track_events", batch, headers: [HTTPField.Name("DNT")!: "1"]).status == .ok)
            let unasked = #"{"event": "create_note", "user_id": \#(Self.rawUser)}"#
            #expect(try await client.post("track_event", unasked).status == .ok)
            #expect(await TestEnvironment.waitUntil { emitter.statistics.sent == 1 })
        }
        #expect(try await fixture.integer("{event_counters}_create_note") == 6, "every request was counted")
        #expect(emitter.statistics.sent == 1 && emitter.statistics.skipped == 5)
        #expect(collector.requests.count == 1)

        // The weekly ping of the same counters, submitted to the same collector.
        let builder = ServicePingBuilder(catalog: fixture.catalog, redis: fixture.pool, scheme: fixture.scheme)
        let system = SystemInfo(uuid: "live-instance-uuid")
        let report = await builder.build(recordedAt: TestEnvironment.day("2025-02-19"), system: system)
        #expect(report.payload.value(atPath: "counts.notes_users") == .integer(1))
        let client = ServicePingSubmitter.makeClient()
        _ = try await ServicePingSubmitter(baseURL: collector.baseURL, client: client).submit(report, system: system)
        try await client.shutdown()

        let requests = collector.requests
        #expect(
            Set(requests.map(\.path)) == ["/com.snowplowanalytics.snowplow/tp2", "/usage_data", "/usage_ping_metadata"])
        for request in requests {
            var texts = [request.body]
            // Decode every base64 and base64url field, so an id hidden in an encoded context is found too.
            if let envelope = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                let events = envelope["data"] as? [[String: String]]
            {
                texts += events.compactMap { $0["cx"] }.compactMap(Self.base64URLDecoded)
            }
            for text in texts {
                #expect(!text.contains(String(Self.rawUser)), "\(request.path) carries the raw user id")
            }
        }
    }

    static func base64URLDecoded(_ text: String) -> String? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }
}
