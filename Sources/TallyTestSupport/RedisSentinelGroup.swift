import Foundation
import Hiredis

/// A private master watched by Sentinel, for tests: a master and a replica (`RedisServer`s: loopback ports,
/// temporary directories, no persistence) and three sentinels monitoring the master as `masterName` with quorum 2.
///
/// `start` returns once the replica's link is up and every sentinel knows the replica and the two other sentinels
/// (all polled, never slept on). The processes stop (SIGKILL) on `stop()` and when the value is released.
public final class RedisSentinelGroup: Sendable {
    /// The name the sentinels monitor the master under.
    public let masterName = "tallymaster"
    /// The master and the replica, as started (after a failover the replica is the master).
    public let servers: [RedisServer]
    public let sentinels: [RedisServer]

    /// `redis+sentinel://127.0.0.1:<port>,…/tallymaster` with every sentinel.
    public var url: String {
        RedisSentinelConfiguration.urlScheme + "://"
            + sentinels.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") + "/" + masterName
    }

    private init(servers: [RedisServer], sentinels: [RedisServer]) {
        self.servers = servers
        self.sentinels = sentinels
    }

    deinit {
        stop()
    }

    /// Starts the master, its replica and three sentinels, and waits until Sentinel sees them all.
    /// - Parameter downAfter: how long the master must not answer before a sentinel thinks it down.
    /// - Throws: `RedisServer.StartError` when a server doesn't start or the group isn't ready within 60 s.
    public static func start(downAfter: Duration = .seconds(1)) async throws -> RedisSentinelGroup {
        let master = try await RedisServer.start(extraArguments: ["--repl-diskless-sync-delay", "0"])
        let replica = try await RedisServer.start(extraArguments: [
            "--replicaof", "127.0.0.1", String(master.port), "--repl-diskless-sync-delay", "0",
        ])
        var sentinels: [RedisServer] = []
        do {
            for _ in 0..<3 {
                sentinels.append(
                    try await RedisServer.startSentinel(
                        monitoring: "tallymaster", masterPort: master.port, downAfter: downAfter))
            }
        } catch {
            for server in [master, replica] + sentinels { server.stop() }
            throw error
        }
        let group = RedisSentinelGroup(servers: [master, replica], sentinels: sentinels)
        guard await TestEnvironment.waitUntil(limit: .seconds(60), { await group.isReady() }) else {
            group.stop()
            throw RedisServer.StartError(description: "the sentinels did not see the master and replica in 60 s")
        }
        return group
    }

    /// Whether the replica's link is up and every sentinel knows one replica and two other sentinels.
    public func isReady() async -> Bool {
        guard let replication = try? await send(.info("replication"), to: servers[1].port).string(),
            replication.contains("master_link_status:up")
        else { return false }
        for sentinel in sentinels {
            guard
                let fields = try? await send(
                    RedisCommand("SENTINEL", arguments: ["MASTER", masterName]), to: sentinel.port
                ).array().map({ try $0.string() })
            else { return false }
            var values: [String: String] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { values[fields[index]] = fields[index + 1] }
            guard values["num-slaves"] == "1", values["num-other-sentinels"] == "2" else { return false }
        }
        return true
    }

    /// The port of the master as the first running sentinel names it.
    public func masterPort() async throws -> Int? {
        guard let sentinel = sentinels.first(where: \.isRunning) else { return nil }
        let reply = try await send(.sentinelMasterAddress(masterName), to: sentinel.port)
        guard case .array(let fields) = reply, fields.count == 2 else { return nil }
        return Int(try fields[1].string())
    }

    /// The server the sentinels name master now.
    public func master() async throws -> RedisServer? {
        let port = try await masterPort()
        return servers.first { $0.port == port }
    }

    /// Sends one command to the node on `port`, on a connection of its own.
    public func send(_ command: RedisCommand, to port: Int) async throws(RedisError) -> RedisReply {
        try await RedisServer.send(command, toPort: port)
    }

    /// Stops every process (SIGKILL) and removes their directories, without waiting.
    public func stop() {
        for server in servers + sentinels { server.stop() }
    }
}
