import ArgumentParser
import Foundation
import Hiredis
import InternalEvents
import Logging

/// `tally bench track`: GitLab's command pattern vs direct mode vs buffered mode, one process, one server.
struct BenchTrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Events/s of GitLab's write pattern, Tally's direct mode and Tally's buffered mode on one server.",
        discussion: """
            The event is bench_event with an all-time total, a weekly total and a weekly unique-users counter, under the \
            key prefix tally:bench: (deleted before and after). (a) sends GitLab's commands one round trip at a time \
            through the same async pool as (b): INCR, INCR, TTL (EXPIRE when unset), MULTI/PFADD/EXPIRE/EXEC; (a′) \
            sends them on the connection's own thread, without hand-offs. (b) tracks in direct mode as an app does \
            (track() never waits; the sink's run() sends one pipeline per event), timed until every event is stored; \
            (b′) waits for each event (trackStrictly). (c) tracks in buffered mode from one task and measures each \
            call (throughput untimed per call, then the latency of a tenth as many calls, each timed); totals are \
            checked exact after the final flush. (c0) folds the same events into plain Swift \
            dictionaries (keys built once, no validation, no lock): the in-memory floor (c) is compared with.
            """
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "Events for (a) and (b).")
    var roundTripEvents = 20_000

    @Option(help: "Events for (c).")
    var bufferedEvents = 2_000_000

    @Option(help: "Distinct users.")
    var users = 100_000

    @Flag(help: "End with one JSON object on the last line.")
    var json = false

    static let prefix = "tally:bench:"

    func run() async throws {
        // The options as locals: an @Option's getter goes through ArgumentParser's storage, and the loops below
        // would otherwise read `users` on every call they time (3 % of the buffered loop's samples).
        let users = self.users
        let redisConfiguration = try redis.configuration()
        let catalog = try Self.catalog()
        let pool = RedisConnectionPool(redis: redisConfiguration, configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let clock = FixedWallClock(Date())
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: Self.prefix))
        let keys = planner.writes(
            for: TrackedEvent(
                name: "bench_event", user: 1, timestamp: clock.now(), rules: catalog.rules(forEvent: "bench_event"))
        ).map(\.key)
        let quiet = Logger(label: "tally.bench") { _ in SwiftLogNoOpLogHandler() }

        // (a) GitLab's pattern through the same async client as (b); (a′) on the connection's thread.
        _ = try await pool.send(.del(keys))
        let gitLab = try await gitLabPatternThroughPool(pool: pool, keys: keys)
        _ = try await pool.send(.del(keys))
        let gitLabOnThread = try await gitLabPatternOnConnectionThread(pool: pool, keys: keys)

        // (b) Direct mode as an app uses it: track() never waits, the sink's run() sends.
        _ = try await pool.send(.del(keys))
        let directSink = DirectRedisCounterSink(
            redis: pool, planner: planner, maximumQueuedEvents: roundTripEvents, logger: quiet)
        let directTracker = Tracker(catalog: catalog, sinks: [directSink], clock: clock, logger: quiet)
        let directStart = ContinuousClock.now
        let directRun = Task { try await directSink.run() }
        for index in 0..<roundTripEvents {
            directTracker.track("bench_event", user: UserID(Int64(index % users + 1)))
        }
        directSink.requestShutdown()
        try await directRun.value
        let direct = Double(roundTripEvents) / (.now - directStart).inSeconds
        try await expectTotal(pool: pool, key: keys[0], equals: roundTripEvents, mode: "direct")
        guard directSink.statistics.stored == roundTripEvents else {
            throw RedisBenchmarkTool.Failure(description: "direct: \(directSink.statistics)")
        }

        // (b′) Direct mode, waiting for each event.
        _ = try await pool.send(.del(keys))
        let strictTracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)], clock: clock,
            logger: quiet)
        let strictStart = ContinuousClock.now
        for index in 0..<roundTripEvents {
            try await strictTracker.trackStrictly("bench_event", user: UserID(Int64(index % users + 1)))
        }
        let directWaiting = Double(roundTripEvents) / (.now - strictStart).inSeconds
        try await expectTotal(pool: pool, key: keys[0], equals: roundTripEvents, mode: "direct, waiting")

        // (c0) The in-memory floor.
        let floor = Self.foldIntoDictionaries(events: bufferedEvents, users: users, keys: keys)

        // (c) Buffered mode.
        _ = try await pool.send(.del(keys))
        let sink = BufferedRedisCounterSink(redis: redisConfiguration, planner: planner, logger: quiet)
        let bufferedTracker = Tracker(catalog: catalog, sinks: [sink], clock: clock, logger: quiet)
        // Throughput untimed per call, as (c0): reading the clock twice per call would cost more than a call.
        let bufferedStart = ContinuousClock.now
        for index in 0..<bufferedEvents {
            bufferedTracker.track("bench_event", user: UserID(Int64(index % users + 1)))
        }
        let acceptedSeconds = (.now - bufferedStart).inSeconds
        // Then the latency of single calls, each timed, on a tenth as many more events.
        let timedEvents = max(1, bufferedEvents / 10)
        var latencies = [Double](repeating: 0, count: timedEvents)
        for index in 0..<timedEvents {
            let start = ContinuousClock.now
            bufferedTracker.track("bench_event", user: UserID(Int64(index % users + 1)))
            latencies[index] = (.now - start).inSeconds
        }
        await sink.shutdown()
        let drainedSeconds = (.now - bufferedStart).inSeconds
        try await expectTotal(pool: pool, key: keys[0], equals: bufferedEvents + timedEvents, mode: "buffered")
        let statistics = sink.statistics
        latencies.sort()
        _ = try await pool.send(.del(keys))

        let buffered = Double(bufferedEvents) / acceptedSeconds
        let result = Result(
            gitlabPatternEventsPerSec: gitLab, directEventsPerSec: direct,
            bufferedEventsPerSec: buffered,
            bufferedDrainedEventsPerSec: Double(bufferedEvents + timedEvents) / drainedSeconds,
            bufferedP50Us: latencies[latencies.count / 2] * 1e6,
            bufferedP99Us: latencies[latencies.count * 99 / 100] * 1e6,
            bufferedMaxUs: latencies[latencies.count - 1] * 1e6, bufferedDropped: statistics.dropped,
            roundTripEvents: roundTripEvents, bufferedEvents: bufferedEvents, directOverGitlab: direct / gitLab,
            gitlabPatternOnConnectionThreadEventsPerSec: gitLabOnThread,
            directOverGitlabOnConnectionThread: direct / gitLabOnThread, directWaitingEventsPerSec: directWaiting,
            directWaitingOverGitlabOnConnectionThread: directWaiting / gitLabOnThread,
            dictionaryFloorEventsPerSec: floor, bufferedOverDictionaryFloor: buffered / floor)
        print(
            "(a) GitLab's pattern, one command per round trip: \(BenchStatistics.grouped(result.gitlabPatternEventsPerSec)) events/s"
        )
        print(
            "(a′) the same on the connection's thread:          \(BenchStatistics.grouped(result.gitlabPatternOnConnectionThreadEventsPerSec)) events/s"
        )
        print(
            "(b) direct mode, one pipeline per event:          \(BenchStatistics.grouped(result.directEventsPerSec)) events/s (\(String(format: "%.2f", result.directOverGitlabOnConnectionThread))× (a′), goal ≥ 3; \(String(format: "%.2f", result.directOverGitlab))× (a))"
        )
        print(
            "(b′) direct mode, waiting for each event:          \(BenchStatistics.grouped(result.directWaitingEventsPerSec)) events/s (\(String(format: "%.2f", result.directWaitingOverGitlabOnConnectionThread))× (a′))"
        )
        print(
            "(c0) the same events into plain dictionaries:     \(BenchStatistics.grouped(result.dictionaryFloorEventsPerSec)) events/s"
        )
        print(
            "(c) buffered mode: \(BenchStatistics.grouped(result.bufferedEventsPerSec)) events/s accepted (\(String(format: "%.2f", result.bufferedOverDictionaryFloor))× (c0), goal ≥ 0.5), \(BenchStatistics.grouped(result.bufferedDrainedEventsPerSec)) events/s including the final flush; track() p50 \(String(format: "%.2f", result.bufferedP50Us)) µs, p99 \(String(format: "%.2f", result.bufferedP99Us)) µs (goal ≤ 5), max \(String(format: "%.0f", result.bufferedMaxUs)) µs; totals exact, \(statistics.dropped) dropped"
        )
        if json { try result.printJSONLine() }
    }

    /// The same events added up in plain Swift dictionaries, keys built once: no validation, no lock, no bound.
    /// Returns events/s.
    static func foldIntoDictionaries(events: Int, users: Int, keys: [String]) -> Double {
        var totals: [String: Int] = [:]
        var members: [String: Set<Int64>] = [:]
        let start = ContinuousClock.now
        for index in 0..<events {
            totals[keys[0], default: 0] += 1
            totals[keys[1], default: 0] += 1
            members[keys[2], default: []].insert(Int64(index % users + 1))
        }
        let seconds = (.now - start).inSeconds
        // Read back, so the work can't be optimized away.
        precondition(totals[keys[0]] == events && members[keys[2]]?.count == min(events, users))
        return Double(events) / seconds
    }

    /// GitLab's writes for an event with a weekly unique metric, one command per round trip, each through the pool as
    /// an app issues them (GitLab checks a connection out of its pool for each command too).
    private func gitLabPatternThroughPool(pool: RedisConnectionPool, keys: [String]) async throws -> Double {
        let ttl = CounterKeyScheme.weeklyTTLSeconds
        let start = ContinuousClock.now
        for index in 0..<roundTripEvents {
            _ = try await pool.send(.incr(keys[0])).int()
            _ = try await pool.send(.incr(keys[1])).int()
            if try await pool.send(.ttl(keys[1])).int() <= 0 {
                _ = try await pool.send(.expire(keys[1], seconds: ttl))
            }
            _ = try await pool.transaction([
                .pfadd(keys[2], [String(index % users + 1)]), .expire(keys[2], seconds: ttl),
            ])
        }
        return Double(roundTripEvents) / (.now - start).inSeconds
    }

    /// The same commands, all on the connection's own thread: the fastest this pattern can go here.
    private func gitLabPatternOnConnectionThread(pool: RedisConnectionPool, keys: [String]) async throws -> Double {
        let events = roundTripEvents
        let users = users
        return try await pool.withConnection { connection throws(RedisError) in
            let start = ContinuousClock.now
            for index in 0..<events {
                _ = try connection.send(.incr(keys[0])).int()
                _ = try connection.send(.incr(keys[1])).int()
                if try connection.send(.ttl(keys[1])).int() <= 0 {
                    _ = try connection.send(.expire(keys[1], seconds: CounterKeyScheme.weeklyTTLSeconds))
                }
                _ = try connection.transaction([
                    .pfadd(keys[2], [String(index % users + 1)]),
                    .expire(keys[2], seconds: CounterKeyScheme.weeklyTTLSeconds),
                ])
            }
            return Double(events) / (.now - start).inSeconds
        }
    }

    private func expectTotal(pool: RedisConnectionPool, key: String, equals expected: Int, mode: String) async throws {
        let total = try await pool.send(.get(key)).optionalIntegerString()
        guard total == Int64(expected) else {
            throw RedisBenchmarkTool.Failure(
                description: "\(mode): \(key) is \(total.map(String.init) ?? "nil"), expected \(expected)")
        }
    }

    /// The benchmark's own definitions: one event, one weekly unique metric.
    static func catalog() throws -> DefinitionCatalog {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try catalog(writingTo: folder)
    }

    /// Writes the benchmark's definitions (bench_event, its weekly unique-users metric) to `folder` and loads them.
    static func catalog(writingTo folder: URL) throws -> DefinitionCatalog {
        let event = """
            description: Benchmark event
            internal_events: true
            action: bench_event
            identifiers: [user]
            product_group: bench
            milestone: '1.0'
            introduced_by_url: https://example.com/bench
            tiers: [free]
            """
        let metric = """
            key_path: bench.users
            description: Benchmark unique users
            product_group: bench
            value_type: number
            status: active
            milestone: '1.0'
            introduced_by_url: https://example.com/bench
            time_frame: 7d
            data_source: internal_events
            data_category: optional
            events:
            - name: bench_event
              unique: user.id
            tiers: [free]
            """
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("events"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("metrics"), withIntermediateDirectories: true)
        try Data(event.utf8).write(to: folder.appendingPathComponent("events/bench_event.yml"))
        try Data(metric.utf8).write(to: folder.appendingPathComponent("metrics/bench_users.yml"))
        return try DefinitionLoader().load(from: [folder])
    }

    struct Result: BenchResult {
        var benchmark = "track"
        var gitlabPatternEventsPerSec: Double
        var directEventsPerSec: Double
        var bufferedEventsPerSec: Double
        var bufferedDrainedEventsPerSec: Double
        var bufferedP50Us: Double
        var bufferedP99Us: Double
        var bufferedMaxUs: Double
        var bufferedDropped: Int
        var roundTripEvents: Int
        var bufferedEvents: Int
        var directOverGitlab: Double
        var gitlabPatternOnConnectionThreadEventsPerSec: Double
        var directOverGitlabOnConnectionThread: Double
        var directWaitingEventsPerSec: Double
        var directWaitingOverGitlabOnConnectionThread: Double
        var dictionaryFloorEventsPerSec: Double
        var bufferedOverDictionaryFloor: Double
    }
}
