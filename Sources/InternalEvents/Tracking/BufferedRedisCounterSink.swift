import Dispatch
import Foundation
import Hiredis
import Logging
import Metrics

/// Buffered mode, the default for servers: `enqueue` adds the event's writes to an in-memory aggregate and returns
/// in microseconds; `run()` sends the aggregate to Redis every `flushInterval`, or sooner when it grows past
/// `flushThresholdBytes`.
///
/// **Nothing promised is lost, nothing is counted twice.** Each flush goes out in chunks; a chunk is one Lua script
/// that first sets the chunk's marker key (`SET … NX`) and applies the writes only if it could, so the check and the
/// write are one atomic step: a chunk retried after a lost answer, or an abandoned request the server runs late,
/// is applied exactly once. Chunks that failed are kept and retried. While Redis is unreachable the buffer grows up
/// to `maximumBufferedBytes`; events beyond it are dropped and counted, never thrown into the app.
///
/// **Lifecycle:** the init starts nothing. Run the sink as a `BackgroundService` (in the app's `ServiceGroup`
/// through `TallyServiceLifecycle`'s `sink.service`): `run()` flushes until `requestShutdown()` (graceful shutdown)
/// or cancellation, then flushes one last time and returns.
/// A sink that is never run holds its events in memory (bounded) and says so: a warning when the first event
/// arrives, `statistics.isRunning`, and an error at deinit naming what was never stored. `flush()` and
/// `shutdown()` work with or without `run()`.
///
/// **Threads:** `enqueue` only takes a short lock. A flush sends its chunks one after another through the client,
/// whose blocking I/O runs on its connections' own threads, never on Swift's cooperative pool; `run()`'s loop only
/// waits there.
///
/// **On a Redis Cluster** a chunk holds the writes of one slot only, and its marker is tagged into that slot, so the
/// script runs on the node that owns every key it touches (GitLab's key names put each kind of counter in one slot,
/// so a flush is a few chunks). Where a master (a cluster's, or Sentinel's) has replicas, a chunk counts as flushed
/// once a replica
/// acknowledged it (`WAIT`, up to `replicaAcknowledgementTimeout`): a master killed right after a chunk can't take
/// it along, since its promoted replica has it, or lacks its marker too and so takes the retry.
public final class BufferedRedisCounterSink: EventSink, BackgroundService {
    /// Buffering limits.
    public struct Configuration: Sendable, Hashable {
        /// How often the aggregate is flushed.
        public var flushInterval: Duration
        /// Flush early when the aggregate holds about this many bytes.
        public var flushThresholdBytes: Int
        /// Most bytes held (new aggregate plus chunks waiting for a retry); events beyond it are dropped.
        public var maximumBufferedBytes: Int
        /// Writes per chunk (one script run).
        public var writesPerTransaction: Int
        /// On a cluster or behind Sentinel, how long a chunk waits for a replica of its master to acknowledge it
        /// (`WAIT`). A chunk not
        /// acknowledged by then still counts as flushed (`statistics.unreplicatedChunks`), and the rest of that
        /// flush doesn't wait, so a replica that is down slows flushing by at most this per flush. Zero: never wait.
        public var replicaAcknowledgementTimeout: Duration

        public init(
            flushInterval: Duration = .seconds(1), flushThresholdBytes: Int = 4 << 20,
            maximumBufferedBytes: Int = 64 << 20,
            writesPerTransaction: Int = 2_000, replicaAcknowledgementTimeout: Duration = .seconds(1)
        ) {
            self.flushInterval = flushInterval
            self.flushThresholdBytes = flushThresholdBytes
            self.maximumBufferedBytes = maximumBufferedBytes
            self.writesPerTransaction = writesPerTransaction
            self.replicaAcknowledgementTimeout = replicaAcknowledgementTimeout
        }
    }

