import Dispatch

/// A bounded, thread-safe pool of `RedisConnection`s with an async API.
///
/// **Blocking I/O stays off the cooperative pool:** each pooled connection owns a serial `DispatchQueue`, and every
/// hiredis call that may block (connecting, `withConnection` bodies, transactions) runs there; the calling task is
/// suspended on a continuation meanwhile. On Linux, `send` and `pipeline` write from the caller's thread without
/// blocking and wait for their replies through one epoll loop shared by every pool of the process, which runs only
/// while replies are owed (and briefly after).
///
/// **Broken connections** are detected after an error (I/O, EOF, timeout) and, without a round trip, when an idle
/// connection's socket shows the server closed it (a restart). They are dropped and replaced by a new connection on
/// next use; a failed reconnect is reported to that caller and tried again by the next one.
///
/// **Waiting** for a free connection is bounded by `Configuration.waitTimeout` (`.poolTimeout`) and ends at once,
/// with `.cancelled`, when the waiting task is cancelled. Once a caller holds a connection, its commands run to
/// their end (bounded by `commandTimeout`); cancellation doesn't interrupt blocking I/O.
///
/// Commands are not retried: a write whose reply was lost may or may not have happened.
public final class RedisConnectionPool: Sendable {
    /// Pool limits.
    public struct Configuration: Sendable, Hashable {
        /// Most connections open at once.
        public var maximumConnections: Int
        /// Longest wait for a free connection before `.poolTimeout`.
        public var waitTimeout: Duration

