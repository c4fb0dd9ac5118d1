import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

/// A Service Ping over GitLab's whole current CE tree (../shared/compat/gitlab-ce), with Redis only: every metric
/// gets a value or a reason, none stops the ping.
@Suite(
    "Service Ping over GitLab's CE tree",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct GitLabCECorpusPingTests {
    @Test func aPingOverTheWholeTreeCompletes() async throws {
        guard let config = DefinitionFolder.gitLabCECorpus else {
            if TestEnvironment.isCI { Issue.record("GitLab CE corpus not found under CI") }
            return
        }
        let catalog = try DefinitionLoader().load(from: [config])
        let prefix = TestEnvironment.uniqueKeyPrefix("ce-ping")
        let scheme = CounterKeyScheme(prefix: prefix, aliases: catalog.legacyAliases)
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        // One real event in the last complete week before the ping, so some counters aren't zero.
        let pingTime = TestEnvironment.day("2025-02-20").addingTimeInterval(36_000)
        let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(3_600))
        let sink = DirectRedisCounterSink(redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: scheme))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        try await tracker.trackStrictly("create_merge_request", user: 1, project: 2, namespace: 3)

        let builder = ServicePingBuilder(catalog: catalog, redis: pool, scheme: scheme)
        let report = await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "ce-uuid"))
        let reported = catalog.metrics.filter { $0.status.isReported }
        #expect(report.metrics.count == reported.count, "every reported metric has an entry")
        #expect(report.redisRoundTrips == 1)
        // Database metrics need a registered class (the app's own), except those Tally computes itself (uuid,
        // version, …): each either has a value or says why not, and falls back to -1.
        let database = Set(reported.filter { $0.dataSource == .database }.map(\.keyPath))
        let failures = report.metrics.filter { $0.error != nil }
        let databaseFailures = failures.filter { database.contains($0.name) }
        #expect(databaseFailures.count > 100)
        #expect(
            databaseFailures.allSatisfy { $0.error!.contains("instrumentation") }, "\(databaseFailures.prefix(3))")
        for entry in databaseFailures { #expect(report.payload.value(atPath: entry.name) == .integer(-1)) }
        #expect(failures.allSatisfy { $0.error?.isEmpty == false })
        // No internal-events or Redis metric failed.
        let redisBacked = Set(
            reported.filter { [.internalEvents, .redis, .redisHLL].contains($0.dataSource) }.map(\.keyPath))
        let redisFailures = failures.filter { redisBacked.contains($0.name) }
        #expect(redisFailures.isEmpty, "\(redisFailures.prefix(5))")
        // The tracked event reached its GitLab metric.
        let weekly = catalog.metrics.first {
            $0.timeFrame == .sevenDays && $0.events.count == 1 && $0.events[0].name == "create_merge_request"
                && $0.events[0].unique == .userID
        }
        if let weekly {
            #expect(report.payload.value(atPath: weekly.keyPath) == .integer(1), "\(weekly.keyPath)")
        }
    }
}
