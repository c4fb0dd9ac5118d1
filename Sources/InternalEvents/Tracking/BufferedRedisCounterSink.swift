import Dispatch
import Foundation
import Hiredis
import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Buffered mode, the default for servers: `record` adds the event's writes to an in-memory aggregate and returns in
/// microseconds; a background thread sends the aggregate to Redis every `flushInterval`, or sooner when it grows
/// past `flushThresholdBytes`.
///
/// **Nothing promised is lost, nothing is counted twice.** Each flush goes out in `MULTI`/`EXEC` chunks that also
/// set a marker key; when a connection breaks before the answer arrives, the marker tells after reconnecting
/// whether the chunk was applied. Chunks that failed are kept and retried. While Redis is unreachable the buffer
/// grows up to `maximumBufferedBytes`; events beyond it are dropped and counted, never thrown into the app.
///
/// **Threads:** `record` only takes a short lock. Redis I/O happens on the sink's own thread, never on Swift's
/// cooperative pool. Run the sink as a swift-service-lifecycle `Service` (or call `shutdown()`) so that the last
/// events are flushed when the app stops.
public final class BufferedRedisCounterSink: EventSink, Service {
    /// Buffering limits.
    public struct Configuration: Sendable, Hashable {
        /// How often the aggregate is flushed.
        public var flushInterval: Duration
        /// Flush early when the aggregate holds about this many bytes.
        public var flushThresholdBytes: Int
        /// Most bytes held (new aggregate plus chunks waiting for a retry); events beyond it are dropped.
        public var maximumBufferedBytes: Int
        /// Writes per `MULTI`/`EXEC` chunk.
        public var writesPerTransaction: Int

        public init(
            flushInterval: Duration = .seconds(1), flushThresholdBytes: Int = 4 << 20,
            maximumBufferedBytes: Int = 64 << 20,
            writesPerTransaction: Int = 2_000
        ) {
            self.flushInterval = flushInterval
            self.flushThresholdBytes = flushThresholdBytes
            self.maximumBufferedBytes = maximumBufferedBytes
            self.writesPerTransaction = writesPerTransaction
        }
    }

