/// A client of a Redis Cluster: routes each command to the master of its keys' slot, follows `-MOVED` and `-ASK`,
/// and retries `-TRYAGAIN` and `-CLUSTERDOWN` with bounded backoff (the commands are in
/// `RedisClusterClient+Commands.swift`).
///
/// **Ownership:** one `RedisConnectionPool` per node, created when a command first goes there and owned by the
/// client; `close()` closes them all. Pools of nodes that leave the slot map are closed when the map is read again.
///
/// **Thread safety:** `Sendable`; the slot map, the pools and the counters are behind one lock, held only for
/// short bookkeeping, never across I/O.
///
/// **Blocking:** never on the caller's thread: hiredis' I/O runs on the pools' own threads. Nothing runs in the
/// background either: `init` starts no task or thread. The slot map is read by the first command (callers that
/// come meanwhile wait for that read), and again by the command that finds it stale after a `-MOVED` or an
/// unreachable node, at most once per `minimumRefreshInterval`; other callers keep routing with the old map,
/// corrected slot by slot from `-MOVED`. A read asks the known masters, then the seeds, one at a time, each bounded
/// by `connectTimeout` and `commandTimeout`; callers waiting for the first map can't be cancelled before it ends.
///
/// **Retries** are only made where the command surely didn't run (a redirect, `-TRYAGAIN`, `-CLUSTERDOWN`, a refused
/// connection); after an I/O error, EOF or timeout on a sent command the error is the caller's, as with the pool.
public final class RedisClusterClient: Sendable {
    /// Counts of what the client had to do, for tests, logs and `tally doctor`.
    public struct Statistics: Sendable, Hashable {
        /// `-MOVED` redirects followed.
        public var moved = 0
        /// `-ASK` redirects followed.
        public var ask = 0
        /// `-TRYAGAIN` replies retried.
        public var tryAgain = 0
        /// `-CLUSTERDOWN` replies retried.
        public var clusterDown = 0
        /// Retries because a node refused connections or no master served a slot.
        public var unreachable = 0
        /// Slot maps read (the first one included).
        public var topologyReads = 0
        /// Node pools open now.
        public var pools = 0

        public init() {}
    }

    /// The seeds, credentials and limits.
    public let configuration: RedisClusterConfiguration

    let state = LockedValueBox(State())

    struct State {
        var topology: RedisClusterTopology?
        var pools: [RedisClusterAddress: RedisConnectionPool] = [:]
        /// A `-MOVED` or an unreachable node asked for the map to be read again.
        var refreshDue = false
        var refreshing = false
        var lastRead: ContinuousClock.Instant?
        /// Callers waiting for the first map while another reads it; resumed with that read's error, if any.
        var waiters: [CheckedContinuation<RedisError?, Never>] = []
        /// `CLUSTER SHARDS` was refused as unknown (a server before 7.0): use `CLUSTER SLOTS`.
        var useSlotsCommand = false
        var closed = false
        var statistics = Statistics()
    }

    /// A client of the cluster the seeds belong to. Connects to nothing until the first command.
    public init(configuration: RedisClusterConfiguration) {
        self.configuration = configuration
    }

    /// A client for a `redis+cluster://` URL; see `RedisClusterConfiguration.init(url:)`.
    public convenience init(url: String) throws(RedisError) {
        self.init(configuration: try RedisClusterConfiguration(url: url))
    }