    /// What the sink has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Events accepted into the buffer.
        public var buffered: Int
        /// Events dropped because the buffer was full or the sink had stopped.
        public var dropped: Int
        /// Counter writes Redis confirmed.
        public var flushedWrites: Int
        /// Flush attempts that failed (Redis unreachable, refused, timed out).
        public var flushFailures: Int
        /// Bytes held now (aggregate plus chunks waiting for a retry).
        public var bufferedBytes: Int
        /// Age of the oldest event not yet in Redis, in seconds (0 when everything is flushed).
        public var flushLag: Double
        /// Whether `run()` is running (false before it started and after it returned).
        public var isRunning: Bool
        /// Events accepted while `run()` was not running (before it started, or with no service running it).
        public var bufferedWhileNotRunning: Int
        /// Counter writes given up when the final flush could not reach Redis after every attempt (logged too).
        public var abandonedWrites: Int = 0
        /// Chunks applied on a cluster master whose replicas did not acknowledge them in time (or that didn't wait,
        /// after one such chunk in the same flush): a failover right then could lose them.
        public var unreplicatedChunks: Int = 0
    }

    /// Where the flushes go: one server's pool, or a cluster client.
    public let redis: any RedisClient
    public let planner: CounterWritePlanner
    public let configuration: Configuration
    private let logger: Logger
    private let state = LockedValueBox(State())
    private let wakeup = WakeupSignal()
    /// One flush cycle at a time: the loop's, `flush()`'s and `shutdown()`'s.
    private let cycles = SerialGate()
    private let flusher: Flusher
    private let metrics = SinkMetrics()

    private enum Lifecycle {
        case idle
        case running
        case finished
    }

    private struct State {
        var aggregate = CounterAggregate()
        var oldestUnflushed: ContinuousClock.Instant?
        var pendingBytes = 0
        var wakeRequested = false
        var lifecycle = Lifecycle.idle
        var stopRequested = false
        var warnedNotRunning = false
        var stopping = false
        /// Set for the last attempt of the final flush: a failure then drops what is left.
        var abandonsOnFailure = false
        var stopped = false
        var statistics = Statistics(
            buffered: 0, dropped: 0, flushedWrites: 0, flushFailures: 0, bufferedBytes: 0, flushLag: 0,
            isRunning: false, bufferedWhileNotRunning: 0)
    }

    /// Creates the sink over the app's Redis client (shared with the rest of the app's Tally). Nothing starts until
    /// `run()` (or a `flush()`).
    public init(
        redis: any RedisClient, planner: CounterWritePlanner, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "tally.buffer")
    ) {
        self.redis = redis
        self.planner = planner
        self.configuration = configuration
        self.logger = logger
        self.flusher = Flusher(planner: planner, configuration: configuration, logger: logger)
    }

    /// Creates the sink with a pool of one connection of its own.
    public convenience init(
        redis: RedisConfiguration, planner: CounterWritePlanner, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "tally.buffer")
    ) {
        self.init(
            redis: RedisConnectionPool(redis: redis, configuration: .init(maximumConnections: 1)), planner: planner,
            configuration: configuration, logger: logger)
    }

    deinit {
        let (unflushed, bytes) = state.withLockedValue { (!$0.aggregate.isEmpty, $0.aggregate.bytes) }
        if unflushed || flusher.pendingWrites > 0 {
            logger.error(
                "counter sink released with counters never stored in Redis: run it in a ServiceGroup or call shutdown()",
                metadata: ["unflushed_buffer_bytes": "\(bytes)", "pending_writes": "\(flusher.pendingWrites)"])
        }
    }

    // MARK: Recording

    public func enqueue(_ event: TrackedEvent) {
        recordNow(event)
    }

    /// Adds an event to the buffer without suspending; returns `false` if it was dropped because the buffer is full
    /// or the sink has stopped.
    @discardableResult
    public func recordNow(_ event: TrackedEvent) -> Bool {
        let rules = planner.plannedRules(for: event)
        let cost = CounterAggregate.worstCaseBytes(of: event, rules: rules.count)
        let weekMonday = ISOWeek.mondayDay(containing: event.timestamp)
        let (accepted, wake, warn) = state.withLockedValue { state -> (Bool, Bool, Bool) in
            // Once stopping, nothing new is taken: the final flush must be final.
            if state.stopping || state.aggregate.bytes + state.pendingBytes + cost > configuration.maximumBufferedBytes
            {
                state.statistics.dropped += 1
                return (false, false, false)
            }
            state.aggregate.add(event, rules: rules, weekMonday: weekMonday)
            state.statistics.buffered += 1
            var warn = false
            if state.lifecycle != .running {
                state.statistics.bufferedWhileNotRunning += 1
                warn = !state.warnedNotRunning
                state.warnedNotRunning = true
            }
            if state.oldestUnflushed == nil { state.oldestUnflushed = .now }
            if state.aggregate.bytes >= configuration.flushThresholdBytes && !state.wakeRequested {
                state.wakeRequested = true
                return (true, true, warn)
            }
            return (true, false, warn)
        }
        if accepted { metrics.buffered.increment() } else { metrics.dropped.increment() }
        if wake { wakeup.signal() }
        if warn {
            logger.warning(
                "counters are buffered but the sink is not running: add it to your ServiceGroup (or call flush()); until then they stay in memory, up to maximumBufferedBytes"
            )
        }
        return accepted
    }

    // MARK: Flushing and shutdown

    /// Sends everything buffered so far and returns when that attempt ended (data of a failed attempt stays
    /// buffered and is retried). Works whether or not `run()` is running.
    public func flush() async {
        _ = await runCycle()
    }

    /// Flushes, then stops taking events: later ones are dropped and counted. A final flush that fails is tried
    /// again (`finalFlushAttempts` in all, 100 ms apart, doubling), since a busy or restarting Redis often answers a
    /// moment later; what still can't reach Redis then is dropped and logged. `run()` does this itself when it ends.
    public func shutdown() async {
        _ = await runCycle()
        state.withLockedValue { $0.stopping = true }
        var pause = Duration.milliseconds(100)
        for attempt in 1...Self.finalFlushAttempts {
            let last = attempt == Self.finalFlushAttempts
            state.withLockedValue { $0.abandonsOnFailure = last }
            if await runCycle() || last { return }
            // Not Task.sleep: the final flush also runs for a cancelled run(), where that would return at once.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(pause.inNanoseconds))) {
                    continuation.resume()
                }
            }
            pause *= 2
        }
    }

    /// Attempts of the final flush before what is left is dropped.
    public static let finalFlushAttempts = 5

    /// Flushes every `flushInterval` (sooner past `flushThresholdBytes`) until `requestShutdown()` or cancellation,
    /// then flushes a last time and returns. After a failed flush it waits longer, doubling up to 2 s, so an outage
    /// is not a busy loop. Running the same sink twice is an error, logged and returned.
    public func run() async throws {
        let starts = state.withLockedValue { state -> Bool in
            guard state.lifecycle == .idle else { return false }
            state.lifecycle = .running
            return true
        }
        guard starts else {
            logger.error("BufferedRedisCounterSink.run() called on a sink that already ran; ignoring")
            return
        }
        await flushLoop()
        if Task.isCancelled {
            // The last flush must run even when run() was cancelled (the pool refuses cancelled callers), so it
            // runs in a task of its own that run() awaits: nothing outlives run().
            await Task { await self.shutdown() }.value
        } else {
            await shutdown()
        }
        state.withLockedValue { state in
            state.lifecycle = .finished
        }
    }

    /// Ends `run()`'s loop: it flushes a last time and returns. Returns at once.
    public func requestShutdown() {
        state.withLockedValue { $0.stopRequested = true }
        wakeup.signal()
    }

    private func flushLoop() async {
        var delay = configuration.flushInterval
        while !Task.isCancelled && !state.withLockedValue({ $0.stopRequested }) {
            await wakeup.wait(upTo: delay)
            if Task.isCancelled || state.withLockedValue({ $0.stopRequested }) { return }
            if await runCycle() {
                delay = configuration.flushInterval
            } else {
                delay = min(max(delay * 2, configuration.flushInterval, .milliseconds(50)), .seconds(2))
            }
        }
    }

    /// One flush cycle; returns whether it succeeded.
    private func runCycle() async -> Bool {
        await cycles.run {
            if state.withLockedValue({ $0.stopped }) { return true }
            return await flusher.cycle(sink: self, redis: redis)
        }
    }

    public var statistics: Statistics {
        state.withLockedValue { state in
            var statistics = state.statistics
            statistics.bufferedBytes = state.aggregate.bytes + state.pendingBytes
            statistics.flushLag = state.oldestUnflushed.map { (.now - $0).inSeconds } ?? 0
            statistics.isRunning = state.lifecycle == .running
            return statistics
        }
    }

    // MARK: The flush side

    /// Takes the aggregate for a flush.
    fileprivate func takeAggregate() -> (CounterAggregate, oldest: ContinuousClock.Instant?) {
        state.withLockedValue { state in
            let taken = state.aggregate
            state.pendingBytes += taken.bytes
            state.aggregate = CounterAggregate()
            state.wakeRequested = false
            let oldest = state.oldestUnflushed
            state.oldestUnflushed = nil
            return (taken, oldest)
        }
    }

    /// Records the outcome of a flush cycle.
    fileprivate func finishCycle(
        flushedWrites: Int, failures: Int, unreplicatedChunks: Int, pendingBytes: Int,
        oldestPending: ContinuousClock.Instant?
    ) {
        state.withLockedValue { state in
            state.statistics.flushedWrites += flushedWrites
            state.statistics.unreplicatedChunks += unreplicatedChunks
            state.statistics.flushFailures += failures
            state.pendingBytes = pendingBytes
            if let oldestPending, state.oldestUnflushed.map({ oldestPending < $0 }) ?? true {
                state.oldestUnflushed = oldestPending
            }
            if state.stopping && pendingBytes == 0 && state.aggregate.isEmpty { state.stopped = true }
        }
        metrics.flushedWrites.increment(by: flushedWrites)
        if failures > 0 { metrics.flushFailures.increment(by: failures) }
        metrics.lag.record(statistics.flushLag)
    }

    /// On the final flush's last attempt, a flush that can't reach Redis gives up: what is left is dropped and logged, both the writes
    /// waiting for a retry and the buffer not yet cut into writes.
    fileprivate func abandonIfStopping(pendingWrites: Int) -> Bool {
        let (abandon, unsentBytes, unsentWrites) = state.withLockedValue { state -> (Bool, Int, Int) in
            guard state.stopping && state.abandonsOnFailure else { return (false, 0, 0) }
            state.stopped = true
            let unsent = (state.aggregate.bytes, state.aggregate.counterCount)
            state.aggregate = CounterAggregate()
            state.statistics.abandonedWrites += pendingWrites + unsent.1
            return (true, unsent.0, unsent.1)
        }
        if abandon && (pendingWrites > 0 || unsentBytes > 0) {
            metrics.abandonedWrites.increment(by: pendingWrites + unsentWrites)
            logger.error(
                "stopping with Redis unreachable: counter writes dropped",
                metadata: [
                    "writes": "\(pendingWrites + unsentWrites)", "unflushed_buffer_bytes": "\(unsentBytes)",
                ])
        }
        return abandon
    }
}

