import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// A master SIGKILLed during buffered traffic, on deployments of their own: its replica is promoted, and every
/// event the app tracked is counted once (`FailoverScenario`).
@Suite(
    "Tally through a master's failover",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct FailoverTests {
    /// 3 masters, 3 replicas, `cluster-node-timeout` 1 s; the master of Tally's `{event_counters}` slot is killed.
    @Test func onAClusterNothingIsLostNorCountedTwice() async throws {
        let cluster = try await RedisCluster.start()
        defer { cluster.stop() }
        let slot = RedisClusterSlot(key: "{event_counters}")
        let replicaPort = LockedValueBox(0)
        try await FailoverScenario(
            url: cluster.url,
            failOver: {
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
                replicaPort.withLockedValue { $0 = replica.port }
                let stats = try await cluster.send(.info("commandstats"), to: master.port).string()
                #expect(stats.contains("cmdstat_wait:calls="), "chunks wait for the replica: \(stats)")
                let victim = try #require(cluster.servers.first { $0.port == master.port })
                victim.kill()
                #expect(await TestEnvironment.waitUntil { !victim.isRunning })
            },
            isPromoted: { try await cluster.master(of: slot)?.port == replicaPort.withLockedValue { $0 } }
        ).run(prefix: "f:")
    }

    /// A master, its replica and three sentinels (quorum 2, down-after 1 s); the master is killed.
    @Test func behindSentinelNothingIsLostNorCountedTwice() async throws {
        let group = try await RedisSentinelGroup.start()
        defer { group.stop() }
        let master = group.servers[0]
        try await FailoverScenario(
            url: group.url,
            failOver: {
                let stats = try await group.send(.info("commandstats"), to: master.port).string()
                #expect(stats.contains("cmdstat_wait:calls="), "chunks wait for the replica: \(stats)")
                master.kill()
                #expect(await TestEnvironment.waitUntil { !master.isRunning })
            },
            isPromoted: { try await group.masterPort() == group.servers[1].port }
        ).run(prefix: "s:")
    }
}