    /// The slot map in use (with the corrections `-MOVED` made since it was read), or `nil` before the first read.
    public var topology: RedisClusterTopology? { state.withLockedValue { $0.topology } }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.pools = state.pools.count
            return statistics
        }
    }

    /// Reads the slot map now, whatever the interval, and returns it.
    /// - Throws: the last node's error when no known node nor seed answered with a usable map.
    @discardableResult
    public func refreshTopology() async throws(RedisError) -> RedisClusterTopology {
        let old: RedisClusterTopology? = state.withLockedValue { state in
            state.refreshing = true
            return state.topology
        }
        return try await read(replacing: old)
    }

    /// The pool of one node, created if need be: for commands that must go to a given node (`CLUSTER INFO`,
    /// `INFO`), not routed by key. Owned by the client.
    /// - Throws: `.poolClosed` after `close()`.
    public func pool(for address: RedisClusterAddress) throws(RedisError) -> RedisConnectionPool {
        let pool: RedisConnectionPool? = state.withLockedValue { state in
            if state.closed { return nil }
            if let pool = state.pools[address] { return pool }
            let pool = RedisConnectionPool(
                redis: configuration.nodeConfiguration(address), configuration: configuration.pool)
            state.pools[address] = pool
            return pool
        }
        guard let pool else { throw RedisError(code: .poolClosed, message: "the cluster client was closed") }
        return pool
    }

    /// Closes every node's pool: waiting and later commands get `.poolClosed`; commands running finish.
    public func close() {
        let pools = state.withLockedValue { state in
            state.closed = true
            defer { state.pools.removeAll() }
            return Array(state.pools.values)
        }
        for pool in pools { pool.close() }
    }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    // MARK: - The slot map

    private enum Step {
        case use(RedisClusterTopology)
        case read(RedisClusterTopology?)
        case wait
        case closed
    }

    /// The map to route by: the one in use, read first if there is none yet, or if it is stale and the refresh
    /// interval passed. A failed re-read keeps the old map (and leaves the refresh due).
    func currentTopology() async throws(RedisError) -> RedisClusterTopology {
        while true {
            let now = ContinuousClock.now
            let step: Step = state.withLockedValue { state in
                if state.closed { return .closed }
                if let topology = state.topology {
                    let intervalPassed = state.lastRead.map { now - $0 >= configuration.minimumRefreshInterval } ?? true
                    guard state.refreshDue, !state.refreshing, intervalPassed else { return .use(topology) }
                    state.refreshing = true
                    return .read(topology)
                }
                if state.refreshing { return .wait }
                state.refreshing = true
                return .read(nil)
            }
            switch step {
            case .use(let topology):
                return topology
            case .closed:
                throw RedisError(code: .poolClosed, message: "the cluster client was closed")
            case .read(let old):
                do {
                    return try await read(replacing: old)
                } catch {
                    if let old { return old }
                    throw error
                }
            case .wait:
                let failure: RedisError? = await withCheckedContinuation { continuation in
                    let waiting = state.withLockedValue { state in
                        if state.refreshing { state.waiters.append(continuation) }
                        return state.refreshing
                    }
                    if !waiting { continuation.resume(returning: nil) }
                }
                if let failure { throw failure }
            }
        }
    }

    /// Reads the map from the known masters, then the seeds, until one answers; installs it, closes the pools of
    /// nodes no longer in it, and wakes the callers waiting for it. The caller has set `refreshing`.
    private func read(replacing old: RedisClusterTopology?) async throws(RedisError) -> RedisClusterTopology {
        var candidates: [RedisClusterAddress] = []
        for address in (old?.masters ?? []) + configuration.seeds where !candidates.contains(address) {
            candidates.append(address)
        }
        var failures: [String] = []
        var lastError: RedisError?
        for address in candidates {
            do {
                let topology = try await readTopology(from: address)
                guard topology.assignedSlotCount > 0 else {
                    failures.append("\(address): serves no slots yet")
                    continue
                }
                finishRead(with: .success(topology))
                return topology
            } catch {
                failures.append("\(address): \(error)")
                lastError = error
            }
        }
        let error = RedisError(
            code: lastError?.code ?? .unexpectedReply,
            message: "no cluster node gave a slot map (" + failures.joined(separator: "; ") + ")")
        finishRead(with: .failure(error))
        throw error
    }

    /// `CLUSTER SHARDS` from one node, or `CLUSTER SLOTS` where it is unknown.
    private func readTopology(from address: RedisClusterAddress) async throws(RedisError) -> RedisClusterTopology {
        let pool = try pool(for: address)
        if !state.withLockedValue({ $0.useSlotsCommand }) {
            let reply = try await pool.send(.clusterShards)
            let unknown = reply.serverError.map { $0.code == .serverError && $0.message.contains("unknown") } ?? false
            if !unknown { return try RedisClusterTopology(shardsReply: reply, answeredBy: address) }
            state.withLockedValue { $0.useSlotsCommand = true }
        }
        return try RedisClusterTopology(slotsReply: try await pool.send(.clusterSlots), answeredBy: address)
    }

    private func finishRead(with outcome: Result<RedisClusterTopology, RedisError>) {
        let now = ContinuousClock.now
        let (waiters, stale) = state.withLockedValue { state in
            state.refreshing = false
            state.lastRead = now
            state.statistics.topologyReads += 1
            var stale: [RedisConnectionPool] = []
            if case .success(let topology) = outcome {
                state.topology = topology
                state.refreshDue = false
                let keep = topology.allAddresses.union(configuration.seeds)
                for (address, pool) in state.pools where !keep.contains(address) {
                    stale.append(pool)
                    state.pools[address] = nil
                }
            } else {
                state.refreshDue = true
            }
            defer { state.waiters.removeAll() }
            return (state.waiters, stale)
        }
        for pool in stale { pool.close() }
        let failure: RedisError? = if case .failure(let error) = outcome { error } else { nil }
        for waiter in waiters { waiter.resume(returning: failure) }
    }

    /// Notes a `-MOVED`: the slot goes to its new master at once, and the whole map is read again soon.
    func apply(moved redirect: RedisClusterRedirect) {
        state.withLockedValue { state in
            state.statistics.moved += 1
            state.refreshDue = true
            if let topology = state.topology, topology.master(for: redirect.slot) != redirect.address {
                state.topology = topology.movingSlot(redirect.slot, to: redirect.address)
            }
        }
    }

    /// Asks for the map to be read again soon (a node was unreachable, the cluster said it is down).
    func markTopologyStale() {
        state.withLockedValue { $0.refreshDue = true }
    }

    func count(_ update: (inout Statistics) -> Void) {
        state.withLockedValue { update(&$0.statistics) }
    }
}