/// The flush side: owns the chunks waiting for a retry.
///
/// `@unchecked Sendable`: its mutable state is touched by one flush cycle at a time (the sink's `SerialGate` orders
/// them, and its lock makes each cycle's writes visible to the next), and read once more in the sink's deinit,
/// when no cycle can run any more.
private final class Flusher: @unchecked Sendable {
    struct Chunk {
        var writes: [CounterWrite]
        var bytes: Int
        var marker: String
        /// An attempt broke without an answer: the request may still run later, so the marker is kept (a week)
        /// instead of being deleted once an answer arrives.
        var outcomeUnknown = false
        var oldest: ContinuousClock.Instant?
    }

    let planner: CounterWritePlanner
    let configuration: BufferedRedisCounterSink.Configuration
    let logger: Logger
    var pending: [Chunk] = []

    init(planner: CounterWritePlanner, configuration: BufferedRedisCounterSink.Configuration, logger: Logger) {
        self.planner = planner
        self.configuration = configuration
        self.logger = logger
    }

    var pendingWrites: Int { pending.reduce(0) { $0 + $1.writes.count } }

    /// Most command arguments in one chunk: a script run of this size takes milliseconds, well within any
    /// command timeout, however many unique members a long outage gathered.
    static let argumentsPerChunk = 20_000
    /// Most members of one unique write.
    static let membersPerWrite = 5_000