    /// What the sink has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Events accepted into the buffer.
        public var buffered: Int
        /// Events dropped because the buffer was full.
        public var dropped: Int
        /// Counter writes Redis confirmed.
        public var flushedWrites: Int
        /// Flush attempts that failed (Redis unreachable, refused, timed out).
        public var flushFailures: Int
        /// Bytes held now (aggregate plus chunks waiting for a retry).
        public var bufferedBytes: Int
        /// Age of the oldest event not yet in Redis, in seconds (0 when everything is flushed).
        public var flushLag: Double
    }

    public let redis: RedisConfiguration
    public let planner: CounterWritePlanner
    public let configuration: Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let wakeup = DispatchSemaphore(value: 0)
    private let metrics = SinkMetrics()

    private struct State {
        var aggregate = CounterAggregate()
        var oldestUnflushed: ContinuousClock.Instant?
        var pendingBytes = 0
        var wakeRequested = false
        var requestedGeneration = 0
        var completedGeneration = 0
        var waiters: [(generation: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var stopping = false
        var stopped = false
        var statistics = Statistics(
            buffered: 0, dropped: 0, flushedWrites: 0, flushFailures: 0, bufferedBytes: 0, flushLag: 0)
    }

    /// Creates the sink and starts its flush thread.
    public init(
        redis: RedisConfiguration, planner: CounterWritePlanner, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "tally.buffer")
    ) {
        self.redis = redis
        self.planner = planner
        self.configuration = configuration
        self.logger = logger
        let flusher = Flusher(sink: self)
        let thread = Thread { flusher.run() }
        thread.name = "tally.buffer.flush"
        thread.start()
    }

    // MARK: Recording

    public func record(_ event: TrackedEvent) async throws {
        recordNow(event)
    }

    /// Adds an event to the buffer without suspending; returns `false` if it was dropped because the buffer is full.
    @discardableResult
    public func recordNow(_ event: TrackedEvent) -> Bool {
        let rules = planner.plannedRules(for: event.name)
        let cost = CounterAggregate.worstCaseBytes(of: event, rules: rules.count)
        let weekMonday = ISOWeek.mondayDay(containing: event.timestamp)
        let (accepted, wake) = state.withLockedValue { state -> (Bool, Bool) in
            // Once stopping, nothing new is taken: the final flush must be final.
            if state.stopping || state.aggregate.bytes + state.pendingBytes + cost > configuration.maximumBufferedBytes
            {
                state.statistics.dropped += 1
                return (false, false)
            }
            state.aggregate.add(event, rules: rules, weekMonday: weekMonday)
            state.statistics.buffered += 1
            if state.oldestUnflushed == nil { state.oldestUnflushed = .now }
            if state.aggregate.bytes >= configuration.flushThresholdBytes && !state.wakeRequested {
                state.wakeRequested = true
                return (true, true)
            }
            return (true, false)
        }
        if accepted { metrics.buffered.increment() } else { metrics.dropped.increment() }
        if wake { wakeup.signal() }
        return accepted
    }

    // MARK: Flushing and shutdown

    /// Sends everything buffered so far and returns when that attempt ended (data of a failed attempt stays
    /// buffered and is retried).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { state -> Bool in
                if state.stopped { return true }
                state.requestedGeneration += 1
                state.waiters.append((state.requestedGeneration, continuation))
                return false
            }
            if resumeNow { continuation.resume() } else { wakeup.signal() }
        }
    }

    /// Flushes, then stops the flush thread. Later events are dropped and counted.
    public func shutdown() async {
        await flush()
        state.withLockedValue { $0.stopping = true }
        await flush()
    }

    /// Runs until graceful shutdown, then flushes and stops (swift-service-lifecycle).
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public var statistics: Statistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.bufferedBytes = state.aggregate.bytes + state.pendingBytes
            statistics.flushLag = state.oldestUnflushed.map { (.now - $0).inSeconds } ?? 0
            return statistics
        }
    }

    // MARK: The flush thread's side

    fileprivate func waitForWork() -> Bool {
        let nanoseconds = Int(configuration.flushInterval.inNanoseconds)
        _ = wakeup.wait(timeout: .now() + .nanoseconds(nanoseconds))
        return state.withLockedValue { !$0.stopped }
    }

    /// Takes the aggregate for a flush; returns the generation of flush requests it answers.
    fileprivate func takeAggregate() -> (CounterAggregate, generation: Int, oldest: ContinuousClock.Instant?) {
        state.withLockedValue { state in
            let taken = state.aggregate
            state.pendingBytes += taken.bytes
            state.aggregate = CounterAggregate()
            state.wakeRequested = false
            let oldest = state.oldestUnflushed
            state.oldestUnflushed = nil
            return (taken, state.requestedGeneration, oldest)
        }
    }

    /// Waits `delay` after a failed flush; wakes early only to stop or for an explicit `flush()`.
    fileprivate func pauseAfterFailure(_ delay: Duration) {
        let deadline =
            DispatchTime.now() + .nanoseconds(Int(delay.inNanoseconds))
        while DispatchTime.now() < deadline {
            _ = wakeup.wait(timeout: deadline)
            if state.withLockedValue({ $0.stopping || !$0.waiters.isEmpty }) { return }
        }
    }

    /// The generation of flush requests a cycle answers when it leaves the aggregate where it is.
    fileprivate func takeGeneration() -> Int {
        state.withLockedValue { state in
            state.wakeRequested = false
            return state.requestedGeneration
        }
    }

    /// Records the outcome of a flush cycle and wakes the `flush()` callers it answers.
    fileprivate func finishCycle(
        generation: Int, flushedWrites: Int, failures: Int, pendingBytes: Int, oldestPending: ContinuousClock.Instant?
    ) {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.statistics.flushedWrites += flushedWrites
            state.statistics.flushFailures += failures
            state.pendingBytes = pendingBytes
            if let oldestPending, state.oldestUnflushed.map({ oldestPending < $0 }) ?? true {
                state.oldestUnflushed = oldestPending
            }
            state.completedGeneration = max(state.completedGeneration, generation)
            if state.stopping && pendingBytes == 0 && state.aggregate.isEmpty { state.stopped = true }
            let done = state.waiters.filter { $0.generation <= generation || state.stopped }
            state.waiters.removeAll { $0.generation <= generation || state.stopped }
            return done.map(\.continuation)
        }
        metrics.flushedWrites.increment(by: flushedWrites)
        if failures > 0 { metrics.flushFailures.increment(by: failures) }
        metrics.lag.record(statistics.flushLag)
        for continuation in ready { continuation.resume() }
    }

    /// Once stopping, a flush that can't reach Redis gives up: what is left is dropped and logged.
    /// What is dropped is logged: the writes waiting for a retry and the buffer not yet cut into writes.
    fileprivate func abandonIfStopping(pendingWrites: Int) -> Bool {
        let (abandon, unsentBytes) = state.withLockedValue { state -> (Bool, Int) in
            guard state.stopping else { return (false, 0) }
            state.stopped = true
            return (true, state.aggregate.bytes)
        }
        if abandon && (pendingWrites > 0 || unsentBytes > 0) {
            logger.error(
                "stopping with Redis unreachable: counter writes dropped",
                metadata: ["writes": "\(pendingWrites)", "unflushed_buffer_bytes": "\(unsentBytes)"])
        }
        return abandon
    }

    fileprivate var log: Logger { logger }
}

