import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// GitLab's current CE tree (../shared/compat/gitlab-ce, early 2026): it loads as GitLab loads it, and tracking its
/// real events writes GitLab's keys.
@Suite("GitLab CE corpus (2026)")
struct GitLabCECorpusTests {
    /// The corpus, or a recorded failure under CI; elsewhere the test says why it does nothing.
    static func corpus() -> URL? {
        if let url = DefinitionFolder.gitLabCECorpus { return url }
        if TestEnvironment.isCI {
            Issue.record("GitLab CE corpus not found: set TALLY_GITLAB_CE_CONFIG or provide ../shared/compat/gitlab-ce")
        } else {
            print("note: GitLab CE corpus not found (TALLY_GITLAB_CE_CONFIG or ../shared/compat/gitlab-ce); not run")
        }
        return nil
    }

    /// The tree, loaded once per test process for the tests that only read it (a load takes seconds in a debug
    /// build, more under the sanitizers).
    static let shared: DefinitionCatalog? = DefinitionFolder.gitLabCECorpus.flatMap {
        try? DefinitionLoader().load(from: [$0])
    }

    /// The shared catalog; `nil` (recorded) when the corpus is missing or didn't load.
    static func catalog() -> DefinitionCatalog? {
        guard corpus() != nil else { return nil }
        guard let shared else {
            Issue.record("the CE corpus didn't load: see theWholeTreeLoadsWithNoErrors")
            return nil
        }
        return shared
    }

    @Test func theWholeTreeLoadsWithNoErrors() throws {
        guard let config = Self.corpus() else { return }
        let catalog = try Self.shared ?? DefinitionLoader().load(from: [config])
        #expect(catalog.events.count == 505, "internal events")
        #expect(catalog.legacyEvents.count == 386, "legacy Snowplow events")
        #expect(catalog.summary.skippedRemovedFiles == 21, "events/removed/ is not loaded")
        #expect(catalog.summary.metricFiles == 2656)
        #expect(catalog.metrics.count == 3140, "metrics after time_frame expansion")
        #expect(catalog.legacyAliases.uniqueEvents.count == 382, "hll_redis_legacy_events.yml, read beside config/")
        #expect(catalog.legacyAliases.totalCounters.count == 138)
        #expect(catalog.legacyAliases.rulePaths.count == 336)
        // What is left to warn about: internal-events metrics naming EE events (ee/config/events isn't in CE).
        #expect(catalog.warnings.count == 46)
        #expect(catalog.warnings.allSatisfy { $0.field.hasSuffix(".name") && $0.message.contains("is not defined") })
        _ = try DefinitionLoader(options: .init(strict: true)).load(from: [config])
    }

    @Test func theTreeUsesEveryCounterKindTallyWrites() throws {
        guard let catalog = Self.catalog() else { return }
        let rules = catalog.events.keys.flatMap { catalog.rules(forEvent: $0) }
        let kinds = Set(rules.map(\.kind))
        #expect(kinds == [.total, .unique], "the CE tree has no sums or unique totals (its EE part does)")
        let uniques = Set(rules.compactMap(\.unique))
        #expect(uniques.isSuperset(of: [.userID, .projectID, .namespaceID, .label, .property, .value]))
    }