        public init(maximumConnections: Int = 8, waitTimeout: Duration = .seconds(5)) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            self.maximumConnections = maximumConnections
            self.waitTimeout = waitTimeout
        }
    }

    /// How the pool is used right now.
    public struct Statistics: Sendable, Hashable {
        /// Slots created (at most `maximumConnections`).
        public var slots: Int
        /// Slots waiting in the pool.
        public var idle: Int
        /// Callers waiting for a slot.
        public var waiting: Int
        /// Connections opened since the pool was created (reconnects included).
        public var connectionsOpened: Int
        /// Connections dropped because they were broken.
        public var connectionsDropped: Int
    }

    /// The server settings every connection uses.
    public let redis: RedisConfiguration
    /// The pool limits.
    public let configuration: Configuration

    private let state = LockedValueBox(State())

    private struct State {
        var idle: [PooledConnection] = []
        var slots = 0
        /// Callers waiting for a slot, oldest first. Whoever removes an entry (check-in, the wait timer,
        /// cancellation, `close()`) resumes its continuation, once, after leaving the lock.
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
        var opened = 0
        var dropped = 0
    }

    /// A caller waiting for a slot.
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<PooledConnection, any Error>
        /// Expires the wait after `waitTimeout`; cancelled when the waiter is removed otherwise, so no timer
        /// outlives its wait. It holds the pool weakly: a pending timer doesn't keep the pool alive.
        let timer: DispatchWorkItem
    }

    public init(redis: RedisConfiguration, configuration: Configuration = .init()) {
        self.redis = redis
        self.configuration = configuration
    }

    /// Runs `body` with a connection of the pool, on that connection's own thread, and returns its result.
    ///
    /// `body` must not keep the connection. If it leaves the connection broken, the pool replaces it.
    /// - Throws: `.cancelled` if the task is cancelled before it got a connection, `.poolTimeout`, `.poolClosed`,
    ///   a connection error while (re)connecting, or what `body` throws.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        let slot = try await checkOut()
        let outcome: Swift.Result<Result, RedisError> = await withCheckedContinuation { continuation in
            slot.queue.async {
                continuation.resume(returning: slot.run(redis: self.redis, body: body))
            }
        }
        checkIn(slot)
        return try outcome.get()
    }

    /// Sends one command on a pooled connection. A server error reply is returned as `.error`.
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        #if os(Linux)
            try await pipeline([command])[0]
        #else
            try await withConnection { connection throws(RedisError) in try connection.send(command) }
        #endif
    }

    /// Sends the commands in one round trip on a pooled connection; see `RedisConnection.pipeline(_:)`.
    ///
    /// On Linux the write happens on the caller's thread, without blocking, and the replies come through the
    /// process' reply loop (one epoll set for every pool): one wake-up of the caller per call instead of a hop to
    /// the connection's thread and back.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        #if os(Linux)
            if commands.isEmpty { return [] }
            let slot = try await checkOut()
            let outcome = await slot.pipelineWithoutBlocking(commands, redis: redis)
            checkIn(slot)
            return try outcome.get()
        #else
            try await withConnection { connection throws(RedisError) in try connection.pipeline(commands) }
        #endif
    }

    /// Runs the commands in `MULTI`/`EXEC`; see `RedisConnection.transaction(_:)`.
    public func transaction(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        try await withConnection { connection throws(RedisError) in try connection.transaction(commands) }
    }

    /// Closes the pool: waiting callers get `.poolClosed`, idle connections are closed, and connections in use are
    /// closed when they come back.
    public func close() {
        let (waiters, idle) = state.withLockedValue { state in
            state.closed = true
            defer { state.waiters.removeAll(); state.idle.removeAll() }
            return (state.waiters, state.idle)
        }
        for waiter in waiters {
            waiter.timer.cancel()
            waiter.continuation.resume(
                throwing: RedisError(code: .poolClosed, message: "the connection pool was closed"))
        }
        for slot in idle { slot.queue.async { slot.discard() } }
    }

    /// A snapshot of the pool's counters.
    public var statistics: Statistics {
        state.withLockedValue { state in
            Statistics(
                slots: state.slots, idle: state.idle.count, waiting: state.waiters.count,
                connectionsOpened: state.opened, connectionsDropped: state.dropped)
        }
    }

    // MARK: - Checkout

    private enum Grant {
        case slot(PooledConnection)
        case wait(Int)
        case closed
    }

    private static let cancelledError = RedisError(
        code: .cancelled, message: "the task was cancelled while it waited for a pooled connection")

    /// A free slot, or a wait for one that ends when a slot is checked in, the wait times out, the task is
    /// cancelled or the pool is closed, whichever comes first.
    private func checkOut() async throws(RedisError) -> PooledConnection {
        if Task.isCancelled { throw Self.cancelledError }
        // Fast path without a continuation: an idle slot, or room for a new one.
        let immediate: Grant = state.withLockedValue { state in
            if let grant = takeSlot(&state) { return grant }
            defer { state.nextWaiterID += 1 }
            return .wait(state.nextWaiterID)
        }
        let id: Int
        switch immediate {
        case .slot(let slot): return slot
        case .closed: throw RedisError(code: .poolClosed, message: "the connection pool is closed")
        case .wait(let waiterID): id = waiterID
        }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    wait(id: id, continuation: continuation)
                }
            } onCancel: {
                removeWaiter(id, throwing: Self.cancelledError)
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(code: .io, message: "\(error)")
        }
    }

    /// An idle slot or a new one, `.closed`, or `nil` when every slot is in use. Called with the lock held.
    private func takeSlot(_ state: inout State) -> Grant? {
        if state.closed { return .closed }
        if let slot = state.idle.popLast() { return .slot(slot) }
        if state.slots < configuration.maximumConnections {
            state.slots += 1
            return .slot(PooledConnection(pool: self, number: state.slots))
        }
        return nil
    }

    /// Registers waiter `id`, unless a slot came free, the pool closed or the task was cancelled meanwhile; then
    /// resumes `continuation` at once instead.
    private func wait(id: Int, continuation: CheckedContinuation<PooledConnection, any Error>) {
        let timer = DispatchWorkItem { [weak self] in
            guard let self else { return }
            removeWaiter(id, throwing: waitTimeoutError)
        }
        let grant: Grant? = state.withLockedValue { state in
            // Checked under the lock: a cancellation that came before this point set the flag before its handler
            // ran, and that handler found no waiter to remove; one that comes after will find this entry.
            if Task.isCancelled { return nil }
            if let grant = takeSlot(&state) { return grant }
            state.waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
            return .wait(id)
        }
        switch grant {
        case .slot(let slot):
            continuation.resume(returning: slot)
        case .closed:
            continuation.resume(throwing: RedisError(code: .poolClosed, message: "the connection pool is closed"))
        case nil:
            continuation.resume(throwing: Self.cancelledError)
        case .wait:
            let nanoseconds = Int(configuration.waitTimeout.inNanoseconds)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: timer)
        }
    }

    private var waitTimeoutError: RedisError {
        RedisError(
            code: .poolTimeout,
            message:
                "no connection free within \(configuration.waitTimeout) (pool of \(configuration.maximumConnections))"
        )
    }

    /// Ends waiter `id` with `error` if it still waits (the timer or the cancellation handler); does nothing if it
    /// was served, expired or cancelled already, so a continuation is resumed once.
    private func removeWaiter(_ id: Int, throwing error: RedisError) {
        let removed = state.withLockedValue { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let removed else { return }
        removed.timer.cancel()
        removed.continuation.resume(throwing: error)
    }

    private func checkIn(_ slot: PooledConnection) {
        let handOff = state.withLockedValue { state -> Waiter? in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(slot)
            return nil
        }
        if let handOff {
            handOff.timer.cancel()
            handOff.continuation.resume(returning: slot)
        } else if state.withLockedValue({ $0.closed }) {
            slot.queue.async { slot.discard() }
        }
    }

    /// The number of the pooled connection whose queue runs the caller, or `nil` off every pool's queues.
    /// Blocking hiredis calls only ever run where this is set.
    public static var currentConnectionNumber: Int? {
        DispatchQueue.getSpecific(key: PooledConnection.queueKey)
    }

    func recordOpened() { state.withLockedValue { $0.opened += 1 } }
    func recordDropped() { state.withLockedValue { $0.dropped += 1 } }
}