/// The flush thread: owns the Redis connection and the chunks waiting for a retry.
///
/// `@unchecked Sendable`: created on the caller's thread, then used only by the one flush thread it is given to.
private final class Flusher: @unchecked Sendable {
    struct Chunk {
        var writes: [CounterWrite]
        var bytes: Int
        var marker: String
        /// A previous attempt broke without an answer: the marker says whether it was applied.
        var outcomeUnknown = false
        var oldest: ContinuousClock.Instant?
    }

    let sink: BufferedRedisCounterSink
    var connection: RedisConnection?
    var pending: [Chunk] = []

    init(sink: BufferedRedisCounterSink) {
        self.sink = sink
    }

    /// Flushes until the sink stops; the stopping flush itself runs as the last cycle. After a failed cycle it
    /// waits before the next one (doubling from the flush interval up to 2 s), so an outage is not a busy loop.
    func run() {
        var delay = Duration.zero
        while sink.waitForWork() {
            if cycle() {
                delay = .zero
            } else {
                delay = min(max(delay * 2, sink.configuration.flushInterval, .milliseconds(50)), .seconds(2))
                sink.pauseAfterFailure(delay)
            }
        }
    }

    /// One flush: chunks of an earlier failed flush first; only when they are all in does the aggregate become new
    /// chunks. So during an outage new events keep adding up in the aggregate, one entry per counter and member,
    /// and the memory an outage costs grows with what is distinct, not with the number of flush attempts.
    @discardableResult
    func cycle() -> Bool {
        var flushed = 0
        var failures = 0
        defer { if failures == 0 { reportRecovery() } }
        let generation: Int
        if sendPending(flushed: &flushed, failures: &failures) {
            let (aggregate, taken, oldest) = sink.takeAggregate()
            generation = taken
            if !aggregate.isEmpty {
                let writes = aggregate.writes(planner: sink.planner)
                let size = sink.configuration.writesPerTransaction
                for start in stride(from: 0, to: writes.count, by: size) {
                    let end = min(start + size, writes.count)
                    // The chunks share the bytes the buffer's bound already counted for the aggregate, so turning
                    // the aggregate into chunks never moves the total past the bound.
                    let bytes = aggregate.bytes * end / writes.count - aggregate.bytes * start / writes.count
                    pending.append(
                        Chunk(writes: Array(writes[start..<end]), bytes: bytes, marker: newMarker(), oldest: oldest))
                }
            }
            _ = sendPending(flushed: &flushed, failures: &failures)
        } else {
            generation = sink.takeGeneration()
        }
        if !pending.isEmpty && sink.abandonIfStopping(pendingWrites: pending.reduce(0) { $0 + $1.writes.count }) {
            pending.removeAll()
        }
        sink.finishCycle(
            generation: generation, flushedWrites: flushed, failures: failures,
            pendingBytes: pending.reduce(0) { $0 + $1.bytes }, oldestPending: pending.compactMap(\.oldest).min())
        return failures == 0
    }

    /// Sends pending chunks in order until one fails; returns whether none is left.
    private func sendPending(flushed: inout Int, failures: inout Int) -> Bool {
        while let chunk = pending.first {
            do {
                try send(chunk)
                flushed += chunk.writes.count
                pending.removeFirst()
            } catch {
                failures += 1
                reportFailure(error)
                if error.breaksConnection { pending[0].outcomeUnknown = true }
                connection = nil
                return false
            }
        }
        return true
    }

