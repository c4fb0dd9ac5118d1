import Foundation
import Hiredis

/// A private Redis Cluster for tests: `redis-server` processes in cluster mode (`RedisServer`s: loopback ports,
/// temporary directories, no persistence) joined by `redis-cli --cluster create`, 3 masters with a replica each by
/// default, `cluster-node-timeout` 1 s.
///
/// `start` returns once every node reports `cluster_state:ok`, knows every node and every slot, and every replica's
/// link to its master is up (all polled, never slept on). The processes stop (SIGKILL) on `stop()`, when the value is
/// released, and, for the shared instance, at process exit; after a crashed run `scripts/test.sh` kills them as it
/// kills every test server (their directories are `tally-test-redis-…` too). Starting awaits; nothing parks a
/// cooperative thread.
///
/// Commands to one node (`send(_:to:)`) open a connection per call, so they keep working across kills and
/// restarts; the helpers for slot migrations (`beginMigration`, `migrate`, `finishMigration`) run the steps
/// `redis-cli --cluster reshard` runs.
public final class RedisCluster: Sendable {
    /// A node as `CLUSTER NODES` describes it.
    public struct Node: Sendable, Hashable {
        public var id: String
        public var port: Int
        public var isMaster: Bool
        /// The master's id, for a replica.
        public var masterID: String?
        /// Slot ranges served, for a master.
        public var slots: [ClosedRange<Int>]

        public var address: RedisClusterAddress { RedisClusterAddress(host: "127.0.0.1", port: port) }

        /// Whether the node serves `slot` (as the node that was asked sees it).
        public func serves(_ slot: RedisClusterSlot) -> Bool { slots.contains { $0.contains(slot.number) } }
    }

    /// The servers, in the order they were given to `redis-cli --cluster create`.
    public let servers: [RedisServer]

    /// Every node's address.
    public var addresses: [RedisClusterAddress] {
        servers.map { RedisClusterAddress(host: "127.0.0.1", port: $0.port) }
    }

    /// `redis+cluster://127.0.0.1:<port>,…` with every node.
    public var url: String {
        RedisClusterConfiguration.urlScheme + "://" + addresses.map(\.description).joined(separator: ",")
    }

    /// A client configuration seeded with every node.
    public func configuration(commandTimeout: Duration = .seconds(2)) -> RedisClusterConfiguration {
        RedisClusterConfiguration(seeds: addresses, commandTimeout: commandTimeout)
    }

    /// One cluster shared by every test of the process that uses keys of its own; started on first use (the tasks
    /// that ask meanwhile all await the one start), stopped at process exit.
    public static func shared() async throws -> RedisCluster {
        try await sharedCluster.value
    }

    private static let sharedCluster = Task<RedisCluster, any Error> {
        // No test of the shared cluster needs a fast failover, and under a loaded CI machine a 1 s node timeout
        // could fail a master over by itself; the failover test starts its own cluster with 1 s.
        let cluster = try await RedisCluster.start(nodeTimeout: .seconds(5))
        sharedInstance.withLockedValue { $0 = cluster }
        atexit { RedisCluster.sharedInstance.withLockedValue { $0 }?.stop() }
        return cluster
    }

    private static let sharedInstance = LockedValueBox<RedisCluster?>(nil)

    /// How many masters serve slots, and how many replicas there are, when the cluster is as created.
    public let masterCount: Int
    public let replicaCount: Int

    private init(servers: [RedisServer], masters: Int) {
        self.servers = servers
        self.masterCount = masters
        self.replicaCount = servers.count - masters
    }

    deinit {
        stop()
    }

    /// Starts `masters × (1 + replicasPerMaster)` nodes, creates the cluster and waits until it is healthy.
    /// - Throws: `RedisServer.StartError` when `redis-server` or `redis-cli` is missing, a node doesn't start, the
    ///   creation fails, or the cluster isn't healthy within 60 s.
    public static func start(
        masters: Int = 3, replicasPerMaster: Int = 1, nodeTimeout: Duration = .seconds(1)
    ) async throws -> RedisCluster {
        guard TestEnvironment.executable(named: "redis-cli") != nil else {
            throw RedisServer.StartError(
                description: "redis-cli is not on PATH. Install it (apt-get install redis-tools) or run `make test`.")
        }
        let count = masters * (1 + replicasPerMaster)
        let arguments = [
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", String(nodeTimeout.inNanoseconds / 1_000_000),
            // A replica's first sync starts at once, not after the default 5 s wait for more replicas.
            "--repl-diskless-sync-delay", "0",
        ]
        let servers = try await withThrowingTaskGroup(of: RedisServer.self) { group in
            for _ in 0..<count {
                // The cluster bus listens on port + 10,000, which must be a valid port too.
                group.addTask { try await RedisServer.start(extraArguments: arguments, ports: 20_000..<55_000) }
            }
            var started: [RedisServer] = []
            do {
                for try await server in group { started.append(server) }
            } catch {
                for server in started { server.stop() }
                throw error
            }
            return started
        }
        let cluster = RedisCluster(servers: servers, masters: masters)
        let create = try await TestEnvironment.run(
            ["redis-cli", "--cluster", "create"] + cluster.addresses.map(\.description)
                + ["--cluster-replicas", String(replicasPerMaster), "--cluster-yes"])
        guard create.status == 0 else {
            cluster.stop()
            throw RedisServer.StartError(
                description: "redis-cli --cluster create failed (\(create.status)): \(create.output.suffix(2_000))")
        }
        guard try await TestEnvironment.waitUntil(limit: .seconds(60), { try await cluster.isHealthy() })
        else {
            let states = await cluster.clusterStates()
            cluster.stop()
            throw RedisServer.StartError(description: "the cluster did not become healthy within 60 s: \(states)")
        }
        return cluster
    }

