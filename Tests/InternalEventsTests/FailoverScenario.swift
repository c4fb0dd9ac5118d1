import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// Buffered tracking through a master's failover, on any deployment: the app tracks from synchronous code while
/// `failOver` kills the master, until `isPromoted` sees its replica serve; then every event must be counted once.
struct FailoverScenario {
    let url: String
    /// Kills the master (after checking what the deployment needs checked while it is up).
    let failOver: @Sendable () async throws -> Void
    /// Whether the replica serves as master now.
    let isPromoted: @Sendable () async throws -> Bool

    /// Runs the scenario and checks the counters; returns the sink's statistics for deployment-specific checks.
    @discardableResult
    func run(prefix: String) async throws -> BufferedRedisCounterSink.Statistics {
        let folder = try DefinitionFolder.opensWithTotalsAndUsers()
        let tally = try Tally(
            configuration: .init(
                redisURL: url, definitions: [folder.url.path], keyPrefix: prefix,
                counting: .buffered(.init(flushInterval: .milliseconds(5), writesPerTransaction: 20))),
            clock: FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(3_600)))
        defer { tally.redis.close() }
        let sink = try #require(tally.counters as? BufferedRedisCounterSink)
        let running = Task { try await tally.run() }

        // The app tracks from synchronous code, 20 events at a time, until told to stop.
        let sent = LockedValueBox(0)
        let stopTraffic = LockedValueBox(false)
        let traffic = Task {
            while !stopTraffic.withLockedValue({ $0 }) {
                for _ in 0..<20 {
                    let user = sent.withLockedValue { count in
                        count += 1
                        return UserID(Int64((count - 1) % 3_000 + 1))
                    }
                    tally.tracker.track("open_app", user: user)
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }

        #expect(
            await TestEnvironment.waitUntil { sink.statistics.flushedWrites >= 3 },
            "\(sink.statistics) sent \(sent.withLockedValue { $0 })")
        try await failOver()
        let sentAtKill = sent.withLockedValue { $0 }
        #expect(try await TestEnvironment.waitUntil(limit: .seconds(60)) { try await isPromoted() }, "promoted")
        // track() kept returning while there was no master.
        #expect(sent.withLockedValue { $0 } > sentAtKill)
        let flushedAtPromotion = sink.statistics.flushedWrites
        #expect(await TestEnvironment.waitUntil { sink.statistics.flushedWrites > flushedAtPromotion })
        stopTraffic.withLockedValue { $0 = true }
        await traffic.value
        tally.requestShutdown()
        try await running.value

        let total = Int64(sent.withLockedValue { $0 })
        #expect(try await tally.redis.send(.get(prefix + "{event_counters}_open_app")).optionalIntegerString() == total)
        #expect(
            try await tally.redis.send(.get(prefix + "{event_counters}_open_app-2025-07")).optionalIntegerString()
                == total)
        let users = try await tally.redis.send(.pfcount([prefix + "{hll_counters}_open_app-user-2025-07"])).int()
        let expected = min(Int(total), 3_000)
        #expect(abs(Int(users) - expected) * 50 <= expected, "\(users) of \(expected) users")
        let statistics = sink.statistics
        #expect(statistics.dropped == 0 && statistics.abandonedWrites == 0, "\(statistics)")
        return statistics
    }
}
