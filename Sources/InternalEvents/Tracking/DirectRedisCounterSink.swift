import Hiredis
import Logging

/// Direct mode: every event's writes go to Redis in one pipeline, nothing is added up in memory.
///
/// GitLab sends the same writes one command per round trip (3–4 for a bare event); here it is always one.
/// - `record` (`Tracker.trackStrictly`) sends the pipeline and returns when Redis has answered.
/// - `enqueue` (`Tracker.track`) never waits: the event joins a bounded queue that `run()` sends, one pipeline per
///   event, up to the pool's connection count at once; a connection sends a run of queued events from its own
///   thread, so a busy queue costs one round trip per event and no thread hand-off each. Beyond
///   `maximumQueuedEvents` events are dropped and counted.
///
/// **Lifecycle:** the init starts nothing; `run()` (a `BackgroundService`) sends the queue until
/// `requestShutdown()` (graceful shutdown) or cancellation, then what is still queued, and returns. A sink that
/// was never run keeps what `enqueue` gave it (bounded) and warns.
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

    /// Where the writes go: one server's pool, or a cluster client.
    public let redis: any RedisClient
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
        redis: any RedisClient, planner: CounterWritePlanner, maximumQueuedEvents: Int = 10_000,
        logger: Logger = Logger(label: "tally.direct")
    ) {
        self.redis = redis
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

    /// Most events one connection sends in a row before its slice of the queue is done.
    static let eventsPerSlice = 256

    /// Sends the queued events: the queue is cut into slices, at most the client's `maximumConcurrentCalls` at
    /// once. On one server each slice runs on one pooled connection's own thread, one pipeline (one round trip) per
    /// event, so events don't pay a thread hand-off each; on a cluster each event's writes go through the client. An event's outcome is its own: a refused or failed event doesn't stop the others.
    private func sendQueued() async {
        let events = state.withLockedValue { state -> [TrackedEvent] in
            defer { state.queue.removeAll(keepingCapacity: true) }
            return state.queue
        }
        if events.isEmpty { return }
        let concurrency = max(1, redis.maximumConcurrentCalls)
        let sliceSize = min(Self.eventsPerSlice, max(1, (events.count + concurrency - 1) / concurrency))
        let slices = stride(from: 0, to: events.count, by: sliceSize).map {
            Array(events[$0..<min($0 + sliceSize, events.count)])
        }
        await withTaskGroup(of: SliceOutcome.self) { group in
            var running = 0
            var total = SliceOutcome()
            for slice in slices {
                if running == concurrency, let outcome = await group.next() {
                    running -= 1
                    total.add(outcome)
                }
                group.addTask { await self.send(slice) }
                running += 1
            }
            for await outcome in group { total.add(outcome) }
            if let error = total.firstError {
                logger.error(
                    "counter writes failed", metadata: ["events": "\(total.failed)", "first_error": "\(error)"])
            }
            state.withLockedValue { state in
                state.statistics.stored += total.stored
                state.statistics.failed += total.failed
            }
        }
    }

    /// What one slice's sending came to.
    private struct SliceOutcome: Sendable {
        var stored = 0
        var failed = 0
        var firstError: RedisError?

        mutating func add(_ other: SliceOutcome) {
            stored += other.stored
            failed += other.failed
            if firstError == nil { firstError = other.firstError }
        }
    }

    /// Sends a slice's events, one pipeline each: on one pooled connection's thread for a server, through the
    /// client for a cluster.
    private func send(_ slice: [TrackedEvent]) async -> SliceOutcome {
        let planner = planner
        guard let pool = redis as? RedisConnectionPool else {
            var outcome = SliceOutcome()
            for event in slice {
                do throws(RedisError) {
                    try await RedisCounterCommands.send(planner.writes(for: event), on: redis)
                    outcome.stored += 1
                } catch {
                    outcome.failed += 1
                    if outcome.firstError == nil { outcome.firstError = error }
                }
            }
            return outcome
        }
        do throws(RedisError) {
            return try await pool.withConnection { connection in
                var outcome = SliceOutcome()
                for event in slice {
                    do throws(RedisError) {
                        try RedisCounterCommands.send(planner.writes(for: event), on: connection)
                        outcome.stored += 1
                    } catch {
                        outcome.failed += 1
                        if outcome.firstError == nil { outcome.firstError = error }
                    }
                }
                return outcome
            }
        } catch {
            return SliceOutcome(stored: 0, failed: slice.count, firstError: error)
        }
    }

    private func store(_ event: TrackedEvent) async throws(RedisError) {
        try await RedisCounterCommands.send(planner.writes(for: event), on: redis)
    }
}