    /// The writes with every unique write of more than `membersPerWrite` members cut into several.
    static func bounded(_ writes: [CounterWrite]) -> [CounterWrite] {
        var result: [CounterWrite] = []
        result.reserveCapacity(writes.count)
        for write in writes {
            guard case .addUnique(let key, let members) = write, members.count > membersPerWrite else {
                result.append(write)
                continue
            }
            for start in stride(from: 0, to: members.count, by: membersPerWrite) {
                result.append(
                    .addUnique(key: key, members: Array(members[start..<min(start + membersPerWrite, members.count)])))
            }
        }
        return result
    }

    /// One flush: chunks of an earlier failed flush first; only when they are all in does the aggregate become new
    /// chunks. So during an outage new events keep adding up in the aggregate, one entry per counter and member,
    /// and the memory an outage costs grows with what is distinct, not with the number of flush attempts.
    func cycle(sink: BufferedRedisCounterSink, redis: any RedisClient) async -> Bool {
        var flushed = 0
        var failures = 0
        unreplicated = 0
        waitsForReplicas = Self.waitsForReplicas(redis, configuration)
        defer { if failures == 0 { reportRecovery() } }
        if await sendPending(redis, flushed: &flushed, failures: &failures) {
            let (aggregate, oldest) = sink.takeAggregate()
            if !aggregate.isEmpty {
                let writes = Self.bounded(aggregate.writes(planner: planner))
                var done = 0
                for group in redis.isCluster ? Self.groupedBySlot(writes) : [(nil, writes)] {
                    for (start, end) in chunkBounds(group.writes) {
                        // The chunks share the bytes the buffer's bound already counted for the aggregate, so
                        // turning the aggregate into chunks never moves the total past the bound.
                        let bytes =
                            aggregate.bytes * (done + end) / writes.count - aggregate.bytes * (done + start)
                            / writes.count
                        pending.append(
                            Chunk(
                                writes: Array(group.writes[start..<end]), bytes: bytes,
                                marker: newMarker(slot: group.slot), oldest: oldest))
                    }
                    done += group.writes.count
                }
            }
            _ = await sendPending(redis, flushed: &flushed, failures: &failures)
        }
        return finish(sink: sink, flushed: flushed, failures: failures)
    }

