import Foundation
import Hiredis
import InternalEvents
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
        folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("click", identifiers: "[user]"))
        try folder.write(
            "metrics/u.yml",
            DefinitionFolder.metric("m.users", timeFrame: "7d", events: "- name: click\n  unique: user.id"))
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

    func counts(_ redis: RedisConfiguration, prefix: String) throws -> (total: Int64?, weekly: Int64?, users: Int64) {
        let connection = try RedisConnection(configuration: redis)
        let replies = try connection.pipeline([
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
                        try await tracker.track("click", user: UserID(Int64(task * perTask + index + 1)))
                        if index % 1000 == 999 { await Task.yield() }
                    }
                }
            }
            if let pause { group.addTask { try await pause() } }
            try await group.waitForAll()
        }
    }

    @Test func sixteenTasksTenThousandEventsEach() async throws {
        let server = try RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix("buffered")
        let sink = sink(server.configuration(), prefix: prefix)
        let tracker = Tracker(catalog: catalog, sinks: [sink], mode: .strict, clock: clock)
        try await trackConcurrently(tracker, perTask: 10_000)
        await sink.shutdown()
        let (total, weekly, users) = try counts(server.configuration(), prefix: prefix)
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
        let server = try RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix("direct")
        let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 8))
        defer { pool.close() }
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix))
        let tracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(pool: pool, planner: planner)], mode: .strict, clock: clock
        )
        try await trackConcurrently(tracker, perTask: 500)
        let (total, weekly, users) = try counts(server.configuration(), prefix: prefix)
        #expect(total == 8_000 && weekly == 8_000)
        #expect(abs(Double(users) - 8_000) / 8_000 < 0.02)
    }

    /// 80,000 events from 16 tasks while `outage` takes the server away for 5 s and brings it back.
    func trackThrough(
        _ server: RedisServer, outage: @escaping @Sendable () throws -> Void,
        recovery: @escaping @Sendable () throws -> Void
    )
        async throws
    {
        let redis = server.configuration(commandTimeout: .milliseconds(500))
        let sink = sink(redis, prefix: "")
        let tracker = Tracker(catalog: catalog, sinks: [sink], mode: .strict, clock: clock)
        try await trackConcurrently(tracker, perTask: 5_000) {
            // Mid-run by count, not by time: once 10,000 of the 80,000 events are in, whatever the machine's speed.
            while sink.statistics.buffered < 10_000 { try await Task.sleep(for: .milliseconds(2)) }
            try outage()
            try await Task.sleep(for: .seconds(5))
            try recovery()
        }
        await sink.shutdown()
        let (total, weekly, _) = try counts(redis, prefix: "")
        #expect(total == 80_000)
        #expect(weekly == 80_000)
        #expect(sink.statistics.dropped == 0)
        #expect(sink.statistics.flushFailures > 0, "the outage was seen")
    }

    @Test func redisStoppedForFiveSecondsMidRun() async throws {
        let server = try RedisServer.start()
        defer { server.stop() }
        try await trackThrough(server, outage: { server.pause() }, recovery: { server.resume() })
    }

    @Test func redisKilledAndRestartedMidRun() async throws {
        let server = try RedisServer.start(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"])
        defer { server.stop() }
        try await trackThrough(server, outage: { server.kill() }, recovery: { try server.relaunch() })
    }

    @Test func aFullBufferDropsAndCounts() async throws {
        let server = try RedisServer.start()
        let redis = server.configuration(commandTimeout: .milliseconds(200))
        server.stop()  // nothing listens: every flush fails
        let sink = sink(
            redis, prefix: "", configuration: .init(flushInterval: .milliseconds(20), maximumBufferedBytes: 20_000))
        let tracker = Tracker(catalog: catalog, sinks: [sink], mode: .production, clock: clock)
        for user in 1...2_000 {
            try await tracker.track("click", user: UserID(Int64(user)))
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
