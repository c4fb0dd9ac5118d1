import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

@Suite("Ping schedule")
struct PingScheduleTests {
    @Test func gitLabsFormula() {
        // Expected values computed independently: int(hashlib.sha256(text).hexdigest(), 16) % n.
        #expect(PingSchedule(uuid: "0f1d2c3b-4a59-6877-8695-a4b3c2d1e0f0").description == "27 21 * * 4")
        #expect(PingSchedule(uuid: "uuid-not-set").description == "4 7 * * 4")
    }

    @Test func nextAndPreviousRuns() {
        let schedule = PingSchedule(uuid: "0f1d2c3b-4a59-6877-8695-a4b3c2d1e0f0")  // Thursdays 21:27 UTC
        let monday = TestEnvironment.day("2025-02-17")
        let thursday = TestEnvironment.day("2025-02-20").addingTimeInterval(21 * 3_600 + 27 * 60)
        #expect(schedule.nextRun(after: monday) == thursday)
        #expect(schedule.nextRun(after: thursday) == thursday.addingTimeInterval(7 * 86_400))
        #expect(schedule.nextRun(after: thursday.addingTimeInterval(-1)) == thursday)
        #expect(schedule.previousRun(atOrBefore: thursday) == thursday)
        #expect(schedule.previousRun(atOrBefore: monday) == thursday.addingTimeInterval(-7 * 86_400))
    }
}

