import Foundation
import InternalEvents
import NIOCore
import ServicePing
import TallyTestSupport
import Testing

/// GitLab's submission protocol against a real HTTP collector.
@Suite("Submission")
struct SubmissionTests {
    let report = ServicePingReport(
        payload: .object([
            ("recorded_at", .string("2025-02-20T10:00:00.000Z")), ("counts", .object([("x", .integer(1))])),
        ]),
        metrics: [.init(name: "counts.x", timeElapsed: 0.5, error: nil)], uuid: "uuid-1",
        recordedAt: Date(timeIntervalSince1970: 1_740_045_600), redisRoundTrips: 1)
    let system = SystemInfo(uuid: "uuid-1", hostname: "host.test", version: "9.9.9")

    @Test func acceptedPingThenMetadata() async throws {
        let collector = try await Collector.start(mode: .accept)
        defer { collector.stop() }
        let client = ServicePingSubmitter.makeClient()
        let id = try await ServicePingSubmitter(baseURL: collector.baseURL + "/", client: client).submit(
            report, system: system)
        try await client.shutdown()
        #expect(id == 4242)
        let requests = collector.requests
        #expect(requests.map(\.path) == ["/usage_data", "/usage_ping_metadata"])
        #expect(requests[0].body == report.payload.serialized())
        #expect(requests[0].contentType == "application/json")
        #expect(requests[1].body.contains(#""uuid":"uuid-1""#) && requests[1].body.contains(#""name":"counts.x""#))
    }

    @Test(arguments: [(Collector.Mode.fail, "Unsuccessful response code: 500"), (.invalidID, "Invalid usage_data_id")])
    func failuresAreReportedAndThrown(mode: Collector.Mode, message: String) async throws {
        let collector = try await Collector.start(mode: mode)
        defer { collector.stop() }
        let client = ServicePingSubmitter.makeClient()
        do {
            _ = try await ServicePingSubmitter(baseURL: collector.baseURL, client: client).submit(
                report, system: system)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains(message))
        }
        try await client.shutdown()
        let requests = collector.requests
        #expect(requests.map(\.path) == ["/usage_data", "/usage_ping_errors"])
        let error = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body.utf8)) as? [String: Any])
        let fields = try #require(error["error"] as? [String: Any])
        #expect(fields["uuid"] as? String == "uuid-1")
        #expect(fields["hostname"] as? String == "host.test")
        #expect(fields["version"] as? String == "9.9.9")
        #expect((fields["message"] as? String)?.contains(message) == true)
        #expect(fields["elapsed"] is Double || fields["elapsed"] is Int)
        #expect(fields["time"] is String)
    }

    /// Fault scenario 4: a collector slower than the read timeout is a failure, not a hang.
    @Test func aSlowCollectorTimesOut() async throws {
        let collector = try await Collector.start(mode: .accept, delay: .seconds(2))
        defer { collector.stop() }
        let client = ServicePingSubmitter.makeClient(connectTimeout: .seconds(1), readTimeout: .milliseconds(300))
        await #expect(throws: (any Error).self) {
            _ = try await ServicePingSubmitter(baseURL: collector.baseURL, client: client).submit(
                report, system: system)
        }
        try await client.shutdown()
    }

    @Test func anUnreachableCollectorFails() async throws {
        let collector = try await Collector.start()
        let url = collector.baseURL
        await collector.stopAndWait()
        // AsyncHTTPClient retries a refused connection until the connect timeout; keep it short here.
        let client = ServicePingSubmitter.makeClient(connectTimeout: .milliseconds(300))
        await #expect(throws: (any Error).self) {
            try await ServicePingSubmitter(baseURL: url, client: client).submit(report, system: system)
        }
        try await client.shutdown()
    }
}
