/// A client of a Redis master watched by Sentinel: finds the master by asking the sentinels
/// (`SENTINEL GET-MASTER-ADDR-BY-NAME`), checks it with `ROLE`, and finds it again when it stops answering as a
/// master: a refused connection, a broken one, or `-READONLY` (it was demoted in a failover). The commands are in
/// `RedisSentinelClient+Commands.swift`.
///
/// **Ownership:** one `RedisConnectionPool` for the master in use (a new one per master found; the old one is
/// closed) and one of a single connection per sentinel asked; `close()` closes them all.
///
/// **Thread safety:** `Sendable`; its state is behind one lock, held only for bookkeeping, never across I/O.
///
/// **Blocking:** never on the caller's thread (hiredis' I/O runs on the pools' own threads). `init` starts nothing
/// and connects nowhere; the first command finds the master. Callers that find the master gone at the same time may
/// each ask the sentinels; the last answer wins, and every answer names the same master once the failover is over.
///
/// **Retries** only where the command surely did not run: a refused connection, `-READONLY`, no sentinel naming a
/// master that says it is one (each after `backoff`). After an I/O error, EOF or timeout the error is the caller's
/// (the command may have run), and the master is looked up again on the next call.
public final class RedisSentinelClient: Sendable {
    /// Counts of what the client had to do, for tests, logs and `tally doctor`.
    public struct Statistics: Sendable, Hashable {
        /// Times the sentinels were asked for the master (the first lookup included).
        public var lookups = 0
        /// Times the master found was another node than the one before.
        public var masterChanges = 0
        /// Commands sent again because the node answered `-READONLY`.
        public var readOnlyRetries = 0
        /// Retries because the master refused connections or no sentinel named a usable master.
        public var unreachable = 0

        public init() {}
    }

    /// The master found: where it is, its pool, and how many replicas were connected to it when it was checked.
    struct Master: Sendable {
        var address: RedisClusterAddress
        var pool: RedisConnectionPool
        var replicas: Int
    }

    /// The sentinels, the master's name and credentials, the limits.
    public let configuration: RedisSentinelConfiguration

    let state = LockedValueBox(State())

    struct State {
        var master: Master?
        /// The last master used, to count changes across a lookup.
        var lastAddress: RedisClusterAddress?
        var sentinelPools: [RedisClusterAddress: RedisConnectionPool] = [:]
        var closed = false
        var statistics = Statistics()
    }

    /// A client of the master the sentinels monitor under `configuration.masterName`. Connects to nothing until
    /// the first command.
    public init(configuration: RedisSentinelConfiguration) {
        self.configuration = configuration
    }

    /// The master in use, or `nil` before the first lookup and after it was found gone.
    public var masterAddress: RedisClusterAddress? { state.withLockedValue { $0.master?.address } }

    /// A snapshot of the counters.
    public var statistics: Statistics { state.withLockedValue { $0.statistics } }

    /// Closes the master's and the sentinels' pools: waiting and later commands get `.poolClosed`.
    public func close() {
        let pools: [RedisConnectionPool] = state.withLockedValue { state in
            state.closed = true
            defer {
                state.master = nil
                state.sentinelPools.removeAll()
            }
            return (state.master.map { [$0.pool] } ?? []) + Array(state.sentinelPools.values)
        }
        for pool in pools { pool.close() }
    }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    func count(_ update: (inout Statistics) -> Void) {
        state.withLockedValue { update(&$0.statistics) }
    }

    // MARK: - Finding the master

    /// The master in use, looked up first when there is none.
    func currentMaster() async throws(RedisError) -> Master {
        if let master = try state.withLockedValue({ state throws(RedisError) -> Master? in
            if state.closed { throw RedisError(code: .poolClosed, message: "the sentinel client was closed") }
            return state.master
        }) {
            return master
        }
        return try await lookUpMaster()
    }

    /// Forgets `master` (if it is still the one in use), so the next command asks the sentinels again.
    func forget(_ master: Master) {
        let stale: RedisConnectionPool? = state.withLockedValue { state in
            guard let current = state.master, current.pool === master.pool else { return nil }
            state.master = nil
            return current.pool
        }
        stale?.close()
    }

