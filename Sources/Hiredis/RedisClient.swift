/// What code that talks to Redis needs, whatever stands behind it: one server (`RedisConnectionPool`) or a Redis
/// Cluster (`RedisClusterClient`).
///
/// **Thread safety:** conforming types are `Sendable`; every method may be called from any task at once.
///
/// **Blocking:** never; hiredis' blocking I/O runs on the conformer's own threads while the caller is suspended.
///
/// Server error replies are values (`.error`) in `send` and `pipeline`, and thrown by `transaction`. Commands must
/// carry their keys (`RedisCommand.keys`: every builder does) so that a cluster client can route them.
public protocol RedisClient: Sendable {
    /// Sends one command and returns its reply.
    func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply

    /// Sends the commands and returns their replies in the caller's order. On one server they go in one round trip
    /// and run in order; on a cluster each node gets its share in one round trip, in order, and a command that is
    /// redirected or retried runs again after the others of its node.
    func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply]

    /// Runs the commands atomically in `MULTI`/`EXEC` and returns `EXEC`'s replies. On a cluster every key must be
    /// in one slot (one hash tag), else `.crossSlot` is thrown before anything is sent.
    func transaction(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply]

    /// Runs a Lua script by its SHA-1 (`EVALSHA`), sending it whole where the server doesn't hold it yet, and
    /// returns its reply; the keys route it on a cluster. A script's error is returned as `.error`.
    func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible]
    ) async throws(RedisError) -> RedisReply

    /// Runs a Lua script as `evaluate` does and, where the node that runs it has replicas (a cluster master with
    /// replicas not marked failed in the slot map), `WAIT 1` for up to `replicaTimeout` on the same connection, in the same
    /// write: so a write can be known to be on a replica, and survive the master's failover, before it is taken as
    /// done.
    /// - Returns: the script's reply, and whether a replica acknowledged its writes (`nil`: the node has no
    ///   replica to wait for; a single server's pool always answers `nil`).
    func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible],
        replicaTimeout: Duration
    ) async throws(RedisError) -> (reply: RedisReply, replicated: Bool?)

    /// Whether the keys of one script run or one transaction must share a cluster slot: `true` for a cluster
    /// client. Code that batches writes into scripts (the buffered sink's flush chunks) groups them by slot then.
    var isCluster: Bool { get }

    /// Whether the client knows of replicas that `evaluate(_:keys:arguments:replicaTimeout:)` can wait for: a
    /// cluster's or Sentinel's masters; `false` for one server's pool.
    var waitsForReplicas: Bool { get }

    /// How many calls the client runs at once (per node, on a cluster) before later ones wait: what a sender sizes
    /// its concurrency by.
    var maximumConcurrentCalls: Int { get }

    /// Closes the client's connections: waiting and later calls get `.poolClosed`; calls running finish.
    func close()
}

extension RedisConnectionPool: RedisClient {
    /// `evaluate` without waiting: one server's replicas are not known to the pool.
    public func evaluate(
        _ script: RedisScript, keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible],
        replicaTimeout: Duration
    ) async throws(RedisError) -> (reply: RedisReply, replicated: Bool?) {
        (try await evaluate(script, keys: keys, arguments: arguments), nil)
    }

    public var isCluster: Bool { false }
    public var waitsForReplicas: Bool { false }
    public var maximumConcurrentCalls: Int { configuration.maximumConnections }
}
