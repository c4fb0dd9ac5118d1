import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// Tally's busiest slot moved from one master to another while Tally writes to it, on a cluster of its own (3
/// masters, 3 replicas), the way `redis-cli --cluster reshard` moves it: `SETSLOT … IMPORTING/MIGRATING`,
/// `MIGRATE` of its keys in small batches, `SETSLOT … NODE`.
@Suite(
    "Tally during a slot migration",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ClusterMigrationTests {
    @Test func countersStayExactWhileTheirSlotMoves() async throws {
        let cluster = try await RedisCluster.start(nodeTimeout: .seconds(5))
        defer { cluster.stop() }
        let folder = try DefinitionFolder.opensWithTotalsAndUsers()
        let day = TestEnvironment.day("2025-02-12").addingTimeInterval(3_600)
        func tally(_ prefix: String, _ counting: TallyConfiguration.Counting) throws -> Tally {
            try Tally(
                configuration: .init(
                    redisURL: cluster.url, definitions: [folder.url.path], keyPrefix: prefix, counting: counting),
                clock: FixedWallClock(day))
        }
        let buffered = try tally(
            "b:", .buffered(.init(flushInterval: .milliseconds(5), writesPerTransaction: 20)))
        let direct = try tally("d:", .direct)
        defer {
            buffered.redis.close()
            direct.redis.close()
        }
        let bufferedClient = try #require(buffered.redis as? RedisClusterClient)
        let directClient = try #require(direct.redis as? RedisClusterClient)
        let running = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await buffered.run() }
                group.addTask { try await direct.run() }
                try await group.waitForAll()
            }
        }

        // Traffic runs until the migration is over: every event goes to both Tallys, to the direct one strictly (it
        // waits for Redis, so an event it could not store fails the test).
        let migrationOver = LockedValueBox(false)
        let traffic = Task {
            var sent = 0
            while !migrationOver.withLockedValue({ $0 }) || sent < 2_000 {
                let user = UserID(Int64(sent % 3_000 + 1))
                buffered.tracker.track("open_app", user: user)
                try await direct.tracker.trackStrictly("open_app", user: user)
                sent += 1
            }
            return sent
        }

        // Both Tallys' totals share the slot of {event_counters}, the one every event writes.
        let slot = RedisClusterSlot(key: "{event_counters}")
        let source = try #require(try await cluster.master(of: slot))
        let target = try #require(try await cluster.nodes().first { $0.isMaster && $0.id != source.id })
        #expect(try await TestEnvironment.waitUntil { try await cluster.keyCount(in: slot, onPort: source.port) >= 4 })
        try await cluster.beginMigration(of: slot, from: source, to: target)
        // A flush chunk's keys (a new marker beside counters still on the source) can't run anywhere until the
        // migration ends: -TRYAGAIN, retried, the chunk kept.
        #expect(await TestEnvironment.waitUntil { bufferedClient.statistics.tryAgain >= 1 })
        while true {
            let keys = try await cluster.send(
                RedisCommand("CLUSTER", arguments: ["GETKEYSINSLOT", slot.number, 2]), to: source.port
            ).array().map { try $0.string() }
            if keys.isEmpty { break }
            try await cluster.migrate(keys: keys, from: source, to: target)
            try await Task.sleep(for: .milliseconds(20))
        }
        // A direct write to a key already on the target is sent there after -ASK.
        #expect(await TestEnvironment.waitUntil { directClient.statistics.ask >= 1 })
        try await cluster.finishMigration(of: slot, from: source, to: target)
        migrationOver.withLockedValue { $0 = true }
        let sent = try await traffic.value
        buffered.requestShutdown()
        direct.requestShutdown()
        try await running.value

        #expect(try await cluster.keyCount(in: slot, onPort: source.port) == 0)
        #expect(try await cluster.master(of: slot)?.id == target.id)
        let expectedTotal = Int64(sent)
        for (prefix, redis) in [("b:", buffered.redis), ("d:", direct.redis)] {
            #expect(
                try await redis.send(.get(prefix + "{event_counters}_open_app")).optionalIntegerString()
                    == expectedTotal)
            #expect(
                try await redis.send(.get(prefix + "{event_counters}_open_app-2025-07")).optionalIntegerString()
                    == expectedTotal)
            let users = try await redis.send(.pfcount([prefix + "{hll_counters}_open_app-user-2025-07"])).int()
            let expected = min(sent, 3_000)
            #expect(abs(Int(users) - expected) * 50 <= expected, "\(prefix) \(users) of \(expected) users")
        }
        #expect(buffered.counters is BufferedRedisCounterSink)
        let statistics = try #require(buffered.counters as? BufferedRedisCounterSink).statistics
        #expect(statistics.dropped == 0 && statistics.abandonedWrites == 0, "\(statistics)")
        #expect(bufferedClient.statistics.tryAgain >= 1 && directClient.statistics.ask >= 1)
    }
}