    /// Asks the sentinels in turn which node is the master, until one names a node whose `ROLE` says master;
    /// retried after `backoff` while none does (mid-failover), at most `backoff.maximumRetries` times.
    /// - Throws: `.connectionRefused` (or the last error) naming what each sentinel said.
    @discardableResult
    public func findMaster() async throws(RedisError) -> RedisClusterAddress {
        try await lookUpMaster().address
    }

    private func lookUpMaster() async throws(RedisError) -> Master {
        var retries = 0
        while true {
            count { $0.lookups += 1 }
            var failures: [String] = []
            var lastError: RedisError?
            for sentinel in configuration.sentinels {
                do {
                    guard let address = try await askSentinel(sentinel) else {
                        failures.append("\(sentinel): monitors no master named \"\(configuration.masterName)\"")
                        continue
                    }
                    if let master = try await checkMaster(at: address) { return install(master) }
                    failures.append("\(sentinel): named \(address), which is not a master (yet)")
                } catch {
                    failures.append("\(sentinel): \(error.message)")
                    lastError = error
                }
            }
            if isClosed { throw RedisError(code: .poolClosed, message: "the sentinel client was closed") }
            if retries >= configuration.backoff.maximumRetries {
                throw RedisError(
                    code: lastError?.code == .authenticationFailed ? .authenticationFailed : .connectionRefused,
                    message:
                        "no sentinel named a usable master \"\(configuration.masterName)\" ("
                        + failures.joined(separator: "; ") + ")")
            }
            count { $0.unreachable += 1 }
            do {
                try await Task.sleep(for: configuration.backoff.delay(beforeRetry: retries))
            } catch {
                throw RedisError(code: .cancelled, message: "the task was cancelled while looking for the master")
            }
            retries += 1
        }
    }

    /// One sentinel's answer: the master's address, or `nil` when it monitors no master by that name.
    private func askSentinel(_ sentinel: RedisClusterAddress) async throws(RedisError) -> RedisClusterAddress? {
        let pool: RedisConnectionPool = try state.withLockedValue { state throws(RedisError) in
            if state.closed { throw RedisError(code: .poolClosed, message: "the sentinel client was closed") }
            if let pool = state.sentinelPools[sentinel] { return pool }
            let pool = RedisConnectionPool(
                redis: configuration.sentinelConfiguration(sentinel), configuration: .init(maximumConnections: 1))
            state.sentinelPools[sentinel] = pool
            return pool
        }
        let reply = try await pool.send(.sentinelMasterAddress(configuration.masterName))
        if reply == .null { return nil }
        let fields = try reply.array()
        guard fields.count == 2, let port = Int(try fields[1].string()) else {
            throw RedisError(code: .unexpectedReply, message: "SENTINEL GET-MASTER-ADDR-BY-NAME answered \(reply)")
        }
        return RedisClusterAddress(host: try fields[0].string(), port: port)
    }

    /// The node at `address` as the master, if its `ROLE` says so; `nil` when it is a replica (a sentinel's view is
    /// ahead of or behind the node's during a failover).
    private func checkMaster(at address: RedisClusterAddress) async throws(RedisError) -> Master? {
        let pool = RedisConnectionPool(
            redis: configuration.masterConfiguration(address), configuration: configuration.pool)
        do {
            let role = try await pool.send(.role).array()
            guard let kind = role.first, try kind.string() == "master" else {
                pool.close()
                return nil
            }
            let replicas = role.count >= 3 ? ((try? role[2].array().count) ?? 0) : 0
            return Master(address: address, pool: pool, replicas: replicas)
        } catch {
            pool.close()
            throw error
        }
    }

    /// Makes `master` the one in use (closing the previous pool) and returns it.
    private func install(_ master: Master) -> Master {
        let (previous, closed) = state.withLockedValue { state -> (Master?, Bool) in
            if state.closed { return (nil, true) }
            let previous = state.master
            if let last = state.lastAddress, last != master.address { state.statistics.masterChanges += 1 }
            state.master = master
            state.lastAddress = master.address
            return (previous, false)
        }
        if closed { master.pool.close() }
        previous?.pool.close()
        return master
    }
}