    /// Where the chunks of `writes` end: at `writesPerTransaction` writes or `argumentsPerChunk` arguments,
    /// whichever comes first, so that one script run stays short however many members the aggregate gathered.
    private func chunkBounds(_ writes: [CounterWrite]) -> [(Int, Int)] {
        var bounds: [(Int, Int)] = []
        var start = 0
        var arguments = 0
        for (index, write) in writes.enumerated() {
            let size = write.argumentCount
            if index > start
                && (index - start == configuration.writesPerTransaction || arguments + size > Self.argumentsPerChunk)
            {
                bounds.append((start, index))
                start = index
                arguments = 0
            }
            arguments += size
        }
        bounds.append((start, writes.count))
        return bounds
    }

    /// The writes by their key's cluster slot, each group in the writes' order, the groups by slot.
    static func groupedBySlot(_ writes: [CounterWrite]) -> [(slot: RedisClusterSlot?, writes: [CounterWrite])] {
        var groups: [RedisClusterSlot: [CounterWrite]] = [:]
        for write in writes { groups[RedisClusterSlot(key: write.key), default: []].append(write) }
        return groups.sorted { $0.key < $1.key }.map { (slot: $0.key, writes: $0.value) }
    }

    private func finish(sink: BufferedRedisCounterSink, flushed: Int, failures: Int) -> Bool {
        // A failed last attempt gives up both the chunks waiting for a retry and the aggregate not yet cut into
        // chunks (a cycle whose retried chunks failed never cut it).
        if failures > 0 && sink.abandonIfStopping(pendingWrites: pendingWrites) {
            pending.removeAll()
        }
        sink.finishCycle(
            flushedWrites: flushed, failures: failures, unreplicatedChunks: unreplicated,
            pendingBytes: pending.reduce(0) { $0 + $1.bytes }, oldestPending: pending.compactMap(\.oldest).min())
        return failures == 0
    }

