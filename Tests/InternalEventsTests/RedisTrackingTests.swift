import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// Tracking into a real Redis, read back with raw commands.
@Suite(
    "Tracking into Redis",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct RedisTrackingTests {
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    let prefix = TestEnvironment.uniqueKeyPrefix("track")
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/export.yml",
            DefinitionFolder.event(
                "export_report", identifiers: "[user, project, namespace]",
                extra:
                    "additional_properties:\n  label:\n    description: format\n  value:\n    description: rows\n  kind:\n    description: custom"
            ))
        try folder.write(
            "metrics/unique.yml",
            DefinitionFolder.metric(
                "m.unique", timeFrame: "[28d, 7d]", events: "- name: export_report\n  unique: user.id"))
        try folder.write(
            "metrics/projects.yml",
            DefinitionFolder.metric(
                "m.projects", timeFrame: "28d", events: "- name: export_report\n  unique: project.id"))
        try folder.write(
            "metrics/labels.yml",
            DefinitionFolder.metric("m.labels", timeFrame: "7d", events: "- name: export_report\n  unique: label"))
        try folder.write(
            "metrics/csv.yml",
            DefinitionFolder.metric(
                "m.csv", timeFrame: "7d",
                events: "- name: export_report\n  unique: user.id\n  filter:\n    label: csv\n    kind: big"))
        try folder.write(
            "metrics/sum.yml",
            DefinitionFolder.metric(
                "m.sum", timeFrame: "[28d, all]", events: "- name: export_report\n  operator: sum(value)"))
        try folder.write(
            "metrics/total.yml", DefinitionFolder.metric("m.total", timeFrame: "all", events: "- name: export_report"))
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func directTracker(pool: RedisConnectionPool, clock: any WallClock) -> Tracker {
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix))
        return Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)], clock: clock
        )
    }

    func send(_ pool: RedisConnectionPool, _ command: RedisCommand) async throws -> RedisReply {
        try await pool.send(command)
    }

    /// The server's clock, in whole seconds (`TIME`).
    func serverSeconds(_ pool: RedisConnectionPool) async throws -> Int64 {
        Int64(try await send(pool, RedisCommand("TIME")).array()[0].string()) ?? 0
    }

    /// Whether `key` expires six weeks after a moment within `window` (server seconds), read with `EXPIRETIME`:
    /// exact whatever time passes between the write and this read (the upper end one second more: `EXPIRETIME`
    /// rounds to the nearest second, `TIME` truncates).
    func expiresSixWeeksAfter(
        _ pool: RedisConnectionPool, _ key: String, within window: ClosedRange<Int64>
    ) async throws -> Bool {
        let expiry = try await send(pool, RedisCommand("EXPIRETIME", keys: [key])).int()
        let ttl = Int64(CounterKeyScheme.weeklyTTLSeconds)
        return (window.lowerBound + ttl...window.upperBound + ttl + 1).contains(expiry)
    }

    @Test func everyRuleKindWritesGitLabsKeysValuesAndTTLs() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool: pool, clock: clock)
        let before = try await serverSeconds(pool)
        try await tracker.trackStrictly(
            "export_report", user: 42, project: 7,
            additionalProperties: ["label": .string("csv"), "value": .integer(120), "kind": .string("big")])
        try await tracker.trackStrictly(
            "export_report", user: 43, project: 7,
            additionalProperties: ["label": .string("pdf"), "value": .double(0.5)])
        try await tracker.trackStrictly("export_report", user: 42)
        let written = before...(try await serverSeconds(pool))

        let p = prefix
        #expect(try await send(pool, .get(p + "{event_counters}_export_report")).optionalIntegerString() == 3)
        #expect(
            try await send(pool, .ttl(p + "{event_counters}_export_report")).int() == -1, "all-time totals never expire"
        )
        #expect(try await send(pool, .get(p + "{event_counters}_export_report-2025-07")).optionalIntegerString() == 3)
        #expect(try await expiresSixWeeksAfter(pool, p + "{event_counters}_export_report-2025-07", within: written))
        #expect(try await send(pool, .pfcount([p + "{hll_counters}_export_report-user-2025-07"])).int() == 2)
        #expect(try await send(pool, .pfcount([p + "{hll_counters}_export_report-project-2025-07"])).int() == 1)
        #expect(
            try await send(pool, .pfcount([p + "{hll_counters}_export_report-label-2025-07"])).int() == 2,
            "members are label strings")
        #expect(
            try await send(
                pool, .pfcount([p + "{hll_counters}_export_report-filter:[kind:big,label:csv]-user-2025-07"])
            ).int() == 1)
        #expect(try await expiresSixWeeksAfter(pool, p + "{hll_counters}_export_report-user-2025-07", within: written))
        #expect(try await send(pool, .get(p + "{event_sums}_export_report-operator:sum(value)")).string() == "120.5")
        #expect(
            try await send(pool, .get(p + "{event_sums}_export_report-operator:sum(value)-2025-07")).string() == "120.5"
        )
        #expect(
            try await expiresSixWeeksAfter(
                pool, p + "{event_sums}_export_report-operator:sum(value)-2025-07", within: written))
        #expect(try await send(pool, .ttl(p + "{event_sums}_export_report-operator:sum(value)")).int() == -1)
        // Nothing else was written under the prefix.
        let keys = try await send(pool, RedisCommand("KEYS", arguments: [p + "*"])).array().map { try $0.string() }
        #expect(keys.count == 8, "\(keys.sorted())")
    }

    @Test func weeklyTotalTTLIsSetOnceButHLLTTLIsRefreshed() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool: pool, clock: clock)
        try await tracker.trackStrictly("export_report", user: 1)
        let total = prefix + "{event_counters}_export_report-2025-07"
        let unique = prefix + "{hll_counters}_export_report-user-2025-07"
        _ = try await send(pool, .expire(total, seconds: 100))
        _ = try await send(pool, .expire(unique, seconds: 100))
        let before = try await serverSeconds(pool)
        try await tracker.trackStrictly("export_report", user: 2)
        let written = before...(try await serverSeconds(pool))
        #expect(
            try await send(pool, .ttl(total)).int() <= 100, "GitLab sets a weekly total's TTL only when it has none")
        #expect(
            try await expiresSixWeeksAfter(pool, unique, within: written),
            "GitLab refreshes an HLL's TTL on every write")
    }

    @Test(arguments: [("2024-12-30", "2025-01"), ("2025-12-29", "2026-01"), ("2021-01-03", "2020-53")])
    func isoWeekEdgesInKeys(day: String, week: String) async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(
            pool: pool, clock: FixedWallClock(TestEnvironment.day(day).addingTimeInterval(86_000)))
        try await tracker.trackStrictly("export_report", user: 5)
        #expect(
            try await send(pool, .get(prefix + "{event_counters}_export_report-\(week)")).optionalIntegerString() == 1)
        #expect(try await send(pool, .pfcount([prefix + "{hll_counters}_export_report-user-\(week)"])).int() == 1)
    }

    @Test func filtersMatchExactlyOnDeclaredProperties() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool: pool, clock: clock)
        let key = prefix + "{hll_counters}_export_report-filter:[kind:big,label:csv]-user-2025-07"
        // kind missing; label in another case; kind different: none counts.
        try await tracker.trackStrictly("export_report", user: 1, additionalProperties: ["label": .string("csv")])
        try await tracker.trackStrictly(
            "export_report", user: 2, additionalProperties: ["label": .string("CSV"), "kind": .string("big")])
        try await tracker.trackStrictly(
            "export_report", user: 3, additionalProperties: ["label": .string("csv"), "kind": .string("small")])
        #expect(try await send(pool, .exists([key])).int() == 0)
        try await tracker.trackStrictly(
            "export_report", user: 4, additionalProperties: ["label": .string("csv"), "kind": .string("big")])
        #expect(try await send(pool, .pfcount([key])).int() == 1)
    }

    @Test func anUndeclaredPropertyNeverMatchesAFilter() async throws {
        // GitLab slices properties to the declared ones before matching; a metric filtering on `colour` never counts.
        let local = try DefinitionFolder()
        try local.write("events/e.yml", DefinitionFolder.event("e"))
        try local.write(
            "metrics/m.yml",
            DefinitionFolder.metric("m.colour", timeFrame: "7d", events: "- name: e\n  filter:\n    colour: red"))
        let catalog = try DefinitionLoader().load(from: [local.url])
        let recorder = RecordingEventSink()
        let tracker = Tracker(catalog: catalog, sinks: [recorder], clock: clock)
        tracker.track("e", user: 1, additionalProperties: ["colour": .string("red")])
        #expect(recorder.events.isEmpty, "an undeclared custom property is rejected")
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme())
        let event = TrackedEvent(name: "e", user: 1, timestamp: clock.now(), rules: catalog.rules(forEvent: "e"))
        #expect(!planner.writes(for: event).contains { $0.key.contains("colour") })
    }
}
