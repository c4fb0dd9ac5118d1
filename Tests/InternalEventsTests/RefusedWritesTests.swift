import Foundation
import Hiredis
import InternalEvents
import TallyServiceLifecycle
import TallyTestSupport
import Testing

/// Fault scenario 3 (RELIABILITY.md): Redis refuses writes, as a read-only replica (`-READONLY`) or at its memory
/// limit (`-OOM`). The app's `track` never fails in production; errors are logged and counted; buffered counters wait
/// within their bound and are written once Redis takes writes again.
@Suite(
    "Refused writes",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct RefusedWritesTests {
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    init() throws {
        // Unique users make the buffer grow with every new user.
        folder = try DefinitionFolder.clicksWithUniqueUsers()
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    /// Tracks through a buffered and a direct production tracker while `server` refuses writes; returns what the
    /// sinks and the log saw. `restore` makes the server take writes again.
    func trackWhileRefused(
        _ server: RedisServer, refusal: String, restore: () async throws -> Void
    ) async throws {
        let redis = server.configuration(commandTimeout: .seconds(2))
        let log = LogCapture()
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme())
        let buffered = BufferedRedisCounterSink(
            redis: redis, planner: planner,
            configuration: .init(flushInterval: .milliseconds(20), maximumBufferedBytes: 64 * 1024),
            logger: log.logger("buffer"))
        let pool = RedisConnectionPool(redis: redis, configuration: .init(maximumConnections: 1))
        defer { pool.close() }
        let bufferedTracker = Tracker(
            catalog: catalog, sinks: [buffered], clock: clock, logger: log.logger("tracker"))
        let directTracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)],
            clock: clock, logger: log.logger("tracker"))

        let (during, counted) = try await TestEnvironment.withRunning([buffered.service]) {
            for user in 1...2_000 { bufferedTracker.track("click", user: UserID(Int64(user))) }
            for user in 1...20 { try? await directTracker.trackStrictly("click", user: UserID(Int64(user))) }
            #expect(await TestEnvironment.waitUntil { buffered.statistics.flushFailures > 0 })
            // Past the 64 KiB bound: dropped and counted, never thrown.
            for user in 2_001...6_000 { bufferedTracker.track("click", user: UserID(Int64(user))) }
            let during = buffered.statistics
            #expect(during.dropped > 0, "\(during)")
            #expect(directTracker.statistics.sinkFailures == 20)
            #expect(log.text.contains(refusal), "the refusal is logged: \(log.text.prefix(600))")
            #expect(log.messages.filter { $0.contains("flush failed") }.count == 1, "logged once, not per attempt")
            let counted = try await pool.send(.get("{event_counters}_click")).optionalIntegerString() ?? 0

            try await restore()
            await buffered.shutdown()
            return (during, counted)
        }
        let after = try await pool.send(.get("{event_counters}_click")).optionalIntegerString() ?? 0
        print(
            "RELIABILITY scenario=3 refusal=\(refusal) sent=6000 counted_during=\(counted) counted_after=\(after) dropped=\(buffered.statistics.dropped) flush_failures=\(during.flushFailures) direct_failures=\(directTracker.statistics.sinkFailures)"
        )
        #expect(after == Int64(during.buffered), "every buffered event counted once writes are taken again")
        #expect(Int(after) + buffered.statistics.dropped == 6_000)
    }

    @Test("a read-only replica: READONLY logged and counted, counters written after promotion")
    func readOnlyReplica() async throws {
        let primary = try await RedisServer.start()
        defer { primary.stop() }
        let replica = try await RedisServer.start(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        try await trackWhileRefused(replica, refusal: "READONLY") {
            // Promote the replica, as a failover would.
            let connection = try await AsyncRedisConnection.connect(configuration: replica.configuration())
            _ = try await connection.send(RedisCommand("REPLICAOF", arguments: ["NO", "ONE"])).checked()
        }
    }

    @Test("out of memory: OOM logged and counted, counters written once memory is raised")
    func outOfMemory() async throws {
        let server = try await RedisServer.start(extraArguments: ["--maxmemory-policy", "noeviction"])
        defer { server.stop() }
        let connection = try await AsyncRedisConnection.connect(configuration: server.configuration())
        // Fill the server, then cap it at half of what it uses, well below the ballast alone: however its memory use
        // moves, every write from now on is refused with OOM.
        _ = try await connection.send(.set("ballast", String(repeating: "x", count: 4_000_000))).checked()
        let used = try await RedisCheckFields.usedMemory(connection)
        _ = try await connection.send(RedisCommand("CONFIG", arguments: ["SET", "maxmemory", String(used / 2)]))
            .checked()
        await #expect(throws: RedisError.self) { try await connection.send(.incr("probe")).checked() }
        let doctor = try await TallyBinary.run(["doctor", "--redis-url", server.url])
        #expect(doctor.status != 0)
        #expect(doctor.standardOutput.contains("out of memory"), "\(doctor.combined)")
        try await trackWhileRefused(server, refusal: "OOM") {
            _ = try await connection.send(RedisCommand("CONFIG", arguments: ["SET", "maxmemory", "0"])).checked()
        }
    }
}

/// Reads `used_memory` from `INFO memory`.
enum RedisCheckFields {
    static func usedMemory(_ connection: AsyncRedisConnection) async throws -> Int64 {
        let info = try await connection.send(.info("memory")).string()
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            if let value = Int64(line.dropFirst("used_memory:".count)) { return value }
        }
        throw RedisError(code: .unexpectedReply, message: "no used_memory in INFO memory")
    }
}