    /// When the current outage began, and when it was last logged.
    private var outage: (since: ContinuousClock.Instant, lastLogged: ContinuousClock.Instant, attempts: Int)?

    /// Logs the first failure of an outage at once, then once a minute, so a long outage doesn't flood the log.
    private func reportFailure(_ error: RedisError) {
        let now = ContinuousClock.now
        guard var current = outage else {
            outage = (now, now, 1)
            sink.log.warning("flush failed; keeping the counters and retrying", metadata: ["error": "\(error)"])
            return
        }
        current.attempts += 1
        if now - current.lastLogged >= .seconds(60) {
            current.lastLogged = now
            sink.log.warning(
                "flush still failing; keeping the counters and retrying",
                metadata: ["error": "\(error)", "attempts": "\(current.attempts)", "since": "\(now - current.since)"])
        }
        outage = current
    }

    private func reportRecovery() {
        guard let current = outage else { return }
        outage = nil
        sink.log.notice(
            "flushing again after an outage",
            metadata: ["attempts": "\(current.attempts)", "lasted": "\(ContinuousClock.now - current.since)"])
    }

    private func newMarker() -> String {
        sink.planner.scheme.prefix + "tally:flush:" + UUID().uuidString
    }

    /// Sends one chunk in `MULTI`/`EXEC` with its marker, unless the marker shows an earlier attempt applied it.
    ///
    /// The marker lives a week, so even a long outage can't make a lost answer count twice, and is deleted as soon
    /// as `EXEC`'s answer arrives, so markers don't pile up. A chunk Redis refuses for good (a command error when
    /// queued, not a state like `-READONLY` or `-OOM` that passes) is logged and dropped rather than blocking every
    /// later chunk.
    private func send(_ chunk: Chunk) throws(RedisError) {
        let connection = try connected()
        if chunk.outcomeUnknown, try connection.send(.exists([chunk.marker])).int() == 1 {
            _ = try? connection.send(.del([chunk.marker]))
            return
        }
        var commands: [RedisCommand] = [.multi]
        for write in chunk.writes { commands += write.commands }
        commands.append(RedisCommand("SET", keys: [chunk.marker], arguments: ["1", "EX", "604800"]))
        commands.append(.exec)
        let replies = try connection.pipeline(commands)
        switch replies[replies.count - 1] {
        case .array(let results):
            _ = try? connection.send(.del([chunk.marker]))
            // Runtime errors inside EXEC (a key of another type) can't be fixed by retrying: report them.
            for case .error(let message) in results {
                sink.log.error("Redis refused a counter write", metadata: ["error": "\(message)"])
            }
        case .error(let message):
            let queued = replies.dropFirst().dropLast().compactMap { reply -> String? in
                if case .error(let text) = reply { return text }
                return nil
            }
            if let permanent = queued.first(where: { !Self.isTransient($0) }) {
                sink.log.error(
                    "Redis refused a chunk of counter writes for good; dropping it",
                    metadata: ["error": "\(permanent)", "writes": "\(chunk.writes.count)"])
                return
            }
            throw RedisError(code: .serverError, message: queued.first ?? message)
        default:
            throw RedisError(code: .unexpectedReply, message: "EXEC answered \(replies[replies.count - 1])")
        }
    }

    /// Refusals that pass with the server's state: a replica promoted, memory freed, a load finished.
    static func isTransient(_ error: String) -> Bool {
        ["READONLY", "OOM", "LOADING", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "NOAUTH"]
            .contains { error.hasPrefix($0) }
    }

    private func connected() throws(RedisError) -> RedisConnection {
        if let connection, connection.checkIdleHealth() { return connection }
        let fresh = try RedisConnection(configuration: sink.redis)
        connection = fresh
        return fresh
    }
}

/// The sink's swift-metrics instruments.
private struct SinkMetrics: Sendable {
    let buffered = Counter(label: "tally_buffer_events_total", dimensions: [("result", "buffered")])
    let dropped = Counter(label: "tally_buffer_events_total", dimensions: [("result", "dropped")])
    let flushedWrites = Counter(label: "tally_buffer_flushed_writes_total")
    let flushFailures = Counter(label: "tally_buffer_flush_failures_total")
    let lag = Gauge(label: "tally_buffer_flush_lag_seconds")
}
