import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// The master of Tally's busiest slot SIGKILLed during buffered traffic, on a cluster of its own (3 masters, 3
/// replicas, `cluster-node-timeout` 1 s): its replica is promoted, and every event the app tracked is counted once.
@Suite(
    "Tally through a master's failover",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ClusterFailoverTests {
    @Test func aKilledMasterLosesNothingAndCountsNothingTwice() async throws {
        let cluster = try await RedisCluster.start()
        defer { cluster.stop() }
        let folder = try DefinitionFolder.opensWithTotalsAndUsers()
        let tally = try Tally(
            configuration: .init(
                redisURL: cluster.url, definitions: [folder.url.path], keyPrefix: "f:",
                counting: .buffered(.init(flushInterval: .milliseconds(5), writesPerTransaction: 20))),
            clock: FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(3_600)))
        defer { tally.redis.close() }
        let sink = try #require(tally.counters as? BufferedRedisCounterSink)
        let client = try #require(tally.redis as? RedisClusterClient)
        let running = Task { try await tally.run() }

        // The app tracks from synchronous code, 20 events at a time, until told to stop.
        let sent = LockedValueBox(0)
        let stopTraffic = LockedValueBox(false)
        let traffic = Task {
            while !stopTraffic.withLockedValue({ $0 }) {
                for _ in 0..<20 {
                    let user = sent.withLockedValue { count in
                        count += 1
                        return UserID(Int64((count - 1) % 3_000 + 1))
                    }
                    tally.tracker.track("open_app", user: user)
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }

        let slot = RedisClusterSlot(key: "{event_counters}")
        #expect(
            try await TestEnvironment.waitUntil { sink.statistics.flushedWrites >= 3 },
            "\(sink.statistics) \(client.statistics) sent \(sent.withLockedValue { $0 })")
        // The slot's master and its replica (polled: gossip may still be settling).
        var pair: (master: RedisCluster.Node, replica: RedisCluster.Node)?
        #expect(
            try await TestEnvironment.waitUntil {
                let nodes = try await cluster.nodes()
                guard let master = nodes.first(where: { $0.isMaster && $0.serves(slot) }),
                    let replica = nodes.first(where: { $0.masterID == master.id })
                else { return false }
                pair = (master, replica)
                return true
            })
        let (master, replica) = try #require(pair)
        let stats = try await cluster.send(.info("commandstats"), to: master.port).string()
        #expect(stats.contains("cmdstat_wait:calls="), "chunks wait for the replica: \(stats)")

        let victim = try #require(cluster.servers.first { $0.port == master.port })
        victim.kill()
        #expect(try await TestEnvironment.waitUntil { !victim.isRunning })
        let sentAtKill = sent.withLockedValue { $0 }
        #expect(
            try await TestEnvironment.waitUntil(limit: .seconds(60)) {
                try await cluster.master(of: slot)?.port == replica.port
            }, "the replica is promoted")
        // track() kept returning while the slot had no master.
        #expect(sent.withLockedValue { $0 } > sentAtKill)
        let flushedAtPromotion = sink.statistics.flushedWrites
        #expect(try await TestEnvironment.waitUntil { sink.statistics.flushedWrites > flushedAtPromotion })
        stopTraffic.withLockedValue { $0 = true }
        await traffic.value
        tally.requestShutdown()
        try await running.value

        let total = Int64(sent.withLockedValue { $0 })
        #expect(try await tally.redis.send(.get("f:{event_counters}_open_app")).optionalIntegerString() == total)
        #expect(
            try await tally.redis.send(.get("f:{event_counters}_open_app-2025-07")).optionalIntegerString() == total)
        let users = try await tally.redis.send(.pfcount(["f:{hll_counters}_open_app-user-2025-07"])).int()
        let expected = min(Int(total), 3_000)
        #expect(abs(Int(users) - expected) * 50 <= expected, "\(users) of \(expected) users")
        let statistics = sink.statistics
        #expect(statistics.dropped == 0 && statistics.abandonedWrites == 0, "\(statistics)")
        // The client found the master gone (refused, or a chunk's connection broke) and read the slot map again.
        #expect(client.statistics.unreachable + statistics.flushFailures >= 1, "\(client.statistics) \(statistics)")
        #expect(client.statistics.topologyReads >= 2, "\(client.statistics)")
    }
}