    /// Every rule of every event in the tree: the key GitLab's `EventSelectionRule` would build, checked against
    /// GitLab's own key pattern (`Gitlab::Redis::HLL::KEY_REGEX` for uniques) and its legacy override files.
    @Test func everyRulesKeyFollowsGitLabsRules() throws {
        guard let catalog = Self.catalog() else { return }
        let scheme = CounterKeyScheme(aliases: catalog.legacyAliases)
        let week = ISOWeek(containing: TestEnvironment.day("2025-02-12"))
        let pattern = #"^[\w\-:]*\{(event_counters|event_sums|hll_counters)\}[\w\-:\[\],.()]*$"#
        var checked = 0
        for action in catalog.events.keys.sorted() {
            for rule in catalog.rules(forEvent: action) {
                let key = scheme.key(for: rule, week: week)
                checked += 1
                if rule.kind == .total && !rule.isTimeFramed,
                    let legacy = catalog.legacyAliases.totalCounters["{event_counters}_\(rule.pathPart)"]
                {
                    #expect(key == legacy)
                    continue
                }
                #expect(key.range(of: pattern, options: .regularExpression) != nil, "\(key)")
                #expect(key.hasSuffix("-2025-07") == rule.isTimeFramed, "\(key)")
                if rule.kind == .unique {
                    let hllPattern = #"^([\w\-:])*\{\w*\}([\w\-:\[,\]])*$"#
                    #expect(key.range(of: hllPattern, options: .regularExpression) != nil, "HLL KEY_REGEX: \(key)")
                }
            }
        }
        #expect(checked > 1_500)
        // Spot checks from GitLab's override files.
        #expect(
            scheme.key(for: .init(name: "create_merge_request", isTimeFramed: false), week: week)
                == "USAGE_MERGE_REQUEST_CREATE")
        #expect(
            scheme.key(for: .init(name: "g_edit_by_web_ide", isTimeFramed: true, unique: .userID), week: week)
                == "{hll_counters}_g_edit_by_web_ide-2025-07")
    }
}

/// A sample of the tree's real events, tracked into Redis the way the app would, its keys read back.
@Suite(
    "GitLab CE corpus events in Redis",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct GitLabCECorpusTrackingTests {
    @Test func aSampleOfRealEventsWritesExactlyThePlannedKeys() async throws {
        guard let catalog = GitLabCECorpusTests.catalog() else { return }
        let prefix = TestEnvironment.uniqueKeyPrefix("ce")
        let scheme = CounterKeyScheme(prefix: prefix, aliases: catalog.legacyAliases)
        let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))
        let pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        defer { pool.close() }
        let planner = CounterWritePlanner(catalog: catalog, scheme: scheme)
        let tracker = Tracker(
            catalog: catalog, sinks: [DirectRedisCounterSink(redis: pool, planner: planner)], clock: clock)
        // Every event some metric reads, plus every tenth of the rest: each with all its identifiers and, for each
        // filter a metric puts on it, the filter's values (so filtered rules count too).
        let read = Set(catalog.metrics.flatMap { $0.events.map(\.name) })
        let sample = catalog.events.keys.sorted().enumerated()
            .filter { read.contains($0.element) || $0.offset.isMultiple(of: 10) }.map(\.element)
        var expectedKeys: Set<String> = []
        for action in sample {
            let definition = try #require(catalog.events[action])
            let filters = catalog.rules(forEvent: action).map(\.filter).filter { !$0.isEmpty }
            for properties in [[:]] + filters {
                var values = properties
                if definition.declares("value"), values["value"] == nil { values["value"] = .integer(3) }
                if definition.declares("label"), values["label"] == nil { values["label"] = .string("sample") }
                let identifiers = definition.identifiers
                let user: UserID? = identifiers.isEmpty || identifiers.contains(.user) ? 11 : nil
                let project: ProjectID? = identifiers.isEmpty || identifiers.contains(.project) ? 22 : nil
                let namespace: NamespaceID? = identifiers.isEmpty || identifiers.contains(.namespace) ? 33 : nil
                try await tracker.trackStrictly(
                    action, user: user, project: project, namespace: namespace, additionalProperties: values)
                let event = try tracker.validate(
                    action, user: user, project: project, namespace: namespace, properties: values)
                expectedKeys.formUnion(planner.writes(for: event).map(\.key))
            }
        }
        #expect(sample.count > 100)
        let written = try await pool.send(RedisCommand("KEYS", arguments: [prefix + "*"])).array().map {
            try $0.string()
        }
        let legacy = Set(catalog.legacyAliases.totalCounters.values.map { prefix + $0 })
        #expect(Set(written) == expectedKeys)
        #expect(written.contains { legacy.contains($0) }, "some all-time totals went to their GitLab-era keys")
        #expect(written.contains { $0.contains("{hll_counters}_") && $0.hasSuffix("-2025-07") })
    }
}
