import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import TallyCollector
import TallyTestSupport
import Testing

/// ClickHouse killed (SIGKILL) in the middle of a stream of batches, then started again on the same data: the
/// collector answers 503 while it is down, and every batch it acknowledged is in the warehouse, once.
@Suite("tally collect: ClickHouse going away")
struct ClickHouseOutageTests {
    func post(_ client: some TestClientProtocol, _ batch: String) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: TrackerBodies.tp2, method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: batch)
        ) { $0.status }
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func killedDuringIngestionNothingAcknowledgedIsLost() async throws {
        let server = try await ClickHouseServer.start()
        let warehouse = Warehouse(configuration: try WarehouseConfiguration(url: server.url(database: "outage")))
        try await warehouse.migrate()
        let app = Application(router: buildCollectorRouter(.init(), warehouse: warehouse))
        let batchSize = 20
        let batches = (0..<60).map { batch in
            TrackerBodies.batch((0..<batchSize).map { TrackerBodies.structured(batch * batchSize + $0) })
        }
        let statuses = try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for (index, batch) in batches.enumerated() {
                if index == 20 { await server.kill() }
                if index == 40 { try await server.restart() }
                statuses.append(try await post(client, batch))
            }
            return statuses
        }
        #expect(statuses[..<20].allSatisfy { $0 == .ok } && statuses[40...].allSatisfy { $0 == .ok }, "\(statuses)")
        #expect(statuses[20..<40].allSatisfy { $0 == .serviceUnavailable }, "\(statuses)")

        let acknowledged = statuses.indices.filter { statuses[$0] == .ok }
        let expected = Set(
            acknowledged.flatMap { batch in (0..<batchSize).map { TrackerBodies.eventID(batch * batchSize + $0) } })
        let stored = try await warehouse.query("SELECT event_id FROM events").rows.compactMap { $0.first?.string }
        #expect(stored.count == expected.count && Set(stored) == expected)

        // The senders retry what got a 503: now everything is there, once.
        let retried = try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for batch in batches[20..<40] {
                statuses.append(try await post(client, batch))
            }
            return statuses
        }
        #expect(retried.allSatisfy { $0 == .ok })
        #expect(
            try await warehouse.query("SELECT count() AS n, uniqExact(event_id) AS ids FROM events").rows
                == [[.integer(Int64(batches.count * batchSize)), .integer(Int64(batches.count * batchSize))]])
        await server.stopAndWait()
    }
}