/// The worker against a real Redis, an SQLite file and a real HTTP collector, with a pinned clock.
@Suite(
    "Service Ping worker",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct WorkerTests {
    let folder: DefinitionFolder
    let uuid = "0f1d2c3b-4a59-6877-8695-a4b3c2d1e0f0"  // Thursdays 21:27 UTC
    /// Thursday 2025-02-20 22:00: this week's run has passed.
    let afterRun = TestEnvironment.day("2025-02-20").addingTimeInterval(22 * 3_600)

    init() throws {
        folder = try DefinitionFolder()
        try folder.write("events/e.yml", DefinitionFolder.event("test_event"))
        try folder.write("metrics/m.yml", DefinitionFolder.metric("counts.total", timeFrame: "all"))
    }

    func makeWorker(
        clock: FixedWallClock, database: DatabaseConfiguration, prefix: String, collector: String? = nil,
        redis: RedisConfiguration? = nil, lockSeconds: Int? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in }
    ) async throws -> (ServicePingWorker, RedisConnectionPool) {
        let redisConfiguration: RedisConfiguration
        if let redis {
            redisConfiguration = redis
        } else {
            redisConfiguration = try await RedisServer.shared().configuration()
        }
        let pool = RedisConnectionPool(redis: redisConfiguration)
        let builder = ServicePingBuilder(
            catalog: try DefinitionLoader().load(from: [folder.url]), redis: pool, database: database,
            scheme: CounterKeyScheme(prefix: prefix))
        var configuration = ServicePingWorker.Configuration()
        configuration.submissionEnabled = collector != nil
        configuration.collectorURL = collector
        if let lockSeconds { configuration.lockSeconds = lockSeconds }
        let worker = ServicePingWorker(
            builder: builder, database: database, system: SystemInfo(uuid: uuid), configuration: configuration,
            clock: clock,
            sleep: sleep)
        return (worker, pool)
    }

    func sqlite() throws -> DatabaseConfiguration {
        try DatabaseConfiguration(
            url: "sqlite://\(try TestEnvironment.makeTemporaryDirectory("tally-worker").path)/tally.sqlite")
    }

    func rows(_ database: DatabaseConfiguration) async throws -> [RawUsageDataStore.Row] {
        try await AppDatabase.withDatabase(database) { connection in
            let store = RawUsageDataStore(connection)
            try await store.migrate()
            return try await store.all()
        }
    }

    @Test func onePingPerWeek() async throws {
        let database = try sqlite()
        let clock = FixedWallClock(afterRun)
        let (worker, pool) = try await makeWorker(
            clock: clock, database: database, prefix: TestEnvironment.uniqueKeyPrefix("worker"))
        defer { pool.close() }
        #expect(await worker.runOnce() == .stored(recordedAt: afterRun, usageDataID: nil))
        clock.advance(by: 3_600)
        #expect(await worker.runOnce() == .alreadyStored(recordedAt: afterRun))
        clock.advance(by: 7 * 86_400)
        guard case .stored = await worker.runOnce() else {
            Issue.record("next week's ping was not stored")
            return
        }
        #expect(try await rows(database).count == 2)
        #expect(try await rows(database).first?.payload.contains(#""counts":{"total":0}"#) == true)
    }

    @Test func severalWorkersStoreOnePing() async throws {
        let database = try sqlite()
        let prefix = TestEnvironment.uniqueKeyPrefix("workers")
        let outcomes = try await withThrowingTaskGroup(of: ServicePingWorker.Outcome.self) { group in
            for _ in 0..<4 {
                let (worker, pool) = try await makeWorker(
                    clock: FixedWallClock(afterRun), database: database, prefix: prefix)
                group.addTask {
                    defer { pool.close() }
                    return await worker.runOnce()
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .stored = $0 { true } else { false } }.count == 1, "\(outcomes)")
        #expect(try await rows(database).count == 1)
    }

    @Test func aLockHeldElsewhereIsRespected() async throws {
        let prefix = TestEnvironment.uniqueKeyPrefix("locked")
        let (worker, pool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: try sqlite(), prefix: prefix)
        defer { pool.close() }
        _ = try await pool.send(.set(prefix + ServicePingWorker.lockKey, "someone-else"))
        #expect(await worker.runOnce() == .lockedByAnotherWorker)
        #expect(
            try await pool.send(.get(prefix + ServicePingWorker.lockKey)) == .bulk(Array("someone-else".utf8)),
            "not ours to delete")
    }

    @Test func submitsAndRetriesAfterAFailure() async throws {
        let database = try sqlite()
        let prefix = TestEnvironment.uniqueKeyPrefix("submit")
        let failing = try await Collector.start(mode: .fail)
        let (worker, pool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: database, prefix: prefix, collector: failing.baseURL)
        defer { pool.close() }
        guard case .failed(let reason) = await worker.runOnce() else {
            Issue.record("a 500 from the collector was not a failure")
            return
        }
        #expect(reason.contains("Unsuccessful response code: 500"))
        #expect(try await rows(database).first?.sentAt == nil, "the ping is kept, unsent")
        #expect(failing.requests.map(\.path) == ["/usage_data", "/usage_ping_errors"])
        await failing.stopAndWait()

        let accepting = try await Collector.start(mode: .accept)
        defer { accepting.stop() }
        let (retrying, retryPool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: database, prefix: prefix, collector: accepting.baseURL)
        defer { retryPool.close() }
        #expect(await retrying.submitPending() == .stored(recordedAt: afterRun, usageDataID: 4242))
        let stored = try await rows(database)
        #expect(stored.count == 1)
        #expect(stored.first?.usageDataID == 4242 && stored.first?.sentAt != nil)
        #expect(accepting.requests.first?.body == stored.first?.payload)
    }

    @Test("database unreachable: database metrics -1, Redis metrics right, stored once the database is back")
    func databaseDownDuringAPing() async throws {
        try folder.write("metrics/rows.yml", DefinitionFolder.databaseMetric("counts.rows", table: "things"))
        // An SQLite file in a folder that doesn't exist yet: every open fails until the folder is made.
        let parent = try TestEnvironment.makeTemporaryDirectory("tally-down")
        defer { try? FileManager.default.removeItem(at: parent) }
        let folderOfDatabase = parent.appendingPathComponent("not-yet")
        let database = try DatabaseConfiguration(url: "sqlite://\(folderOfDatabase.path)/tally.sqlite")
        let prefix = TestEnvironment.uniqueKeyPrefix("dbdown")
        let waits = Locked(0)
        let (worker, pool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: database, prefix: prefix,
            sleep: { _ in
                // The third wait for the database ends with it back.
                if waits.withLock({ count in
                    count += 1
                    return count
                }) == 3 {
                    try FileManager.default.createDirectory(at: folderOfDatabase, withIntermediateDirectories: true)
                }
            })
        defer { pool.close() }
        _ = try await pool.send(.incrBy(prefix + "{event_counters}_test_event", 5))
        #expect(await worker.runOnce() == .stored(recordedAt: afterRun, usageDataID: nil))
        #expect(waits.withLock { $0 } == 3, "one jitter wait, then two waits for the database")
        let stored = try await rows(database)
        #expect(stored.count == 1)
        let payload = try #require(stored.first?.payload)
        print(
            "RELIABILITY scenario=5 store_attempts=3 stored=\(stored.count) payload_counts=\(payload.contains(#""counts":{"rows":-1,"total":5}"#) ? "rows:-1,total:5" : payload)"
        )
        #expect(payload.contains(#""counts":{"rows":-1,"total":5}"#), "\(payload)")
    }

    @Test("a lease lost mid-build (another worker took it) stops the build: nothing stored")
    func aLostLeaseStoresNothing() async throws {
        let database = try sqlite()
        let prefix = TestEnvironment.uniqueKeyPrefix("lost")
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let (worker, workerPool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: database, prefix: prefix, lockSeconds: 1,
            sleep: { _ in
                // While "waiting", another worker takes the lease; the renewal finds out and stops this build.
                _ = try await pool.send(.set(prefix + ServicePingWorker.lockKey, "another-worker"))
                while !Task.isCancelled { try await Task.sleep(for: .milliseconds(10)) }
            })
        defer { workerPool.close() }
        guard case .failed(let reason) = await worker.runOnce() else {
            Issue.record("the build went on without its lease")
            return
        }
        #expect(reason.contains("lost the service ping lease"))
        #expect(try await rows(database).isEmpty)
    }

    @Test("a lock refused by Redis (a read-only replica) is a failure, not another worker's lease")
    func aRefusedLockIsAFailure() async throws {
        let primary = try await RedisServer.start()
        defer { primary.stop() }
        let replica = try await RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        let (worker, pool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: try sqlite(), prefix: "", redis: replica.configuration())
        defer { pool.close() }
        guard case .failed(let reason) = await worker.runOnce() else {
            Issue.record("a READONLY answer was taken for a held lease")
            return
        }
        #expect(reason.contains("READONLY"))
    }

    @Test func aMissedWeekIsCaughtUpAtStart() async throws {
        let database = try sqlite()
        let slept = Locked<[Duration]>([])
        let (worker, pool) = try await makeWorker(
            clock: FixedWallClock(afterRun), database: database, prefix: TestEnvironment.uniqueKeyPrefix("catchup"),
            sleep: { duration in
                // The jitter sleeps are short; the first long sleep waits for next week's run: stop there.
                slept.withLock { $0.append(duration) }
                if duration > .seconds(120) { throw CancellationError() }
            })
        defer { pool.close() }
        #expect(try await worker.missedThisWeek())
        try await worker.run()  // returns when the injected sleep reports cancellation
        #expect(try await rows(database).count == 1, "caught up before waiting")
        let nextRun = TestEnvironment.day("2025-02-27").addingTimeInterval(21 * 3_600 + 27 * 60)
        #expect(slept.value.last == .seconds(nextRun.timeIntervalSince(afterRun)))
        #expect(try await worker.missedThisWeek() == false)
    }
}
