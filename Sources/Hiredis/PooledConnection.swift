import Dispatch

/// One slot of a `RedisConnectionPool`: a serial queue and the connection that lives on it (or none yet).
///
/// `@unchecked Sendable` is safe because a slot is checked out to one caller at a time (the pool's mutex orders
/// check-out and check-in), and `connection` is touched only on that caller's behalf, by one thread at a time: in
/// blocks on `queue` (a serial queue) while the caller waits for them, or, for a pipeline that doesn't block, by
/// the caller itself and then the reply loop, which hand it on through a lock and a continuation. `discard()` runs
/// on `queue` for a slot nobody holds.
final class PooledConnection: @unchecked Sendable {
    let queue: DispatchQueue
    private var connection: RedisConnection?
    private unowned let pool: RedisConnectionPool

    /// Marks the pool's queues, so code can tell it runs on one (`RedisConnectionPool.currentConnectionNumber`).
    static let queueKey = DispatchSpecificKey<Int>()

    init(pool: RedisConnectionPool, number: Int) {
        self.pool = pool
        self.queue = DispatchQueue(label: "tally.redis.connection.\(number)")
        queue.setSpecific(key: Self.queueKey, value: number)
    }

    /// Runs on `queue`: (re)connects when needed, runs `body`, drops the connection if `body` broke it.
    func run<Result>(
        redis: RedisConfiguration, body: (RedisConnection) throws(RedisError) -> Result
    ) -> Swift.Result<Result, RedisError> {
        dispatchPrecondition(condition: .onQueue(queue))
        let usable: RedisConnection
        switch establish(redis: redis) {
        case .success(let connection): usable = connection
        case .failure(let error): return .failure(error)
        }
        let result: Swift.Result<Result, RedisError>
        do {
            result = .success(try body(usable))
        } catch {
            result = .failure(error)
        }
        dropIfBroken(usable)
        return result
    }

    /// Runs on `queue`: closes the connection.
    func discard() {
        connection = nil
    }

    /// The open connection, after dropping one the server closed and connecting when there is none. Blocks while
    /// it connects: only on `queue`.
    private func establish(redis: RedisConfiguration) -> Swift.Result<RedisConnection, RedisError> {
        if let existing = connection, !existing.checkIdleHealth() {
            connection = nil
            pool.recordDropped()
        }
        if let existing = connection { return .success(existing) }
        do {
            let opened = try RedisConnection(configuration: redis)
            connection = opened
            pool.recordOpened()
            return .success(opened)
        } catch {
            return .failure(error)
        }
    }

    private func dropIfBroken(_ used: RedisConnection) {
        if used.isBroken {
            connection = nil
            pool.recordDropped()
        }
    }

    /// Runs `body` on `queue` and returns its result; the caller's task is suspended meanwhile.
    private func onQueue<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}

#if os(Linux)
    extension PooledConnection {
        /// Sends `commands` in one write from the caller's thread, without blocking, and waits for their replies
        /// through `RedisReplyLoop`: one hop per call. Connecting, and the rest of a write the socket didn't take at
        /// once, run on `queue`, where blocking is allowed. For the caller that holds the slot.
        func pipelineWithoutBlocking(
            _ commands: [RedisCommand], redis: RedisConfiguration
        ) async -> Swift.Result<[RedisReply], RedisError> {
            let connection: RedisConnection
            if let existing = self.connection, existing.checkIdleHealth() {
                connection = existing
            } else {
                let opened = await onQueue { self.establish(redis: redis).map(RedisConnection.Handoff.init) }
                switch opened {
                case .success(let handoff): connection = handoff.connection
                case .failure(let error): return .failure(error)
                }
            }
            let result: Swift.Result<[RedisReply], RedisError>
            do {
                let sentAll = try connection.sendWithoutWaiting(commands)
                // The call waits on the server from here on: encoding (local work) is not part of its timeout.
                let deadline = ContinuousClock.now + connection.configuration.commandTimeout
                if !sentAll {
                    let handoff = RedisConnection.Handoff(connection: connection)
                    try await onQueue {
                        Swift.Result { () throws(RedisError) in
                            try handoff.connection.flush(commands: commands.count, until: deadline)
                        }
                    }.get()
                }
                result = await RedisReplyLoop.shared.replies(
                    from: connection, expected: commands.count, deadline: deadline)
            } catch {
                result = .failure(error)
            }
            dropIfBroken(connection)
            return result
        }
    }
#endif
