import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// The two counter kinds GitLab's current `track_event` added: unique totals (`operator: total`, a `HINCRBY` hash
/// of counts per value) and uniques on a custom additional property. Expectations ported from GitLab's
/// `spec/lib/gitlab/internal_events_spec.rb`, `context 'when unique total counter is defined'`, and from the keys the
/// issue saw GitLab write (`{hll_counters}_EVENT[-filter:[…]]-merge_request_iid-WEEK`).
@Suite(
    "Unique totals and custom uniques",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct UniqueTotalsTests {
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    let prefix = TestEnvironment.uniqueKeyPrefix("totals")
    /// Wednesday 2025-02-12, ISO week 2025-07.
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/run.yml",
            DefinitionFolder.event(
                "run_command", identifiers: "[user, project]",
                extra: """
                    additional_properties:
                      label:
                        description: the command
                      category:
                        description: a custom property
                      merge_request_iid:
                        description: a custom property counted uniquely
                    """))
        try folder.write(
            "metrics/per_label.yml",
            DefinitionFolder.metric(
                "counts.commands", timeFrame: "[28d, 7d]",
                events: "- name: run_command\n  unique: label\n  operator: total"))
        try folder.write(
            "metrics/packages.yml",
            DefinitionFolder.metric(
                "counts.package_commands", timeFrame: "7d",
                events: "- name: run_command\n  unique: label\n  operator: total\n  filter:\n    category: package"))
        try folder.write(
            "metrics/merge_requests.yml",
            DefinitionFolder.metric(
                "counts.merge_requests", timeFrame: "7d", events: "- name: run_command\n  unique: merge_request_iid"))
        try folder.write(
            "metrics/package_merge_requests.yml",
            DefinitionFolder.metric(
                "counts.package_merge_requests", timeFrame: "28d",
                events: "- name: run_command\n  unique: merge_request_iid\n  filter:\n    category: package"))
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    var totalKey: String { prefix + "{hll_counters}_run_command-operator:total-label-2025-07" }
    var packageKey: String {
        prefix + "{hll_counters}_run_command-operator:total-filter:[category:package]-label-2025-07"
    }

    func directTracker(_ pool: RedisConnectionPool) -> Tracker {
        let planner = CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix))
        return Tracker(catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)], clock: clock)
    }

    func hash(_ pool: RedisConnectionPool, _ key: String) async throws -> [String: String] {
        let items = try await pool.send(.hgetall(key)).array().map { try $0.string() }
        return Dictionary(
            uniqueKeysWithValues: stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
    }

    @Test func rulesAndKeysFollowGitLab() {
        let scheme = CounterKeyScheme()
        let week = ISOWeek(containing: clock.now())
        let keys = catalog.rules(forEvent: "run_command").map { scheme.key(for: $0, week: week) }
        #expect(keys.contains("{hll_counters}_run_command-operator:total-label-2025-07"))
        #expect(keys.contains("{hll_counters}_run_command-operator:total-filter:[category:package]-label-2025-07"))
        #expect(keys.contains("{hll_counters}_run_command-merge_request_iid-2025-07"))
        #expect(keys.contains("{hll_counters}_run_command-filter:[category:package]-merge_request_iid-2025-07"))
        let kinds = catalog.rules(forEvent: "run_command").map(\.kind)
        #expect(kinds.filter { $0 == .uniqueTotal }.count == 2)
    }

    // it 'updates Redis hash counter, standard Redis counter and Snowplow'
    @Test func aUniqueTotalCountsEachValueWithASixWeekTTL() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool)
        for label in ["glab mr", "glab mr", "glab ci"] {
            try await tracker.trackStrictly("run_command", user: 1, additionalProperties: ["label": .string(label)])
        }
        #expect(try await hash(pool, totalKey) == ["glab mr": "2", "glab ci": "1"])
        let ttl = try await pool.send(.ttl(totalKey)).int()
        #expect(ttl > CounterKeyScheme.weeklyTTLSeconds - 60 && ttl <= CounterKeyScheme.weeklyTTLSeconds)
        #expect(
            try await pool.send(.get(prefix + "{event_counters}_run_command-2025-07")).optionalIntegerString() == 3,
            "the implicit totals are written as well")
    }

    // context 'when existing TTL is present' / it 'does not override the existing expiry'
    @Test func anExistingTTLIsKept() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool)
        try await tracker.trackStrictly("run_command", additionalProperties: ["label": .string("a")])
        _ = try await pool.send(.expire(totalKey, seconds: 100))
        try await tracker.trackStrictly("run_command", additionalProperties: ["label": .string("b")])
        #expect(try await pool.send(.ttl(totalKey)).int() <= 100)
        #expect(try await hash(pool, totalKey) == ["a": "1", "b": "1"])
    }

    // context 'when property is missing' / it 'does not update Redis hash counter'
    @Test func anEventWithoutTheUniquePropertyWritesNoHash() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        try await directTracker(pool).trackStrictly("run_command", user: 1)
        #expect(try await pool.send(.exists([totalKey, packageKey])).int() == 0)
    }

    // context 'with a filter defined': 'when event matches the filter' / 'when event does not match the filter'
    @Test func aFilteredUniqueTotalCountsOnlyMatchingEvents() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool)
        try await tracker.trackStrictly(
            "run_command", additionalProperties: ["label": .string("glab"), "category": .string("not_package")])
        #expect(try await pool.send(.exists([packageKey])).int() == 0)
        try await tracker.trackStrictly(
            "run_command", additionalProperties: ["label": .string("glab"), "category": .string("package")])
        #expect(try await hash(pool, packageKey) == ["glab": "1"])
        #expect(try await hash(pool, totalKey) == ["glab": "2"])
    }

    // context 'when no expiry is needed' / it 'does not set expiry': an all-time unique total has no TTL. GitLab's
    // schema allows only 7d/28d for unique rules, so no definition makes one; the write itself is checked.
    @Test func anAllTimeUniqueTotalSetsNoTTL() {
        let commands = CounterWrite.incrementField(key: "k", field: "v", by: 1, weekly: false).commands
        #expect(commands.map(\.name) == ["HINCRBY"])
        let weekly = CounterWrite.incrementField(key: "k", field: "v", by: 2, weekly: true).commands
        #expect(weekly.map(\.name) == ["HINCRBY", "EXPIRE"])
    }

    @Test func aCustomPropertyIsCountedUniquely() async throws {
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let tracker = directTracker(pool)
        for (iid, category) in [(Int64(5), "package"), (5, "package"), (6, "other"), (7, "package")] {
            try await tracker.trackStrictly(
                "run_command",
                additionalProperties: ["merge_request_iid": .integer(iid), "category": .string(category)])
        }
        let all = prefix + "{hll_counters}_run_command-merge_request_iid-2025-07"
        let packages = prefix + "{hll_counters}_run_command-filter:[category:package]-merge_request_iid-2025-07"
        #expect(try await pool.send(.pfcount([all])).int() == 3)
        #expect(try await pool.send(.pfcount([packages])).int() == 2)
        let ttl = try await pool.send(.ttl(all)).int()
        #expect(ttl > CounterKeyScheme.weeklyTTLSeconds - 60)
    }

    @Test func bufferedModeAddsCountsUpPerValue() async throws {
        let server = try await RedisServer.shared()
        let pool = RedisConnectionPool(redis: server.configuration())
        defer { pool.close() }
        let sink = BufferedRedisCounterSink(
            redis: server.configuration(),
            planner: CounterWritePlanner(catalog: catalog, scheme: CounterKeyScheme(prefix: prefix)),
            configuration: .init(flushInterval: .seconds(3600)))
        let tracker = Tracker(catalog: catalog, sinks: [sink], clock: clock)
        for index in 0..<1_000 {
            tracker.track(
                "run_command",
                additionalProperties: [
                    "label": .string(index.isMultiple(of: 4) ? "ci" : "mr"),
                    "merge_request_iid": .integer(Int64(index % 10)),
                ])
        }
        await sink.shutdown()
        #expect(try await hash(pool, totalKey) == ["ci": "250", "mr": "750"])
        #expect(
            try await pool.send(.pfcount([prefix + "{hll_counters}_run_command-merge_request_iid-2025-07"])).int() == 10
        )
        #expect(sink.statistics.dropped == 0)
    }
}
