import Foundation
import Hiredis
import InternalEvents
import TallyServiceLifecycle
import TallyTestSupport
import Testing

/// Buffered mode against real servers: exact totals under concurrency, outages and restarts; a bounded buffer.
@Suite(
    "Buffered tracking",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct BufferedTrackingTests {
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    init() throws {
        // Unique users make the buffer grow with every new user.
        folder = try DefinitionFolder.clicksWithUniqueUsers()
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func sink(
        _ redis: RedisConfiguration, prefix: String,
        configuration: BufferedRedisCounterSink.Configuration = .init(flushInterval: .milliseconds(50))
    )
        -> BufferedRedisCounterSink
    {
        BufferedRedisCounterSink(
            redis: redis, planner: CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix)),
            configuration: configuration)
    }

    func counts(
        _ redis: RedisConfiguration, prefix: String
    ) async throws -> (total: Int64?, weekly: Int64?, users: Int64) {
        let connection = try await AsyncRedisConnection.connect(configuration: redis)
        let replies = try await connection.pipeline([
            .get(prefix + "{event_counters}_click"), .get(prefix + "{event_counters}_click-2025-07"),
            .pfcount([prefix + "{hll_counters}_click-user-2025-07"]),
        ])
        return (try replies[0].optionalIntegerString(), try replies[1].optionalIntegerString(), try replies[2].int())
    }

    /// 16 tasks × `perTask` events, user ids distinct across all of them.
    func trackConcurrently(
        _ tracker: Tracker, perTask: Int, pause: (@Sendable () async throws -> Void)? = nil
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for index in 0..<perTask {
                        try await tracker.trackStrictly("click", user: UserID(Int64(task * perTask + index + 1)))
                        if index % 1000 == 999 { await Task.yield() }
                    }
                }
            }
            if let pause { group.addTask { try await pause() } }
            try await group.waitForAll()
        }
    }

    @Test func sixteenTasksTenThousandEventsEach() async throws {
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix("buffered")
        let sink = sink(server.configuration(), prefix: prefix)
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        try await trackConcurrently(tracker, perTask: 10_000)
        await sink.shutdown()
        let (total, weekly, users) = try await counts(server.configuration(), prefix: prefix)
        #expect(total == 160_000)
        #expect(weekly == 160_000)
        #expect(abs(Double(users) - 160_000) / 160_000 < 0.02, "HLL estimate \(users) within 2 %")
        let statistics = sink.statistics
        #expect(statistics.buffered == 160_000)
        #expect(statistics.dropped == 0)
        #expect(statistics.bufferedBytes == 0)
        #expect(statistics.flushLag == 0)
    }

    @Test func directModeUnderConcurrencyToo() async throws {
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix("direct")
        // 16 tasks share 8 connections: a task may wait for one longer than the 5 s default on a slow machine (under
        // ThreadSanitizer, say); the test is about counts, not waiting times.
        let pool = RedisConnectionPool(
            redis: server.configuration(), configuration: .init(maximumConnections: 8, waitTimeout: .seconds(120)))
        defer { pool.close() }
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix))
        let tracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)], clock: clock
        )
        try await trackConcurrently(tracker, perTask: 500)
        let (total, weekly, users) = try await counts(server.configuration(), prefix: prefix)
        #expect(total == 8_000 && weekly == 8_000)
        #expect(abs(Double(users) - 8_000) / 8_000 < 0.02)
    }

    /// Fault scenario 1 (RELIABILITY.md): 1,000,000 events from 8 tasks while Redis is killed and restarted (AOF on,
    /// so what was flushed before survives): every event is counted once Redis is back.
    @Test func redisKilledAndRestartedDuringAMillionEvents() async throws {
        let server = try await RedisServer.start(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        defer { server.stop() }
        let redis = server.configuration(commandTimeout: .milliseconds(500))
        let sink = sink(redis, prefix: "")
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        let longest = Locked(Duration.zero)
        try await TestEnvironment.withRunning([sink.service]) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var slowest = Duration.zero
                        for index in 0..<125_000 {
                            let start = ContinuousClock.now
                            try await tracker.trackStrictly("click", user: UserID(Int64(task * 125_000 + index + 1)))
                            slowest = max(slowest, .now - start)
                            if index % 1000 == 999 { await Task.yield() }
                        }
                        longest.withLock { $0 = max($0, slowest) }
                    }
                }
                group.addTask {
                    // Mid-run by count, not by time.
                    while sink.statistics.buffered < 100_000 { try await Task.sleep(for: .milliseconds(2)) }
                    server.kill()
                    try await Task.sleep(for: .seconds(2))
                    // Down until a flush has failed against it (on a slow machine the first attempt can come later
                    // than 2 s), so the restart is always seen.
                    let deadline = ContinuousClock.now + .seconds(120)
                    while sink.statistics.flushFailures == 0 && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    try await server.relaunch()
                }
                try await group.waitForAll()
            }
        }
        await sink.shutdown()
        let (total, weekly, users) = try await counts(redis, prefix: "")
        let statistics = sink.statistics
        print(
            "RELIABILITY scenario=1 sent=1000000 counted=\(total ?? 0) weekly=\(weekly ?? 0) unique_estimate=\(users) dropped=\(statistics.dropped) flush_failures=\(statistics.flushFailures) longest_track_us=\(Int(longest.withLock { $0 }.inSeconds * 1e6))"
        )
        #expect(total == 1_000_000)
        #expect(weekly == 1_000_000)
        #expect(abs(Double(users) - 1_000_000) / 1_000_000 < 0.02)
        #expect(statistics.dropped == 0)
        #expect(statistics.flushFailures > 0, "the restart was seen")
    }

    /// Fault scenario 2 (RELIABILITY.md): Redis stopped (SIGSTOP) for 10 s. Buffered `track` keeps returning while it
    /// is stopped; a direct-mode `track` fails (command timeout) before Redis is resumed, so nothing waits on Redis;
    /// afterwards the counters hold every buffered event.
    @Test func redisStoppedForTenSeconds() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let redis = server.configuration(commandTimeout: .milliseconds(500))
        let sink = sink(redis, prefix: "")
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        let pool = RedisConnectionPool(redis: redis, configuration: .init(maximumConnections: 2))
        defer { pool.close() }
        let directTracker = Tracker(
            catalog: catalog,
            sinks: [
                DirectRedisCounterSink(
                    redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: "d:")))
            ], clock: clock)
        try await directTracker.trackStrictly("click", user: 1)  // a connection, warmed up before the outage

        let stop = Locked(false)
        let tracked = Locked(0)
        let longest = Locked(Duration.zero)
        var duringOutage = 0
        var directFailures: [String] = []
        var directLongest = Duration.zero
        try await TestEnvironment.withRunning([sink.service]) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var index = 0
                        var slowest = Duration.zero
                        while !stop.withLock({ $0 }) {
                            let start = ContinuousClock.now
                            // 50,000 users per task: the buffer holds each once, whatever the run's length.
                            try await tracker.trackStrictly(
                                "click", user: UserID(Int64(task * 50_000 + index % 50_000 + 1)))
                            slowest = max(slowest, .now - start)
                            index += 1
                            tracked.withLock { $0 += 1 }
                            if index % 100 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                        }
                        longest.withLock { $0 = max($0, slowest) }
                    }
                }
                while tracked.withLock({ $0 }) < 10_000 { try await Task.sleep(for: .milliseconds(2)) }
                server.pause()
                let atPause = tracked.withLock { $0 }
                for user in 2...4 {
                    let start = ContinuousClock.now
                    do {
                        try await directTracker.trackStrictly("click", user: UserID(Int64(user)))
                        directFailures.append("no error")
                    } catch let error as TrackingError {
                        directFailures.append(error.code.description)
                    }
                    directLongest = max(directLongest, .now - start)
                }
                try await Task.sleep(for: .seconds(10))
                duringOutage = tracked.withLock { $0 } - atPause
                server.resume()
                // Tracking goes on after the resume, then stops; the sink's shutdown flushes the rest.
                while tracked.withLock({ $0 }) < atPause + duringOutage + 10_000 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                stop.withLock { $0 = true }
                try await group.waitForAll()
            }
        }
        await sink.shutdown()
        let events = tracked.withLock { $0 }
        let (total, _, _) = try await counts(redis, prefix: "")
        print(
            "RELIABILITY scenario=2 sent=\(events) counted=\(total ?? 0) during_outage=\(duringOutage) dropped=\(sink.statistics.dropped) longest_buffered_track_us=\(Int(longest.withLock { $0 }.inSeconds * 1e6)) direct_failures=\(directFailures) longest_direct_track_ms=\(Int(directLongest.inSeconds * 1e3))"
        )
        #expect(duringOutage > 0, "buffered track went on while Redis was stopped")
        #expect(
            directFailures == ["sink failed", "sink failed", "sink failed"], "direct mode failed, before the resume")
        #expect(total == Int64(events), "every buffered event counted after the outage")
        #expect(sink.statistics.dropped == 0)
        #expect(directTracker.statistics.sinkFailures == 3)
        try await directTracker.trackStrictly("click", user: 5)  // and direct mode works again
    }

    @Test func aFullBufferDropsAndCounts() async throws {
        let server = try await RedisServer.start()
        let redis = server.configuration(commandTimeout: .milliseconds(200))
        await server.stopAndWait()  // nothing listens: every flush fails
        let sink = sink(
            redis, prefix: "", configuration: .init(flushInterval: .milliseconds(20), maximumBufferedBytes: 20_000))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        for user in 1...2_000 {
            tracker.track("click", user: UserID(Int64(user)))
        }
        let statistics = sink.statistics
        #expect(statistics.buffered + statistics.dropped == 2_000)
        #expect(statistics.dropped > 1_000, "\(statistics)")
        #expect(statistics.bufferedBytes <= 20_000)
        #expect(tracker.statistics.accepted == 2_000, "a dropped event is the sink's loss, not the app's error")
        let event = try tracker.validate("click", user: 9_999, project: nil, namespace: nil, properties: [:])
        #expect(sink.recordNow(event) == false)
        await sink.shutdown()
        #expect(sink.recordNow(event) == false, "a stopped sink drops")
    }
}
