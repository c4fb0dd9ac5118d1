import Foundation
import Hiredis
import InternalEvents
import ServicePing
import TallyTestSupport
import Testing

/// Pings built from counters written by the tracker into a real Redis, with a pinned clock.
@Suite(
    "Service Ping payload",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct ServicePingBuilderTests {
    let folder: DefinitionFolder
    let prefix = TestEnvironment.uniqueKeyPrefix("ping")
    /// Thursday 2025-02-20, ISO week 2025-08: 7d reads week 07, 28d reads weeks 04–07.
    let pingTime = TestEnvironment.day("2025-02-20").addingTimeInterval(36_000)

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/a.yml",
            DefinitionFolder.event(
                "open_app", identifiers: "[user]", extra: "additional_properties:\n  value:\n    description: seconds"))
        try folder.write("events/b.yml", DefinitionFolder.event("open_web", identifiers: "[user]"))
        func metric(_ name: String, _ keyPath: String, _ frame: String, _ events: String, extra: String = "") throws {
            try folder.write(
                "metrics/\(name).yml", DefinitionFolder.metric(keyPath, timeFrame: frame, events: events, extra: extra))
        }
        try metric("total", "counts.opens", "[28d, 7d, all]", "- name: open_app")
        try metric(
            "users", "counts.users", "[28d, 7d]",
            "- name: open_app\n  unique: user.id\n- name: open_web\n  unique: user.id")
        try metric("seconds", "counts.seconds", "[28d, all]", "- name: open_app\n  operator: sum(value)")
        try metric("optional", "optional_metric", "all", "- name: open_web")
        try metric(
            "removed", "removed_metric", "all", "- name: open_web",
            extra: "removed_by_url: https://example.com/r\nmilestone_removed: '2.0'")
        try metric(
            "broken", "broken_metric", "all", "- name: open_web", extra: "repair_issue_url: https://example.com/i")
        // DefinitionFolder.metric marks every metric optional and active; adjust the three special ones.
        for (name, from, to) in [
            ("removed", "status: active", "status: removed"), ("broken", "status: active", "status: broken"),
            ("total", "data_category: optional", "data_category: operational"),
            ("users", "data_category: optional", "data_category: standard"),
            ("seconds", "data_category: optional", "data_category: subscription"),
        ] {
            let url = folder.url.appendingPathComponent("metrics/\(name).yml")
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: from, with: to)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func catalog() throws -> DefinitionCatalog { try DefinitionLoader().load(from: [folder.url]) }

    /// Tracks `count` opens by `users` distinct users on `day`.
    func track(
        _ tracker: Tracker, clock: FixedWallClock, day: String, opens: Int, firstUser: Int64, webUser: Int64? = nil
    ) async throws {
        clock.set(TestEnvironment.day(day).addingTimeInterval(3_600))
        for index in 0..<opens {
            try await tracker.trackStrictly(
                "open_app", user: UserID(firstUser + Int64(index)), additionalProperties: ["value": .double(1.5)])
        }
        if let webUser { try await tracker.trackStrictly("open_web", user: UserID(webUser)) }
    }

    func builtPing(
        settings: ServicePingBuilder.Settings = .init(), registry: InstrumentationRegistry = .init(),
        beforeBuilding: @Sendable (RedisConnectionPool) async throws -> Void = { _ in }
    ) async throws -> ServicePingReport {
        let catalog = try catalog()
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let clock = FixedWallClock(Date())
        let scheme = CounterKeyScheme(prefix: prefix)
        let sink = DirectRedisCounterSink(redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: scheme))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        // Weeks 03 (outside 28d), 04, 06, 07, and 08 (the ping's own week, never read).
        try await track(tracker, clock: clock, day: "2025-01-13", opens: 1, firstUser: 900)
        try await track(tracker, clock: clock, day: "2025-01-20", opens: 2, firstUser: 1, webUser: 500)
        try await track(tracker, clock: clock, day: "2025-02-03", opens: 3, firstUser: 1)
        try await track(tracker, clock: clock, day: "2025-02-12", opens: 4, firstUser: 10, webUser: 10)
        try await track(tracker, clock: clock, day: "2025-02-18", opens: 5, firstUser: 100)
        try await beforeBuilding(pool)
        let builder = ServicePingBuilder(
            catalog: catalog, redis: pool, scheme: scheme, registry: registry, settings: settings)
        return await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "test-uuid", hostname: "tally.test"))
    }

    @Test func valuesFollowGitLabsWindows() async throws {
        let report = try await builtPing()
        let payload = report.payload
        #expect(payload.value(atPath: "counts.opens") == .integer(15), "all time: every week")
        #expect(payload.value(atPath: "counts.opens_weekly") == .integer(4), "7d: week 07 only")
        #expect(payload.value(atPath: "counts.opens_monthly") == .integer(9), "28d: weeks 04–07")
        // Users 1–2 (w04), 1–3 (w06), 10–13 (w07) plus web users 500 (w04) and 10 (w07): a union across both events.
        #expect(payload.value(atPath: "counts.users_monthly") == .integer(8))
        #expect(payload.value(atPath: "counts.users_weekly") == .integer(4))
        #expect(payload.value(atPath: "counts.seconds_monthly") == .double(13.5))
        #expect(payload.value(atPath: "counts.seconds") == .double(22.5))
        #expect(report.redisRoundTrips == 1, "every Redis read of the ping in one pipeline")
        #expect(report.metrics.allSatisfy { $0.error == nil }, "\(report.metrics)")
    }

    @Test func payloadShape() async throws {
        let report = try await builtPing()
        guard case .object(let top) = report.payload else {
            Issue.record("payload is not an object")
            return
        }
        #expect(top.first?.key == "recorded_at")
        #expect(top.first?.value == .string("2025-02-20T10:00:00.000Z"))
        #expect(top.last?.key == "recording_ce_finished_at")
        if case .string(let finished) = top.last?.value {
            #expect(
                finished.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
        }
        #expect(report.payload["removed_metric"] == nil, "removed metrics are not reported")
        #expect(report.payload["broken_metric"] == .integer(2), "broken metrics are")
        #expect(report.payload["optional_metric"] != nil)
        let text = report.payload.serialized()
        #expect(
            text.hasPrefix(#"{"recorded_at":"2025-02-20T10:00:00.000Z","broken_metric":2,"counts":{"opens":15,"#),
            "\(text)")
        let metadata = report.metadata
        #expect(metadata.value(atPath: "metadata.uuid") == .string("test-uuid"))
        guard case .array(let entries) = metadata.value(atPath: "metadata.metrics") else {
            Issue.record("no metrics in the metadata")
            return
        }
        #expect(entries.count == report.metrics.count)
        #expect(entries.first?["name"] == .string("broken_metric"))
    }

    @Test func optionalMetricsCanBeLeftOut() async throws {
        let report = try await builtPing(settings: .init(includesOptionalMetrics: false))
        #expect(report.payload["optional_metric"] == nil)
        #expect(report.payload["broken_metric"] == nil, "the broken metric is optional too")
        #expect(report.payload.value(atPath: "counts.opens") == .integer(15))
    }

    @Test func appRegisteredInstrumentationsAndFailures() async throws {
        try folder.write(
            "metrics/system.yml",
            DefinitionFolder.metric("uuid", timeFrame: "none").replacingOccurrences(
                of: "data_source: internal_events", with: "data_source: system"
            )
            .replacingOccurrences(of: "events:\n- name: test_event\n", with: "") + "instrumentation_class: UuidMetric\n"
        )
        for (path, className) in [
            ("app.members", "CountMembersMetric"), ("app.estimate", "EstimateMetric"), ("app.broken", "BrokenMetric"),
            ("app.unknown", "NobodyMetric"),
        ] {
            try folder.write(
                "metrics/\(className).yml",
                DefinitionFolder.databaseMetric(path, extra: "instrumentation_class: \(className)\n"))
        }
        struct Boom: Error {}
        var registry = InstrumentationRegistry()
        registry.register("CountMembersMetric") { metric, context in
            .integer(context.week.week == 8 && metric.timeFrame == .all ? 42 : 0)
        }
        registry.register("EstimateMetric") { _, _ in
            throw MetricFailure("estimate failed", fallback: MetricFailure.estimateFallback)
        }
        registry.register("BrokenMetric") { _, _ in throw Boom() }
        let report = try await builtPing(registry: registry)
        #expect(report.payload["uuid"] == .string("test-uuid"))
        #expect(report.payload.value(atPath: "app.members") == .integer(42))
        #expect(report.payload.value(atPath: "app.estimate") == .integer(-2))
        #expect(report.payload.value(atPath: "app.broken") == .integer(-1))
        #expect(report.payload.value(atPath: "app.unknown") == .integer(-1))
        let errors = Dictionary(uniqueKeysWithValues: report.metrics.map { ($0.name, $0.error) })
        #expect(errors["app.estimate"] == "estimate failed")
        #expect(errors["app.unknown"] == "no instrumentation registered for NobodyMetric")
        #expect(errors["app.members"] == .some(nil))
    }

    @Test func aFailingRedisReadIsOneMetricsProblem() async throws {
        // Make the all-time total key a hash after tracking: GET answers WRONGTYPE for that metric only.
        let key = prefix + "{event_counters}_open_app"
        let report = try await builtPing { pool in
            _ = try await pool.pipeline([.del([key]), RedisCommand("HSET", keys: [key], arguments: ["a", "1"])])
        }
        #expect(report.payload.value(atPath: "counts.opens") == .integer(-1))
        #expect(report.metrics.first { $0.name == "counts.opens" }?.error?.contains("WRONGTYPE") == true)
        #expect(report.payload.value(atPath: "counts.opens_weekly") == .integer(4))
    }

    @Test func redisDownStillGivesAPing() async throws {
        let server = try await RedisServer.start()
        let configuration = server.configuration()
        await server.stopAndWait()
        let pool = RedisConnectionPool(redis: configuration)
        defer { pool.close() }
        let builder = ServicePingBuilder(catalog: try catalog(), redis: pool)
        let report = await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "u"))
        #expect(report.payload.value(atPath: "counts.opens") == .integer(-1))
        #expect(report.metrics.allSatisfy { $0.error?.contains("connection refused") == true })
        #expect(report.payload["recorded_at"] != nil && report.payload["recording_ce_finished_at"] != nil)
    }

    @Test func legacyRedisMetricsReadGitLabsKeys() async throws {
        let legacy = try DefinitionFolder()
        try legacy.write("events/e.yml", DefinitionFolder.event("e"))
        let base = DefinitionFolder.metric("x", timeFrame: "28d").replacingOccurrences(
            of: "events:\n- name: test_event\n", with: "")
        try legacy.write(
            "metrics/hll.yml",
            base.replacingOccurrences(of: "key_path: x", with: "key_path: redis_hll_counters.ide.edits_monthly")
                .replacingOccurrences(of: "data_source: internal_events", with: "data_source: redis_hll")
                + "instrumentation_class: RedisHLLMetric\noptions:\n  events: [g_edit_by_web_ide, g_edit_by_sfe]\n")
        try legacy.write(
            "metrics/aggregated.yml",
            base.replacingOccurrences(of: "key_path: x", with: "key_path: aggregated_all").replacingOccurrences(
                of: "time_frame: 28d", with: "time_frame: all"
            )
            .replacingOccurrences(of: "data_source: internal_events", with: "data_source: redis_hll")
                + "instrumentation_class: AggregatedMetric\noptions:\n  aggregate:\n    attribute: user.id\n  events: [g_edit_by_sfe]\n"
        )
        try legacy.write(
            "metrics/counter.yml",
            base.replacingOccurrences(of: "key_path: x", with: "key_path: counts.source_code_pushes")
                .replacingOccurrences(of: "time_frame: 28d", with: "time_frame: all")
                .replacingOccurrences(of: "data_source: internal_events", with: "data_source: redis")
                + "instrumentation_class: RedisMetric\noptions:\n  event: pushes\n  prefix: source_code\n")
        try legacy.write("hll_redis_key_overrides.yml", "g_edit_by_sfe: g_edit_by_sfe_legacy\n")
        let catalog = try DefinitionLoader().load(from: [legacy.url])
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let p = prefix
        _ = try await pool.pipeline([
            .pfadd(p + "{hll_counters}_g_edit_by_web_ide-2025-05", ["1", "2"]),
            .pfadd(p + "{hll_counters}_g_edit_by_sfe_legacy-2025-07", ["2", "3"]),
            .pfadd(p + "{hll_counters}_g_edit_by_web_ide-2025-08", ["99"]),  // the ping's own week
            .set(p + "USAGE_SOURCE_CODE_PUSHES", "17"),
        ])
        let builder = ServicePingBuilder(
            catalog: catalog, redis: pool, scheme: CounterKeyScheme(prefix: p, aliases: catalog.legacyAliases))
        let report = await builder.build(recordedAt: pingTime, system: SystemInfo(uuid: "u"))
        #expect(report.payload.value(atPath: "redis_hll_counters.ide.edits_monthly") == .integer(3))
        #expect(report.payload.value(atPath: "counts.source_code_pushes") == .integer(17))
        #expect(report.payload["aggregated_all"] == .integer(-1), "GitLab refuses all-time aggregates of Redis HLLs")
    }

    @Test func theInstanceUUIDIsKept() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let pool = RedisConnectionPool(redis: server.configuration())
        defer { pool.close() }
        let first = try await InstanceIdentity.uuid(redis: pool)
        let second = try await InstanceIdentity.uuid(redis: pool)
        #expect(first == second)
        #expect(UUID(uuidString: first) != nil)
    }
}
