import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// A final flush that can't reach Redis after every attempt gives up what it holds: logged and counted in
/// `statistics.abandonedWrites`, so an operator can tell from the numbers what a stop with Redis down cost.
@Suite(
    "Writes abandoned at shutdown",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct AbandonedWritesTests {
    @Test func aFinalFlushWithRedisGoneCountsWhatItGaveUp() async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let server = try await RedisServer.start()
        let redis = server.configuration(commandTimeout: .milliseconds(500))
        await server.stopAndWait()
        let log = LogCapture()
        let sink = BufferedRedisCounterSink(
            redis: redis, planner: CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme()),
            logger: log.logger("buffer"))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: FixedWallClock(TestEnvironment.day("2025-02-12")))
        for user in 1...4 { tracker.track("click", user: UserID(Int64(user))) }
        await sink.shutdown()
        let statistics = sink.statistics
        // Three counters: the all-time total, the weekly total, the weekly unique users (4 members, one write).
        #expect(statistics.abandonedWrites == 3, "\(statistics)")
        #expect(statistics.flushFailures == 1 + BufferedRedisCounterSink.finalFlushAttempts, "\(statistics)")
        #expect(log.text.contains("counter writes dropped") && log.text.contains("writes=3"), "\(log.text)")
        #expect(statistics.bufferedBytes == 0, "nothing is held after giving up")
    }
}
