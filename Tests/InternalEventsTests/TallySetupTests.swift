import Foundation
import Hiredis
import InternalEvents
import TallyServiceLifecycle
import TallyTestSupport
import Testing

/// `Tally(configuration:)`: one value gives the tracker and the services, sharing one pool and one key prefix.
@Suite(
    "Tally setup",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct TallySetupTests {
    @Test func oneConfigurationGivesATrackerAndServicesThatFlushAtShutdown() async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let server = try await RedisServer.shared()
        let prefix = TestEnvironment.uniqueKeyPrefix()
        let tally = try Tally(
            configuration: .init(redisURL: server.url, definitions: [folder.url.path], keyPrefix: prefix),
            clock: FixedWallClock(TestEnvironment.day("2025-02-12")))
        #expect(tally.services.count == 1)
        #expect(tally.counters is BufferedRedisCounterSink)
        try await TestEnvironment.withRunning(tally.services) {
            tally.tracker.track("click", user: 42)
            tally.tracker.track("click", user: 43)
            tally.tracker.track("unknown_event", user: 1)
        }
        let replies = try await tally.redis.pipeline([
            .get(prefix + "{event_counters}_click"), .pfcount([prefix + "{hll_counters}_click-user-2025-07"]),
        ])
        #expect(try replies[0].optionalIntegerString() == 2)
        #expect(try replies[1].int() == 2)
        #expect(tally.tracker.statistics == (accepted: 2, rejected: 1, sinkFailures: 0))
        tally.redis.close()
    }

    @Test func directCountingIsAServiceToo() throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        let tally = try Tally(
            configuration: .init(definitions: [folder.url.path], counting: .direct))
        #expect(tally.counters is DirectRedisCounterSink)
        #expect(tally.services.count == 1)
    }

    @Test func badSettingsNameWhatIsWrong() throws {
        let folder = try DefinitionFolder()
        try folder.write("events/bad.yml", "action: Not-Valid\n")
        #expect(throws: DefinitionLoadError.self) {
            try Tally(configuration: .init(definitions: [folder.url.path]))
        }
        let good = try DefinitionFolder.clicksWithUniqueUsers()
        #expect(throws: RedisError.self) {
            try Tally(configuration: .init(redisURL: "http://nope", definitions: [good.url.path]))
        }
    }

    @Test func theEnvironmentSetsWhatTheCommandLineSets() throws {
        let configuration = try TallyConfiguration.environment([
            "TALLY_REDIS_URL": "redis://10.0.0.1:6380/2", "TALLY_DEFINITIONS": "a:b", "TALLY_KEY_PREFIX": "app:",
            "TALLY_COUNTING": "direct", "TALLY_DATABASE_URL": "postgres://u@h/db",
            "TALLY_COLLECTOR_URL": "https://collector.example.com", "TALLY_SUBMIT": "1",
        ])
        #expect(configuration.redisURL == "redis://10.0.0.1:6380/2")
        #expect(configuration.definitions == ["a", "b"])
        #expect(configuration.keyPrefix == "app:")
        #expect(configuration.counting == .direct)
        #expect(configuration.databaseURL == "postgres://u@h/db")
        #expect(configuration.collectorURL == "https://collector.example.com")
        #expect(configuration.submitsServicePing)
        #expect(try TallyConfiguration.environment([:]) == TallyConfiguration())
        #expect {
            try TallyConfiguration.environment(["TALLY_COUNTING": "sometimes"])
        } throws: { error in
            "\(error)" == "TALLY_COUNTING: expected buffered or direct, found sometimes"
        }
    }
}
