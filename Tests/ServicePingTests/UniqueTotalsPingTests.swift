import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

/// The ping's read of unique totals, as GitLab's `UniqueTotalsMetric`: `HGETALL` of every week's hash, counts added
/// up per value, reported as `{"<unique>": {"<value>": count}}`.
@Suite(
    "Unique totals in the ping",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct UniqueTotalsPingTests {
    let prefix = TestEnvironment.uniqueKeyPrefix("ping-totals")
    /// Thursday 2025-02-20, ISO week 2025-08: 7d reads week 07, 28d weeks 04–07.
    let pingTime = TestEnvironment.day("2025-02-20").addingTimeInterval(36_000)

    @Test func countsPerValueAddUpOverTheMetricsWeeks() async throws {
        let folder = try DefinitionFolder()
        try folder.write(
            "events/run.yml",
            DefinitionFolder.event(
                "run_command", extra: "additional_properties:\n  label:\n    description: the command"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.metric(
                "counts.commands", timeFrame: "[28d, 7d]",
                events: "- name: run_command\n  unique: label\n  operator: total"
            ).replacingOccurrences(of: "value_type: number", with: "value_type: object")
                + "value_json_schema: config/metrics/objects_schemas/commands.json\n")
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let scheme = CounterKeyScheme(prefix: prefix)
        let clock = FixedWallClock(Date())
        let sink = DirectRedisCounterSink(redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: scheme))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        // Week 03 (outside 28d), 05, 07, and 08 (the ping's own week, never read).
        for (day, labels) in [
            ("2025-01-13", ["mr"]), ("2025-01-27", ["mr", "ci"]), ("2025-02-12", ["mr", "mr", "auth"]),
            ("2025-02-18", ["ci"]),
        ] {
            clock.set(TestEnvironment.day(day).addingTimeInterval(3_600))
            for label in labels {
                try await tracker.trackStrictly("run_command", additionalProperties: ["label": .string(label)])
            }
        }
        let builder = ServicePingBuilder(catalog: catalog, redis: pool, scheme: scheme)
        let report = await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "u"))
        #expect(
            report.payload.value(atPath: "counts.commands_monthly")
                == .object([("label", .object([("auth", .integer(1)), ("ci", .integer(1)), ("mr", .integer(3))]))]))
        #expect(
            report.payload.value(atPath: "counts.commands_weekly")
                == .object([("label", .object([("auth", .integer(1)), ("mr", .integer(2))]))]))
        #expect(report.metrics.allSatisfy { $0.error == nil }, "\(report.metrics)")
    }

    @Test func aHashOfAnotherTypeIsOneMetricsFailure() async throws {
        let folder = try DefinitionFolder()
        try folder.write(
            "events/run.yml",
            DefinitionFolder.event("run_command", extra: "additional_properties:\n  label:\n    description: l"))
        try folder.write(
            "metrics/m.yml",
            DefinitionFolder.metric(
                "counts.commands", timeFrame: "7d", events: "- name: run_command\n  unique: label\n  operator: total"))
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        _ = try await pool.send(.set(prefix + "{hll_counters}_run_command-operator:total-label-2025-07", "oops"))
        let builder = ServicePingBuilder(catalog: catalog, redis: pool, scheme: CounterKeyScheme(prefix: prefix))
        let report = await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "u"))
        #expect(report.payload.value(atPath: "counts.commands") == .integer(-1))
        #expect(report.metrics.first { $0.name == "counts.commands" }?.error?.contains("WRONGTYPE") == true)
    }
}
