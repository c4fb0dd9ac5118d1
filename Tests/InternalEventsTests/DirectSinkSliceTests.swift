import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// The direct sink sends a run of queued events from one connection, one pipeline per event: an event Redis refuses
/// is that event's failure only; the events after it in the same run are still sent.
@Suite(
    "Direct sink runs of events",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct DirectSinkSliceTests {
    @Test func aRefusedEventFailsAloneInItsRun() async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix()
        let pool = RedisConnectionPool(redis: server.configuration(), configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let sink = DirectRedisCounterSink(
            redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix)))
        // Week 2025-07's unique-users key holds a string, so PFADD is refused (WRONGTYPE) for that week's events.
        let refusedWeek = Tracker(
            catalog: catalog, sinks: [sink], clock: FixedWallClock(TestEnvironment.day("2025-02-12")))
        let goodWeek = Tracker(
            catalog: catalog, sinks: [sink], clock: FixedWallClock(TestEnvironment.day("2025-02-19")))
        _ = try await pool.send(.set(prefix + "{hll_counters}_click-user-2025-07", "not a HyperLogLog")).checked()
        for user in 1...10 {
            refusedWeek.track("click", user: UserID(Int64(user)))
            goodWeek.track("click", user: UserID(Int64(user)))
        }
        #expect(sink.statistics.queued == 20, "queued before run(): sent as one run on the one connection")
        sink.requestShutdown()
        try await sink.run()
        let statistics = sink.statistics
        #expect(statistics.stored == 10 && statistics.failed == 10, "\(statistics)")
        let replies = try await pool.pipeline([
            .get(prefix + "{event_counters}_click-2025-08"), .pfcount([prefix + "{hll_counters}_click-user-2025-08"]),
        ])
        #expect(try replies[0].optionalIntegerString() == 10)
        #expect(try replies[1].int() == 10)
    }
}