    /// Sends pending chunks in order until one fails; returns whether none is left.
    private func sendPending(_ redis: any RedisClient, flushed: inout Int, failures: inout Int) async -> Bool {
        while let chunk = pending.first {
            do {
                try await send(chunk, on: redis)
                flushed += chunk.writes.count
                pending.removeFirst()
            } catch {
                failures += 1
                reportFailure(error)
                if error.breaksConnection { pending[0].outcomeUnknown = true }
                return false
            }
        }
        return true
    }

    /// Whether chunks sent through `redis` wait for a replica's acknowledgement at all.
    static func waitsForReplicas(
        _ redis: any RedisClient, _ configuration: BufferedRedisCounterSink.Configuration
    ) -> Bool {
        redis.waitsForReplicas && configuration.replicaAcknowledgementTimeout > .zero
    }

    /// Whether this cycle's chunks still wait for a replica's acknowledgement (until one isn't acknowledged).
    private var waitsForReplicas = false
    /// Chunks of this cycle not acknowledged by a replica.
    private var unreplicated = 0
    /// When a chunk not acknowledged by a replica was last logged.
    private var lastUnreplicatedLog: ContinuousClock.Instant?

    /// Counts a chunk no replica acknowledged; the rest of the cycle stops waiting. Logged at most once a minute.
    private func noteUnreplicated(_ chunk: Chunk) {
        unreplicated += 1
        waitsForReplicas = false
        let now = ContinuousClock.now
        if let last = lastUnreplicatedLog, now - last < .seconds(60) { return }
        lastUnreplicatedLog = now
        logger.warning(
            "no replica acknowledged a flushed chunk in time; a failover of its master now could lose it",
            metadata: [
                "writes": "\(chunk.writes.count)",
                "timeout": "\(configuration.replicaAcknowledgementTimeout)",
            ])
    }

    /// When the current outage began, and when it was last logged.
    private var outage: (since: ContinuousClock.Instant, lastLogged: ContinuousClock.Instant, attempts: Int)?

    /// Logs the first failure of an outage at once, then once a minute, so a long outage doesn't flood the log.
    private func reportFailure(_ error: RedisError) {
        let now = ContinuousClock.now
        guard var current = outage else {
            outage = (now, now, 1)
            logger.warning("flush failed; keeping the counters and retrying", metadata: ["error": "\(error)"])
            return
        }
        current.attempts += 1
        if now - current.lastLogged >= .seconds(60) {
            current.lastLogged = now
            logger.warning(
                "flush still failing; keeping the counters and retrying",
                metadata: ["error": "\(error)", "attempts": "\(current.attempts)", "since": "\(now - current.since)"])
        }
        outage = current
    }

