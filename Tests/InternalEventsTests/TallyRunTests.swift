import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// `Tally.run()` and `requestShutdown()`: Tally's background work without swift-service-lifecycle (this file doesn't
/// import it), as an app that only counts runs it.
@Suite(
    "Tally run without a ServiceGroup",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct TallyRunTests {
    @Test(arguments: [TallyConfiguration.Counting.buffered(.init(flushInterval: .seconds(3_600))), .direct])
    func requestShutdownStoresTheLastEventsThenRunReturns(counting: TallyConfiguration.Counting) async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix()
        let tally = try Tally(
            configuration: .init(
                redisURL: server.url, definitions: [folder.url.path], keyPrefix: prefix, counting: counting))
        defer { tally.redis.close() }
        let running = Task { try await tally.run() }
        for user in 1...5 { tally.tracker.track("click", user: UserID(Int64(user))) }
        tally.requestShutdown()
        try await running.value
        #expect(try await tally.redis.send(.get(prefix + "{event_counters}_click")).optionalIntegerString() == 5)
        tally.tracker.track("click", user: 6)
        await tally.tracker.flush()
        #expect(
            try await tally.redis.send(.get(prefix + "{event_counters}_click")).optionalIntegerString() == 5,
            "after its last flush the sink takes no more events")
    }

    @Test func aShutdownRequestedBeforeRunStillFlushesWhatWasTracked() async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix()
        let tally = try Tally(
            configuration: .init(redisURL: server.url, definitions: [folder.url.path], keyPrefix: prefix))
        defer { tally.redis.close() }
        tally.tracker.track("click", user: 1)
        tally.requestShutdown()
        try await tally.run()
        #expect(try await tally.redis.send(.get(prefix + "{event_counters}_click")).optionalIntegerString() == 1)
    }
}
