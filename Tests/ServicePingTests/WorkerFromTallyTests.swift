import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

/// The worker inside an app: built from the app's `Tally`, it shares its definitions, pool and key prefix.
@Suite(
    "Worker from Tally",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct WorkerFromTallyTests {
    @Test func aWorkerBuiltFromTallyStoresAPingOfTheAppsCounters() async throws {
        let folder = try DefinitionFolder.clicksWithUniqueUsers()
        try folder.write(
            "metrics/total.yml",
            DefinitionFolder.metric("counts.clicks", timeFrame: "all", events: "- name: click"))
        let directory = try TestEnvironment.makeTemporaryDirectory("worker-from-tally")
        let prefix = TestEnvironment.uniqueKeyPrefix()
        let tally = try Tally(
            configuration: .init(
                redisURL: try await RedisServer.shared().url, definitions: [folder.url.path], keyPrefix: prefix,
                counting: .direct, databaseURL: "sqlite://\(directory.path)/app.sqlite"))
        defer { tally.redis.close() }
        try await tally.tracker.trackStrictly("click", user: 1)
        try await tally.tracker.trackStrictly("click", user: 2)
        var settings = ServicePingWorker.Configuration()
        settings.maximumJitter = .zero
        let worker = try await ServicePingWorker(tally: tally, settings: settings)
        guard case .stored = await worker.runOnce() else {
            Issue.record("the ping was not stored")
            return
        }
        let payload = try #require(try await RawUsageDataStore.newestPayload(in: worker.database))
        #expect(payload.contains(#""clicks":2"#), "\(payload.prefix(300))")
        #expect(
            try await tally.redis.send(.exists([prefix + InstanceIdentity.key])).int() == 1,
            "the uuid lives under the app's prefix")
    }
}
