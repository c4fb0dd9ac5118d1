import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NIOCore
import TallyCollector
import TallyTestSupport
import Testing

/// Two ClickHouse servers as two shards behind `Distributed` tables: what the collector stores lands on both, and
/// what it stores twice counts once. (The warehouse suites run on this setup too, the `InShardedClickHouse` tests,
/// with the same expected numbers as on one server.)
@Suite("tally collect: a sharded ClickHouse")
struct ShardedClickHouseTests {
    /// Rows of `table` on each shard, read on each server's local table.
    func rowsPerShard(_ fixture: CollectorFixture, _ table: String) async throws -> [Int64] {
        guard case .clickhouse(let configuration) = fixture.warehouse.configuration.kind else { return [] }
        let client = ClickHouseClient(configuration)
        var counts: [Int64] = []
        for node in configuration.nodes.indices {
            let answer = try await client.execute(
                "SELECT count() FROM \(table)_local FORMAT TabSeparated", node: node)
            counts.append(Int64(String(buffer: answer).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1)
        }
        return counts
    }

    func post(_ client: some TestClientProtocol, _ uri: String, _ body: String) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
        ) { $0.status }
    }

    @Test(.enabled(if: ClickHouseServer.shouldRunSuites, "ClickHouse is not installed (CI=true makes this a failure)"))
    func ingestionSpreadsOverBothShardsAndRetriesCountOnce() async throws {
        let fixture = try await CollectorFixture.shardedClickHouse()
        let app = Application(router: fixture.router())
        let batches = (0..<8).map { batch in
            TrackerBodies.batch((0..<50).map { TrackerBodies.structured(batch * 50 + $0) })
        }
        let statuses = try await app.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for batch in batches { statuses.append(try await post(client, TrackerBodies.tp2, batch)) }
            // A sender retrying three batches it had no answer for: stored already, on whichever shard.
            for batch in batches.prefix(3) { statuses.append(try await post(client, TrackerBodies.tp2, batch)) }
            for instance in 0..<12 {
                let ping = CollectorFixture.ping(uuid: "instance-\(instance)")
                statuses.append(try await post(client, "/usage_data", ping))
            }
            return statuses
        }
        #expect(statuses == Array(repeating: .ok, count: 11) + Array(repeating: .created, count: 12))
        let events = try await rowsPerShard(fixture, "events")
        #expect(events.count == 2 && events.allSatisfy { $0 > 0 } && events.reduce(0, +) == 400, "\(events)")
        #expect(try await rowsPerShard(fixture, "event_ids").reduce(0, +) == 400)
        let pings = try await rowsPerShard(fixture, "pings")
        #expect(pings.count == 2 && pings.allSatisfy { $0 > 0 } && pings.reduce(0, +) == 12, "\(pings)")
        // Every metric row sits on its ping's shard.
        #expect(try await rowsPerShard(fixture, "ping_metrics") == pings.map { $0 * 6 })
        #expect(
            try await fixture.warehouse.query("SELECT count() AS n, uniqExact(event_id) AS ids FROM events").rows
                == [[.integer(400), .integer(400)]])
    }
}
