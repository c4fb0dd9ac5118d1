import Foundation
import Hiredis
import InternalEvents
import TallyTestSupport
import Testing

/// How GitLab's loader reads definition folders, beyond each file's schema: `removed/` folders, repeated keys, the
/// legacy files beside GitLab's `config/`, and the rules its current schemas relaxed.
@Suite("GitLab's loading rules")
struct GitLabLoadingRulesTests {
    @Test func filesUnderRemovedFoldersAreSkippedAndCounted() throws {
        let folder = try folder()
        // Broken on purpose: if it were read, the load would fail.
        try folder.write("events/removed/old_event.yml", "description: [unclosed\n")
        try folder.write("metrics/counts_7d/removed/old_metric.yml", "not: a metric\n")
        try folder.write("events/ok/nested_event.yml", DefinitionFolder.event("nested_event"))
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.summary.skippedRemovedFiles == 2)
        #expect(catalog.events["nested_event"] != nil, "other sub-folders are still read")
        #expect(catalog.summary.eventFiles == 2)
    }

    @Test func aRepeatedTopLevelKeyKeepsItsLastValueWithAWarning() throws {
        let text = DefinitionFolder.metric("m.x", timeFrame: "7d") + "data_category: operational\n"
        let folder = try folder(metrics: ["m.yml": text])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.metrics.first?.dataCategory == .operational, "the last value wins, as in Ruby's Psych")
        let warning = try #require(catalog.warnings.first { $0.field == "data_category" })
        #expect(warning.message.contains("appears on lines 11, 15"), "\(warning)")
        #expect(warning.message.contains("\"operational\") is kept"), "\(warning)")
        #expect(warning.line == 15)
    }

    @Test func aRepeatedKeyKeepsLineNumbersOfLaterErrors() throws {
        // The first `tiers` is blanked before parsing again: an error further down must keep its own line.
        let text =
            "---\ntiers: [free]\n"
            + DefinitionFolder.event("e").dropFirst(4).replacingOccurrences(
                of: "milestone: '1.0'", with: "milestone: 'one'")
        let folder = try DefinitionFolder()
        try folder.write("events/e.yml", text)
        let diagnostics = loadDiagnostics(folder)
        let error = try #require(diagnostics.first { $0.severity == .error })
        #expect(error.field == "milestone")
        #expect(error.line == 8, "\(diagnostics)")
    }

    @Test func customPropertiesNeedNoBaseProperties() throws {
        // GitLab's older event schema wanted label+property or value beside custom properties; its current one
        // doesn't (issue: 54 errors on GitLab's 2026 tree).
        let event = DefinitionFolder.event(
            "approve", extra: "additional_properties:\n  pending_comments:\n    description: n\n  is_reviewer:\n")
        let folder = try folder(events: ["e.yml": event])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let definition = try #require(catalog.events["approve"])
        #expect(definition.declares("pending_comments"))
        #expect(definition.declares("is_reviewer"), "a null entry declares the property too")
    }

    @Test func gitLabsLegacyEventsListMakesItsEventsKnown() throws {
        let root = try DefinitionFolder()
        let config = root.url.appendingPathComponent("config")
        let lib = "lib/gitlab/usage_data_counters/"
        try root.write("config/events/e.yml", DefinitionFolder.event("e"))
        try root.write("config/metrics/schema/base.json", "{}")
        try root.write(
            "config/metrics/m.yml",
            Self.redisHLLMetric("m.legacy", events: "[g_edit_by_web_ide, i_unlisted_event]"))
        try root.write(lib + "hll_redis_legacy_events.yml", "# comment\n---\n- g_edit_by_web_ide\n- g_compliance\n")
        let catalog = try DefinitionLoader().load(from: [config])
        #expect(catalog.legacyAliases.uniqueEvents == ["g_edit_by_web_ide", "g_compliance"])
        let warnings = catalog.warnings.map(\.message)
        #expect(!warnings.contains { $0.contains("g_edit_by_web_ide") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("i_unlisted_event") && $0.contains("hll_redis_legacy_events.yml") })
        // increment_unique_users may write the listed events, and the metric's own ones.
        let pool = RedisConnectionPool(redis: try RedisConfiguration(url: RedisConfiguration.defaultURL))
        defer { pool.close() }
        let writer = LegacyCounterWriter(catalog: catalog, scheme: CounterKeyScheme(), redis: pool)
        #expect(writer.uniqueEvents.isSuperset(of: ["g_edit_by_web_ide", "g_compliance", "i_unlisted_event"]))
    }

    @Test func aBadLegacyEventsListNamesTheFileAndEntry() throws {
        let folder = try folder()
        try folder.write("hll_redis_legacy_events.yml", "- good_event\n- Bad-Event\n")
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.file.hasSuffix("hll_redis_legacy_events.yml") == true)
        #expect(errors.first?.field == "[1]")
        #expect(errors.first?.line == 2)
    }

    @Test func aStrayCountersFolderBesideAnAppsDefinitionsIsIgnored() throws {
        let root = try DefinitionFolder()
        try root.write("app/events/e.yml", DefinitionFolder.event("e"))
        try root.write(
            "lib/gitlab/usage_data_counters/total_counter_redis_key_overrides.yml", "'{event_counters}_e': LEGACY_E\n")
        let app = root.url.appendingPathComponent("app")
        #expect(try DefinitionLoader().load(from: [app]).legacyAliases.isEmpty, "not GitLab's config/: not read")
        // Named explicitly, it is read…
        let named = DefinitionLoader(
            options: .init(legacyAliasesDirectory: root.url.appendingPathComponent("lib/gitlab/usage_data_counters")))
        #expect(try named.load(from: [app]).legacyAliases.totalCounters == ["{event_counters}_e": "LEGACY_E"])
        // …and beside GitLab's config/ it is found on its own.
        try root.write("app/metrics/schema/base.json", "{}")
        #expect(try DefinitionLoader().load(from: [app]).legacyAliases.totalCounters.count == 1)
    }

    @Test func aMetricRuleOnAnUndeclaredPropertyIsWarnedAbout() throws {
        let event = DefinitionFolder.event("e", extra: "additional_properties:\n  label:\n    description: l")
        let metric = DefinitionFolder.metric(
            "m.x", timeFrame: "7d", events: "- name: e\n  unique: merge_request_iid\n  filter:\n    colour: red")
        let folder = try folder(events: ["e.yml": event], metrics: ["m.yml": metric])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let fields = catalog.warnings.map(\.field)
        #expect(fields.contains("events[0].unique"))
        #expect(fields.contains("events[0].filter.colour"))
        #expect(catalog.warnings.allSatisfy { $0.message.contains("never counts") })
    }

    @Test func removedMetricsAreNotCheckedForTheirEvents() throws {
        let removed =
            DefinitionFolder.metric("m.gone", timeFrame: "7d", events: "- name: deleted_event")
            .replacingOccurrences(of: "status: active", with: "status: removed")
            + "removed_by_url: https://example.com/r\nmilestone_removed: '2.0'\n"
        let folder = try folder(metrics: ["m.yml": removed])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.warnings.isEmpty, "\(catalog.warnings)")
    }

    static let operatorCases: [(String, String, String, String)] = [
        ("total without unique", "7d", "- name: test_event\n  operator: total", "events[0].operator"),
        ("sum with unique", "7d", "- name: test_event\n  unique: label\n  operator: sum(value)", "events[0].operator"),
        ("all-time unique total", "all", "- name: test_event\n  unique: label\n  operator: total", "time_frame"),
        ("unique on a dotted property", "7d", "- name: test_event\n  unique: user.email", "events[0].unique"),
        ("unique on a bare identifier", "7d", "- name: test_event\n  unique: project", "events[0].unique"),
        ("unique on a key-breaking name", "7d", "- name: test_event\n  unique: 'a b'", "events[0].unique"),
    ]

    @Test(arguments: operatorCases)
    func badRulesOfTheNewKindsAreNamed(what: String, frame: String, events: String, field: String) throws {
        let folder = try folder(metrics: ["m.yml": DefinitionFolder.metric("m.x", timeFrame: frame, events: events)])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.map(\.field) == [field], "\(what): \(errors)")
    }

    static func redisHLLMetric(_ keyPath: String, events: String) -> String {
        DefinitionFolder.metric(keyPath, timeFrame: "28d")
            .replacingOccurrences(of: "events:\n- name: test_event\n", with: "")
            .replacingOccurrences(of: "data_source: internal_events", with: "data_source: redis_hll")
            + "instrumentation_class: RedisHLLMetric\noptions:\n  events: \(events)\n"
    }
}