    /// Whether the cluster is as created, in every running node's view: `cluster_state:ok`, every slot assigned,
    /// every node known, `masterCount` masters serving slots and `replicaCount` replicas (right after creation a node
    /// may still see a replica as a master without slots until gossip tells it), and every replica's link to its
    /// master up.
    public func isHealthy() async throws -> Bool {
        for server in servers where server.isRunning {
            guard let info = try? await send(.clusterInfo, to: server.port).string(),
                info.contains("cluster_state:ok"), info.contains("cluster_slots_assigned:16384"),
                info.contains("cluster_known_nodes:\(servers.count)"),
                let view = try? await nodes(askingPort: server.port),
                view.filter({ $0.isMaster && !$0.slots.isEmpty }).count == masterCount,
                view.filter({ !$0.isMaster }).count == replicaCount
            else { return false }
            guard let replication = try? await send(.info("replication"), to: server.port).string() else {
                return false
            }
            if replication.contains("role:slave") && !replication.contains("master_link_status:up") { return false }
        }
        return true
    }

    /// Each node's `cluster_state` line, for error messages.
    private func clusterStates() async -> String {
        var states: [String] = []
        for server in servers {
            let info = (try? await send(.clusterInfo, to: server.port).string()) ?? "no answer"
            let state = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cluster_state") } ?? "?"
            states.append("\(server.port): \(state)")
        }
        return states.joined(separator: ", ")
    }

    /// Sends one command to the node on `port` (not routed), on a connection of its own.
    public func send(_ command: RedisCommand, to port: Int) async throws(RedisError) -> RedisReply {
        try await RedisServer.send(command, toPort: port)
    }

    /// The cluster's nodes as the node on `port` (the first running one by default) sees them.
    public func nodes(askingPort port: Int? = nil) async throws -> [Node] {
        guard let port = port ?? servers.first(where: \.isRunning)?.port else { return [] }
        let text = try await send(RedisCommand("CLUSTER", arguments: ["NODES"]), to: port).string()
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>…
            let fields = line.split(separator: " ")
            guard fields.count >= 8, let address = fields[1].split(separator: "@").first,
                let nodeAddress = RedisClusterAddress(address)
            else { return nil }
            let flags = fields[2].split(separator: ",")
            var slots: [ClosedRange<Int>] = []
            for field in fields.dropFirst(8) where !field.hasPrefix("[") {
                let bounds = field.split(separator: "-").compactMap { Int($0) }
                if bounds.count == 1 { slots.append(bounds[0]...bounds[0]) }
                if bounds.count == 2 { slots.append(bounds[0]...bounds[1]) }
            }
            return Node(
                id: String(fields[0]), port: nodeAddress.port, isMaster: flags.contains("master"),
                masterID: fields[3] == "-" ? nil : String(fields[3]), slots: slots)
        }
    }

    /// How many keys of `slot` the node on `port` holds.
    public func keyCount(in slot: RedisClusterSlot, onPort port: Int) async throws -> Int {
        Int(try await send(RedisCommand("CLUSTER", arguments: ["COUNTKEYSINSLOT", slot.number]), to: port).int())
    }

    /// The master serving `slot`, as the first running node sees it.
    public func master(of slot: RedisClusterSlot) async throws -> Node? {
        try await nodes().first { $0.isMaster && $0.serves(slot) }
    }

    /// The first step of moving `slot`: `target` imports it, `source` migrates it. Until `finishMigration`, the
    /// source answers `-ASK` for keys it no longer has and `-TRYAGAIN` for multi-key commands over keys on both.
    public func beginMigration(of slot: RedisClusterSlot, from source: Node, to target: Node) async throws {
        try await send(setSlot(slot, "IMPORTING", source.id), to: target.port).checked()
        try await send(setSlot(slot, "MIGRATING", target.id), to: source.port).checked()
    }

    /// Moves keys of a migrating slot from `source` to `target` (`MIGRATE … KEYS`).
    public func migrate(keys: [String], from source: Node, to target: Node) async throws {
        let reply = try await send(
            RedisCommand(
                "MIGRATE",
                arguments: ["127.0.0.1", target.port, "", 0, 5_000, "KEYS"]
                    + keys.map { $0 as any RedisArgumentConvertible }),
            to: source.port)
        try reply.checked()
    }

    /// Ends a migration as `redis-cli --cluster reshard` does: the keys still on `source` are moved (other tests'
    /// keys may share the slot), then every master learns that `target` serves `slot`, the target first.
    public func finishMigration(of slot: RedisClusterSlot, from source: Node, to target: Node) async throws {
        while true {
            let remaining = try await send(
                RedisCommand("CLUSTER", arguments: ["GETKEYSINSLOT", slot.number, 1_000]), to: source.port
            ).array().map { reply throws(RedisError) in try reply.string() }
            if remaining.isEmpty { break }
            try await migrate(keys: remaining, from: source, to: target)
        }
        let masters = try await nodes().filter(\.isMaster)
        let ordered = masters.filter { $0.id == target.id } + masters.filter { $0.id != target.id }
        for master in ordered {
            try await send(setSlot(slot, "NODE", target.id), to: master.port).checked()
        }
    }

    private func setSlot(_ slot: RedisClusterSlot, _ state: String, _ id: String) -> RedisCommand {
        RedisCommand("CLUSTER", arguments: ["SETSLOT", slot.number, state, id])
    }

    /// Stops every node (SIGKILL) and removes their directories, without waiting.
    public func stop() {
        for server in servers { server.stop() }
    }

    /// Stops every node and returns once all processes have ended.
    public func stopAndWait() async {
        for server in servers { await server.stopAndWait() }
    }
}
