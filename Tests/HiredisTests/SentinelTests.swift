import Hiredis
import TallyTestSupport
import Testing

/// Against a real master, its replica and three sentinels (quorum 2, down-after 1 s), started for each test: the
/// client finds the master, and follows it through a failover Sentinel makes.
@Suite(
    "Redis Sentinel client",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct SentinelTests {
    private func makeClient(_ group: RedisSentinelGroup) throws -> RedisSentinelClient {
        var configuration = try RedisSentinelConfiguration(url: group.url)
        configuration.backoff = .init(
            maximumRetries: 200, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(200))
        return RedisSentinelClient(configuration: configuration)
    }

    @Test func findsTheMasterAndFollowsAGracefulFailover() async throws {
        let group = try await RedisSentinelGroup.start()
        defer { group.stop() }
        let client = try makeClient(group)
        defer { client.close() }
        #expect(try await client.send(.incr("k")) == .integer(1))
        #expect(client.masterAddress?.port == group.servers[0].port)
        #expect(client.statistics.lookups == 1)
        #expect(try await client.transaction([.incr("k"), .incr("k")]) == [.integer(2), .integer(3)])
        // The replica has the writes before the switch.
        #expect(
            try await TestEnvironment.waitUntil {
                try await group.send(.get("k"), to: group.servers[1].port) == .bulk(Array("3".utf8))
            })

        // SENTINEL FAILOVER demotes the master: the client's connection to it then answers -READONLY to writes, and
        // the client asks the sentinels again.
        try await group.send(
            RedisCommand("SENTINEL", arguments: ["FAILOVER", group.masterName]), to: group.sentinels[0].port
        )
        .checked()
        #expect(try await TestEnvironment.waitUntil { try await group.masterPort() == group.servers[1].port })
        // The old master has become the new one's replica and synced from it: Sentinel's reconfiguration of both
        // nodes (each step also closes their clients' connections) is over.
        #expect(
            await TestEnvironment.waitUntil {
                // Sentinel closes the node's client connections while it reconfigures it: this one's too, maybe.
                guard let replication = try? await group.send(.info("replication"), to: group.servers[0].port).string()
                else { return false }
                return replication.contains("role:slave") && replication.contains("master_link_status:up")
                    && replication.contains("master_port:\(group.servers[1].port)")
            })
        // The demoted master refuses the first INCR: it and everything after it (the GET it would have answered as a
        // replica included) run on the new master.
        // Sentinel also closes the demoted master's client connections, asynchronously: a pooled one may be cut
        // under this very request (an I/O error: the client can't know whether it ran, so it is the caller's). Here
        // the node was already a replica, which runs no write, so the test sends it again.
        let commands: [RedisCommand] = [.get("k"), .incr("k"), .multi, .incr("k"), .exec, .get("k")]
        var replies: [RedisReply]
        do {
            replies = try await client.pipeline(commands)
        } catch {
            #expect(error.breaksConnection, "\(error)")
            replies = try await client.pipeline(commands)
        }
        #expect(
            replies == [
                .bulk(Array("3".utf8)), .integer(4), .status("OK"), .status("QUEUED"), .array([.integer(5)]),
                .bulk(Array("5".utf8)),
            ])
        #expect(client.masterAddress?.port == group.servers[1].port)
        #expect(client.statistics.masterChanges == 1)
        #expect(client.statistics.readOnlyRetries + client.statistics.unreachable >= 1, "\(client.statistics)")

        // A name no sentinel monitors is said so, sentinel by sentinel.
        var unknown = try RedisSentinelConfiguration(url: group.url)
        unknown.masterName = "unknown"
        unknown.backoff = .init(maximumRetries: 0)
        let lost = RedisSentinelClient(configuration: unknown)
        defer { lost.close() }
        let error = try #require(await redisError { () async throws(RedisError) in try await lost.send(.ping) })
        #expect(error.message.contains("monitors no master named \"unknown\""), "\(error)")
    }

    @Test func followsTheMasterThroughASigkill() async throws {
        let group = try await RedisSentinelGroup.start()
        defer { group.stop() }
        let client = try makeClient(group)
        defer { client.close() }
        #expect(try await client.send(.incr("k")) == .integer(1))
        #expect(
            try await TestEnvironment.waitUntil {
                try await group.send(.get("k"), to: group.servers[1].port) == .bulk(Array("1".utf8))
            })
        group.servers[0].kill()
        #expect(await TestEnvironment.waitUntil { !group.servers[0].isRunning })
        // Refused while the sentinels agree the master is down and promote the replica; then sent there.
        #expect(try await client.send(.incr("k")) == .integer(2))
        #expect(client.masterAddress?.port == group.servers[1].port)
        #expect(client.statistics.masterChanges == 1)
        #expect(client.statistics.unreachable >= 1)
        #expect(try await TestEnvironment.waitUntil { try await group.masterPort() == group.servers[1].port })
    }

    @Test func noSentinelAnsweringIsAClearError() async throws {
        var configuration = try RedisSentinelConfiguration(url: "redis+sentinel://127.0.0.1:1,127.0.0.1:2/gone")
        configuration.backoff = .init(maximumRetries: 1, initialDelay: .milliseconds(1))
        let client = RedisSentinelClient(configuration: configuration)
        defer { client.close() }
        let error = try #require(await redisError { () async throws(RedisError) in try await client.send(.ping) })
        #expect(error.code == .connectionRefused)
        #expect(error.message.contains("no sentinel named a usable master \"gone\""), "\(error)")
        #expect(error.message.contains("127.0.0.1:1:") && error.message.contains("127.0.0.1:2:"), "\(error)")
    }
}
