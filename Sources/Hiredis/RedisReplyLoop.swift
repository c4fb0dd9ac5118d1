#if os(Linux)
    import CHiredis
    import Dispatch
    import Glibc

    /// Receives the replies of pipelines whose callers sent them without blocking: one epoll set over the pooled
    /// connections of the whole process, read by one thread, as `redis-benchmark` runs its clients.
    ///
    /// A call through it costs two wake-ups (this thread when the replies arrive, the caller's task when they are
    /// all in) where a hop to the connection's own queue costs three (that queue's thread for the work, again for
    /// the reply, then the caller). Sockets are watched edge-triggered from their first call on, so a call makes no
    /// `epoll_ctl` of its own; replies that arrived before their call was registered are read by the caller.
    ///
    /// **Lifecycle:** nothing starts in `init`. The loop runs on a Dispatch queue of its own while replies are owed
    /// and for `linger` after the last one, so back-to-back calls find it awake; then it closes its descriptors and
    /// ends, holding nothing, until the next call starts it again.
    ///
    /// **Thread safety:** `Sendable`; the table of waiting calls and the descriptors are behind one lock. A
    /// connection belongs to the loop from the moment its caller registers it (under the lock) until the loop
    /// resumes that caller.
    ///
    /// **Deadlines:** each call's `commandTimeout` runs from before its send; a call whose replies are not all in by
    /// then fails with `.timeout` and leaves its connection broken, as a blocking call would. A call due before the
    /// loop would next wake wakes it.
    final class RedisReplyLoop: Sendable {
        /// The loop every pool of the process shares.
        static let shared = RedisReplyLoop()

        /// How long the loop waits for more work once nothing is owed, before it ends.
        static let linger: Duration = .milliseconds(50)

        /// Bytes one read takes from a socket.
        private static let readSize = 64 * 1024

        private struct Waiting {
            let connection: RedisConnection.Handoff
            let expected: Int
            var replies: [RedisReply]
            let deadline: ContinuousClock.Instant
            let continuation: CheckedContinuation<Outcome, Never>
        }

        /// How a registered call ends.
        private enum Outcome {
            case finished(Result<[RedisReply], RedisError>)
            /// Bytes came before the call was registered: its caller reads them and registers again.
            case readable
        }

        private struct State {
            /// Calls waiting for replies, by socket: a connection has one call at a time.
            var waiting: [Int32: Waiting] = [:]
            /// Sockets that got bytes while no call waited on them (the reply came before its call was registered).
            var readableWithoutCall: Set<Int32> = []
            /// The epoll descriptor while the loop runs, else -1.
            var epoll: Int32 = -1
            /// The eventfd that wakes the loop early, else -1.
            var wake: Int32 = -1
            /// Counts epoll sets, so a connection knows whether the current one watches its socket.
            var generation = 0
            var running = false
            /// When the loop's current `epoll_wait` ends at the latest.
            var wakesAt: ContinuousClock.Instant?
        }

        private let state = LockedValueBox(State())
        private let queue = DispatchQueue(label: "tally.redis.replies")

        /// Waits for `expected` replies on `connection`, whose commands were sent (or are being sent) already.
        ///
        /// The connection is the loop's until this returns; after a failure it is broken.
        func replies(
            from connection: RedisConnection, expected: Int, deadline: ContinuousClock.Instant
        ) async -> Result<[RedisReply], RedisError> {
            let handoff = RedisConnection.Handoff(connection: connection)
            var received: [RedisReply] = []
            received.reserveCapacity(expected)
            while true {
                let outcome = await withCheckedContinuation { continuation in
                    register(
                        Waiting(
                            connection: handoff, expected: expected, replies: received, deadline: deadline,
                            continuation: continuation))
                }
                // Pairs with `handBack`: the loop's last use of the connection happens before this task's next.
                state.withLockedValue { _ in }
                switch outcome {
                case .finished(let result):
                    return result
                case .readable:
                    let complete = withUnsafeTemporaryAllocation(byteCount: 16 * 1024, alignment: 16) { scratch in
                        Result { () throws(RedisError) in
                            try connection.receiveWithoutWaiting(into: &received, expected: expected, scratch: scratch)
                        }
                    }
                    switch complete {
                    case .success(true): return .success(received)
                    case .success(false): continue
                    case .failure(let error): return .failure(error)
                    }
                }
            }
        }

        /// Whether the loop runs now (tests watch it end and start again).
        var isRunning: Bool { state.withLockedValue { $0.running } }

        /// Calls waiting for replies now.
        var waitingCalls: Int { state.withLockedValue { $0.waiting.count } }

        /// Enters `waiting` in the table (watching its socket if this epoll set doesn't yet) and starts or wakes the
        /// loop as needed; or resumes it at once when its socket has bytes already, or when the epoll set failed.
        private func register(_ waiting: Waiting) {
            let connection = waiting.connection.connection
            let descriptor = connection.socketDescriptor
            let (outcome, start, wake) = state.withLockedValue { state -> (Outcome?, Bool, Int32) in
                if state.epoll < 0 {
                    if let failure = Self.openDescriptors(&state) { return (.finished(.failure(failure)), false, -1) }
                }
                if state.readableWithoutCall.remove(descriptor) != nil { return (.readable, false, -1) }
                if connection.replyLoopGeneration != state.generation {
                    guard tally_epoll_watch_readable(state.epoll, descriptor) == 0 else {
                        return (.finished(.failure(Self.systemError("epoll_ctl"))), false, -1)
                    }
                    connection.replyLoopGeneration = state.generation
                }
                state.waiting[descriptor] = waiting
                defer { state.running = true }
                if !state.running { return (nil, true, -1) }
                // The loop sleeps past this call's deadline: wake it to wait less.
                if let wakesAt = state.wakesAt, waiting.deadline < wakesAt {
                    state.wakesAt = waiting.deadline
                    return (nil, false, state.wake)
                }
                return (nil, false, -1)
            }
            if let outcome {
                if case .finished(.failure) = outcome { connection.isBroken = true }
                waiting.continuation.resume(returning: outcome)
            } else if start {
                queue.async { self.run() }
            } else if wake >= 0 {
                tally_wake(wake)
            }
        }

        // MARK: - The loop

        private func run() {
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
            defer { scratch.deallocate() }
            var ready = [Int32](repeating: -1, count: 64)
            var idleSince: ContinuousClock.Instant?
            var (epoll, wake, timeout) = state.withLockedValue { state in
                (state.epoll, state.wake, Self.planWait(&state, idleSince))
            }
            while true {
                let count = ready.withUnsafeMutableBufferPointer { fds in
                    tally_epoll_wait_readable(epoll, fds.baseAddress, Int32(fds.count), timeout)
                }
                if count < 0 {
                    failAll(Self.systemError("epoll_wait"))
                    return
                }
                for descriptor in ready.prefix(Int(count)) {
                    if descriptor == wake {
                        tally_take_wakes(wake)
                    } else {
                        receive(on: descriptor, scratch: scratch)
                    }
                }
                let now = ContinuousClock.now
                var expired: [Waiting] = []
                let stop = state.withLockedValue { state -> Bool in
                    for (descriptor, waiting) in state.waiting where waiting.deadline <= now {
                        expired.append(waiting)
                        state.waiting[descriptor] = nil
                    }
                    if !state.waiting.isEmpty {
                        idleSince = nil
                    } else if let since = idleSince, now - since >= Self.linger {
                        Self.closeDescriptors(&state)
                        return true
                    } else if idleSince == nil {
                        idleSince = now
                    }
                    (epoll, wake) = (state.epoll, state.wake)
                    timeout = Self.planWait(&state, idleSince)
                    return false
                }
                for waiting in expired {
                    let error = waiting.connection.connection.expire(after: waiting.replies.count, of: waiting.expected)
                    handBack(waiting, .finished(.failure(error)))
                }
                if stop { return }
            }
        }

        /// Reads what arrived for the call waiting on `descriptor` and resumes it when its replies are all in or
        /// its connection failed. Bytes for a socket without a call are noted for the caller that registers next.
        private func receive(on descriptor: Int32, scratch: UnsafeMutableRawBufferPointer) {
            let taken = state.withLockedValue { state -> Waiting? in
                guard let waiting = state.waiting.removeValue(forKey: descriptor) else {
                    // The reply beat its call's registration, or a late one for a call that timed out (whose broken
                    // connection is dropped; a new connection on the same descriptor then reads nothing).
                    state.readableWithoutCall.insert(descriptor)
                    return nil
                }
                return waiting
            }
            guard var waiting = taken else { return }
            let outcome = Result { () throws(RedisError) in
                try waiting.connection.connection.receiveWithoutWaiting(
                    into: &waiting.replies, expected: waiting.expected, scratch: scratch)
            }
            switch outcome {
            case .success(true):
                handBack(waiting, .finished(.success(waiting.replies)))
            case .success(false):
                // Edge-triggered: the next bytes bring the next event.
                state.withLockedValue { $0.waiting[descriptor] = waiting }
            case .failure(let error):
                handBack(waiting, .finished(.failure(error)))
            }
        }

        /// Resumes a call whose connection this thread used last. The continuation orders that use before the
        /// caller's next, but when it is resumed before its task has suspended, the hand-over is an atomic inside
        /// the Swift runtime that ThreadSanitizer can't see; passing through the loop's mutex too (the caller takes
        /// it once it is resumed) makes the order visible.
        private func handBack(_ waiting: Waiting, _ outcome: Outcome) {
            state.withLockedValue { _ in }
            waiting.continuation.resume(returning: outcome)
        }

        /// Ends every waiting call with `error` and the loop with them (the epoll set failed, which a valid
        /// descriptor never does); the next call starts a new loop.
        private func failAll(_ error: RedisError) {
            let all = state.withLockedValue { state -> [Waiting] in
                defer {
                    state.waiting.removeAll()
                    Self.closeDescriptors(&state)
                }
                return Array(state.waiting.values)
            }
            for waiting in all {
                waiting.connection.connection.isBroken = true
                handBack(waiting, .finished(.failure(error)))
            }
        }

        private static func openDescriptors(_ state: inout State) -> RedisError? {
            let epoll = tally_epoll_create()
            guard epoll >= 0 else { return systemError("epoll_create1") }
            let wake = tally_epoll_add_wake_descriptor(epoll)
            guard wake >= 0 else {
                let error = systemError("eventfd")
                close(epoll)
                return error
            }
            (state.epoll, state.wake) = (epoll, wake)
            state.generation += 1
            return nil
        }

        private static func closeDescriptors(_ state: inout State) {
            close(state.wake)
            close(state.epoll)
            (state.epoll, state.wake) = (-1, -1)
            state.readableWithoutCall.removeAll()
            state.running = false
            state.wakesAt = nil
        }

        /// Milliseconds until the nearest deadline (rounded up, so the loop never wakes just before it), or until
        /// the linger ends when nothing is owed; notes when that is.
        private static func planWait(_ state: inout State, _ idleSince: ContinuousClock.Instant?) -> Int32 {
            let now = ContinuousClock.now
            let until = state.waiting.values.lazy.map(\.deadline).min() ?? ((idleSince ?? now) + linger)
            state.wakesAt = until
            let nanoseconds = max(0, (until - now).inNanoseconds)
            return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
        }

        private static func systemError(_ call: String) -> RedisError {
            RedisError(code: .io, message: "\(call) failed: \(String(cString: strerror(tally_errno())))")
        }
    }
#endif