    private func reportRecovery() {
        guard let current = outage else { return }
        outage = nil
        logger.notice(
            "flushing again after an outage",
            metadata: ["attempts": "\(current.attempts)", "lasted": "\(ContinuousClock.now - current.since)"])
    }

    /// A new chunk's marker key; on a cluster it carries a hash tag of the chunk's slot, so the script's keys share
    /// one node.
    private func newMarker(slot: RedisClusterSlot?) -> String {
        let tag = slot.map { "{\($0.hashTag)}:" } ?? ""
        return planner.scheme.prefix + "tally:flush:" + tag + UUID().uuidString
    }

    /// Sends one chunk as one script run: the marker and the writes in one atomic step (`FlushChunkScript`).
    ///
    /// The marker lives a week, so even a request the server runs long after its answer was lost finds it. Once
    /// an answer arrives for a chunk that was never in doubt, the marker is deleted, so markers don't pile up. A
    /// chunk Redis refuses for good (a script error, not a state like `-READONLY` or `-OOM` that passes) is logged
    /// and dropped rather than blocking every later chunk; writes refused inside the script (a key of another
    /// type) are logged.
    ///
    /// On a cluster the script declares every key it writes, not only the marker: while its slot migrates, Redis
    /// then runs it only on a node holding all of them (else `-ASK` or `-TRYAGAIN`, retried), so a counter is never
    /// created on the importing node while its value is still on the other.
    private func send(_ chunk: Chunk, on redis: any RedisClient) async throws(RedisError) {
        let keys: [any RedisArgumentConvertible] =
            redis.isCluster ? [chunk.marker] + FlushChunkScript.writtenKeys(of: chunk.writes) : [chunk.marker]
        let arguments = FlushChunkScript.arguments(for: chunk.writes)
        let reply: RedisReply
        if waitsForReplicas {
            let outcome = try await redis.evaluate(
                FlushChunkScript.script, keys: keys, arguments: arguments,
                replicaTimeout: configuration.replicaAcknowledgementTimeout)
            reply = outcome.reply
            if outcome.replicated == false, case .array = reply { noteUnreplicated(chunk) }
        } else {
            reply = try await redis.evaluate(FlushChunkScript.script, keys: keys, arguments: arguments)
            if Self.waitsForReplicas(redis, configuration), case .array = reply {
                unreplicated += 1
            }
        }
        switch reply {
        case .array(let results):
            if !chunk.outcomeUnknown { _ = try? await redis.send(.del([chunk.marker])) }
            for case .error(let message) in results.dropFirst() {
                logger.error("Redis refused a counter write", metadata: ["error": "\(message)"])
            }
        case .error(let message):
            let error = RedisError(serverReply: message)
            if error.isTransient { throw error }
            logger.error(
                "Redis refused a chunk of counter writes for good; dropping it",
                metadata: ["error": "\(message)", "writes": "\(chunk.writes.count)"])
        default:
            throw RedisError(code: .unexpectedReply, message: "the flush script answered \(reply)")
        }
    }
}

/// The sink's swift-metrics instruments.
private struct SinkMetrics: Sendable {
    let buffered = Counter(label: "tally_buffer_events_total", dimensions: [("result", "buffered")])
    let dropped = Counter(label: "tally_buffer_events_total", dimensions: [("result", "dropped")])
    let flushedWrites = Counter(label: "tally_buffer_flushed_writes_total")
    let flushFailures = Counter(label: "tally_buffer_flush_failures_total")
    let abandonedWrites = Counter(label: "tally_buffer_abandoned_writes_total")
    let lag = Gauge(label: "tally_buffer_flush_lag_seconds")
}
