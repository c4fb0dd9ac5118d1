import Hiredis
import Logging

/// Direct mode: every event's writes go to Redis in one pipeline, nothing is added up in memory.
///
/// GitLab sends the same writes one command per round trip (3–4 for a bare event); here it is always one.
/// - `record` (`Tracker.trackStrictly`) sends the pipeline and returns when Redis has answered.
/// - `enqueue` (`Tracker.track`) never waits: the event joins a bounded queue that `run()` sends, one pipeline per
///   event, up to the pool's connection count at once. Beyond `maximumQueuedEvents` events are dropped and counted.
///
/// **Lifecycle:** the init starts nothing; `run()` (a `BackgroundService`) sends the queue until
/// `requestShutdown()` (graceful shutdown) or cancellation, then what is still queued, and returns. A sink that was never run keeps what `enqueue` gave it (bounded) and warns.
public final class DirectRedisCounterSink: EventSink, BackgroundService {
    /// What the sink has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Events whose writes Redis confirmed.
        public var stored: Int
        /// Events whose writes failed (Redis unreachable or refusing): logged, not retried.
        public var failed: Int
        /// Events dropped because the queue was full or the sink had stopped.
        public var dropped: Int
        /// Events waiting in the queue.
        public var queued: Int
    }

    public let pool: RedisConnectionPool
    public let planner: CounterWritePlanner
    /// Most events `enqueue` holds before dropping.
    public let maximumQueuedEvents: Int
    private let logger: Logger
    private let state = LockedValueBox(State())
    private let wakeup = WakeupSignal()

    private struct State {
        var queue: [TrackedEvent] = []
        var running = false
        var stopping = false
        var warnedNotRunning = false
        var statistics = Statistics(stored: 0, failed: 0, dropped: 0, queued: 0)
    }

    public init(
        pool: RedisConnectionPool, planner: CounterWritePlanner, maximumQueuedEvents: Int = 10_000,
        logger: Logger = Logger(label: "tally.direct")
    ) {
        self.pool = pool
        self.planner = planner
        self.maximumQueuedEvents = max(1, maximumQueuedEvents)
        self.logger = logger
    }

    public var statistics: Statistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.queued = state.queue.count
            return statistics
        }
    }

    /// Sends the event's writes in one pipeline and returns when Redis answered.
    /// - Throws: `RedisError` when Redis can't be reached or refused a write.
    public func record(_ event: TrackedEvent) async throws {
        try await store(event)
    }

    public func enqueue(_ event: TrackedEvent) {
        let (accepted, warn) = state.withLockedValue { state -> (Bool, Bool) in
            guard !state.stopping, state.queue.count < maximumQueuedEvents else {
                state.statistics.dropped += 1
                return (false, false)
            }
            state.queue.append(event)
            let warn = !state.running && !state.warnedNotRunning
            if warn { state.warnedNotRunning = true }
            return (true, warn)
        }
        if accepted { wakeup.signal() }
        if warn {
            logger.warning(
                "events are queued but the direct counter sink is not running: add it to your ServiceGroup")
        }
    }

    /// Sends what is queued now and returns when Redis answered it all.
    public func flush() async {
        await sendQueued()
    }

    /// Sends the queue as events arrive, until `requestShutdown()` or cancellation; then what is left.
    public func run() async throws {
        state.withLockedValue { $0.running = true }
        while !Task.isCancelled && !state.withLockedValue({ $0.stopping }) {
            await sendQueued()
            await wakeup.wait(upTo: .seconds(1))
        }
        state.withLockedValue { $0.stopping = true }
        if Task.isCancelled {
            // As the buffered sink: the last send runs even when run() was cancelled, awaited before run() returns.
            await Task { await self.sendQueued() }.value
        } else {
            await sendQueued()
        }
        state.withLockedValue { $0.running = false }
    }

    /// Ends `run()`'s loop: it sends what is still queued and returns. Returns at once.
    public func requestShutdown() {
        state.withLockedValue { $0.stopping = true }
        wakeup.signal()
    }

    /// Sends the queued events, at most the pool's connection count at once.
    private func sendQueued() async {
        let events = state.withLockedValue { state -> [TrackedEvent] in
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
        if events.isEmpty { return }
        let concurrency = pool.configuration.maximumConnections
        await withTaskGroup(of: Bool.self) { group in
            var running = 0
            var stored = 0
            var failed = 0
            for event in events {
                if running == concurrency, let outcome = await group.next() {
                    running -= 1
                    if outcome { stored += 1 } else { failed += 1 }
                }
                group.addTask {
                    do {
                        try await self.store(event)
                        return true
                    } catch {
                        self.logger.error(
                            "counter writes failed", metadata: ["event": "\(event.name)", "error": "\(error)"])
                        return false
                    }
                }
                running += 1
            }
            for await outcome in group {
                if outcome { stored += 1 } else { failed += 1 }
            }
            state.withLockedValue { state in
                state.statistics.stored += stored
                state.statistics.failed += failed
            }
        }
    }

    private func store(_ event: TrackedEvent) async throws(RedisError) {
        try await RedisCounterCommands.send(planner.writes(for: event), on: pool)
    }
}
