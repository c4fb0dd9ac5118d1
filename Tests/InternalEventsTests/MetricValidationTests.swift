import InternalEvents
import TallyTestSupport
import Testing

/// Every rule of GitLab's metric schema and its parts, each with a passing and a failing case.
@Suite("Metric definition rules")
struct MetricValidationTests {
    static func metric(_ replacing: String, with replacement: String, extra: String = "") -> String {
        DefinitionFolder.metric("counts.x", extra: extra).replacingOccurrences(of: replacing, with: replacement)
    }

    static let legacyHLL = """
        ---
        key_path: redis_hll_counters.x
        description: Legacy unique count
        product_group: testing
        value_type: number
        status: active
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        time_frame: 28d
        data_source: redis_hll
        data_category: optional
        tiers: [free]

        """

    static let redisMetric = """
        ---
        key_path: counts.source_code_pushes
        description: Legacy counter
        product_group: testing
        value_type: number
        status: active
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        time_frame: all
        data_source: redis
        data_category: optional
        tiers: [free]

        """

    /// (what, file text, line, field, message fragment)
    static let brokenMetrics: [(String, String, Int, String, String)] = [
        ("missing key_path", metric("key_path: counts.x\n", with: ""), 2, "key_path", "required field is missing"),
        (
            "bad value_type", metric("value_type: number", with: "value_type: integer"), 5, "value_type",
            "string, number, boolean, object"
        ),
        ("bad status", metric("status: active", with: "status: draft"), 6, "status", "active, removed, broken"),
        (
            "bad data_source", metric("data_source: internal_events", with: "data_source: kafka"), 10, "data_source",
            "found \"kafka\""
        ),
        (
            "bad data_category", metric("data_category: optional", with: "data_category: secret"), 11, "data_category",
            "operational"
        ),
        ("bad time_frame", metric("time_frame: 28d", with: "time_frame: 30d"), 9, "time_frame", "found \"30d\""),
        (
            "none in a list", metric("time_frame: 28d", with: "time_frame: [7d, none]"), 9, "time_frame",
            "none can't be part of a list"
        ),
        ("repeated frame", metric("time_frame: 28d", with: "time_frame: [7d, 7d]"), 9, "time_frame", "listed twice"),
        ("milestone pattern", metric("milestone: '1.0'", with: "milestone: 'one'"), 7, "milestone", "like \"16.9\""),
        (
            "milestone null", metric("milestone: '1.0'", with: "milestone:"), 7, "milestone",
            "expected a string, found null"
        ),
        (
            "introduced_by_url null", metric("introduced_by_url: https://example.com/mr/1", with: "introduced_by_url:"),
            8, "introduced_by_url", "found null"
        ),
        ("duplicate tiers", metric("tiers: [free]", with: "tiers: [free, free]"), 14, "tiers", "listed twice"),
        (
            "bad indicator", metric("x", with: "x", extra: "performance_indicator_type: [kpi]"), 15,
            "performance_indicator_type", "gmau"
        ),
        ("options not a mapping", metric("x", with: "x", extra: "options: [a]"), 15, "options", "expected a mapping"),
        (
            "object without schema", metric("value_type: number", with: "value_type: object"), 5, "value_json_schema",
            "required when value_type is object"
        ),
        (
            "broken without repair URL", metric("status: active", with: "status: broken"), 6, "repair_issue_url",
            "required when status is broken"
        ),
        (
            "removed without URL", metric("status: active", with: "status: removed"), 6, "removed_by_url",
            "required when status is removed"
        ),
        (
            "removed without milestone", metric("status: active", with: "status: removed"), 6, "milestone_removed",
            "required when status is removed"
        ),
        (
            "internal events with a class", metric("x", with: "x", extra: "instrumentation_class: TotalCountMetric"),
            15, "instrumentation_class",
            "not allowed for data_source internal_events"
        ),
        (
            "bad class name", metric("x", with: "x", extra: "instrumentation_class: redis_metric"), 15,
            "instrumentation_class", "class name"
        ),
        (
            "internal events without events", metric("events:\n- name: test_event\n", with: ""), 2, "events",
            "required for data_source internal_events"
        ),
        (
            "events not a list", metric("events:\n- name: test_event", with: "events: test_event"), 12, "events",
            "expected a list"
        ),
        (
            "event without name", metric("- name: test_event", with: "- unique: user.id"), 13, "events[0].name",
            "required field is missing"
        ),
        (
            "bad unique", metric("- name: test_event", with: "- name: test_event\n  unique: user.email"), 14,
            "events[0].unique", "user.id"
        ),
        (
            "bad operator", metric("- name: test_event", with: "- name: test_event\n  operator: avg(value)"), 14,
            "events[0].operator", "sum(value)"
        ),
        (
            "unknown rule key", metric("- name: test_event", with: "- name: test_event\n  window: 3"), 14,
            "events[0].window", "unknown field"
        ),
        (
            "filter label not a string",
            metric("- name: test_event", with: "- name: test_event\n  filter:\n    label: 5"), 15,
            "events[0].filter.label", "expected a string, found number 5"
        ),
        (
            "filter value not a number",
            metric("- name: test_event", with: "- name: test_event\n  filter:\n    value: many"), 15,
            "events[0].filter.value", "expected a number"
        ),
        (
            "filter custom not scalar",
            metric("- name: test_event", with: "- name: test_event\n  filter:\n    size: [1]"), 15,
            "events[0].filter.size", "a string or a number"
        ),
        (
            "unique all-time",
            metric("time_frame: 28d", with: "time_frame: all").replacingOccurrences(
                of: "- name: test_event", with: "- name: test_event\n  unique: user.id"),
            9, "time_frame", "expected 7d or 28d, found all"
        ),
        (
            "unique inside a list with all",
            metric("time_frame: 28d", with: "time_frame: [7d, all]").replacingOccurrences(
                of: "- name: test_event", with: "- name: test_event\n  unique: user.id"),
            9, "time_frame", "found all"
        ),
        (
            "mixed unique and total",
            metric("- name: test_event", with: "- name: test_event\n  unique: user.id\n- name: test_event"), 12,
            "events",
            "mixes total and unique rules"
        ),
        (
            "undefined event", metric("- name: test_event", with: "- name: nobody_defines_me"), 2, "events[0].name",
            "is not defined"
        ),
        ("redis_hll without class", legacyHLL, 2, "instrumentation_class", "RedisHLLMetric or AggregatedMetric"),
        (
            "RedisHLLMetric without events", legacyHLL + "instrumentation_class: RedisHLLMetric\n", 13, "options",
            "options.events (or events)"
        ),
        (
            "RedisHLLMetric with other options",
            legacyHLL + "instrumentation_class: RedisHLLMetric\noptions:\n  events: [a]\n  window: 3\n", 14,
            "options", "unknown option window"
        ),
        (
            "AggregatedMetric without attribute",
            legacyHLL + "instrumentation_class: AggregatedMetric\noptions:\n  events: [a]\n", 14, "options",
            "options.aggregate.attribute"
        ),
        ("redis without RedisMetric", redisMetric, 2, "instrumentation_class", "RedisMetric"),
        (
            "RedisMetric without prefix",
            redisMetric + "instrumentation_class: RedisMetric\noptions:\n  event: pushes\n", 14, "options",
            "options.prefix"
        ),
        (
            "RedisMetric with a bad flag",
            redisMetric
                + "instrumentation_class: RedisMetric\noptions:\n  event: pushes\n  prefix: source_code\n  include_usage_prefix: 1\n",
            14, "options", "include_usage_prefix must be true or false"
        ),
    ]

    @Test(arguments: brokenMetrics)
    func brokenMetricsAreNamed(what: String, text: String, line: Int, field: String, fragment: String) throws {
        let folder = try folder(metrics: ["counts_28d/m.yml": text])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        let match = errors.first { $0.field == field && $0.message.contains(fragment) }
        #expect(match != nil, "\(what): no \(field) error containing \"\(fragment)\" in \(errors.map(\.description))")
        #expect(match?.line == line, "\(what): \(String(describing: match))")
        #expect(match?.file.hasSuffix("metrics/counts_28d/m.yml") == true)
    }

    /// Files that follow each rule.
    static let validMetrics: [(String, String)] = [
        ("total all-time", metric("time_frame: 28d", with: "time_frame: all")),
        (
            "unique weekly",
            metric("- name: test_event", with: "- name: test_event\n  unique: user.id").replacingOccurrences(
                of: "28d", with: "7d")
        ),
        ("unique per label", metric("- name: test_event", with: "- name: test_event\n  unique: label")),
        ("sum", metric("- name: test_event", with: "- name: test_event\n  operator: sum(value)")),
        (
            "filters of every type",
            metric(
                "- name: test_event",
                with: "- name: test_event\n  filter:\n    label: npm\n    value: 5\n    size: 1.5\n    kind: big")
        ),
        (
            "union of two events",
            metric(
                "- name: test_event",
                with:
                    "- name: test_event\n  unique: user.id\n- name: test_event\n  unique: user.id\n  filter:\n    label: x"
            )
        ),
        (
            "object with schema",
            metric("value_type: number", with: "value_type: object", extra: "value_json_schema: schema.json")
        ),
        (
            "broken with repair URL",
            metric("status: active", with: "status: broken", extra: "repair_issue_url: https://example.com/i/1")
        ),
        (
            "removed with its fields",
            metric("status: active", with: "status: removed", extra: "removed_by_url:\nmilestone_removed: '2.0'")
        ),
        (
            "RedisHLLMetric with options",
            legacyHLL + "instrumentation_class: RedisHLLMetric\noptions:\n  events: [a, b]\n"
        ),
        (
            "RedisHLLMetric with events",
            legacyHLL + "instrumentation_class: RedisHLLMetric\nevents:\n- name: a\n  unique: user.id\n"
        ),
        (
            "AggregatedMetric",
            legacyHLL
                + "instrumentation_class: AggregatedMetric\noptions:\n  aggregate:\n    attribute: user.id\n  events: [a, b]\n"
        ),
        (
            "legacy key path",
            legacyHLL.replacingOccurrences(
                of: "redis_hll_counters.x", with: "usage_activity_by_stage_monthly.create.merge_requests_users")
        ),
        (
            "RedisMetric",
            redisMetric
                + "instrumentation_class: RedisMetric\noptions:\n  event: pushes\n  prefix: source_code\n  include_usage_prefix: false\n"
        ),
        (
            "removed redis metric",
            redisMetric.replacingOccurrences(
                of: "status: active",
                with: "status: removed\nremoved_by_url: https://example.com/mr/2\nmilestone_removed: '2.0'")
        ),
        (
            "database with a class",
            metric(
                "data_source: internal_events", with: "data_source: database",
                extra: "instrumentation_class: CountUsersMetric")
        ),
        (
            "name-spaced class",
            metric(
                "data_source: internal_events", with: "data_source: system",
                extra: "instrumentation_class: Gitlab::Usage::UuidMetric")
        ),
    ]

    @Test(arguments: validMetrics)
    func validMetricsLoad(what: String, text: String) throws {
        let folder = try folder(metrics: ["counts_28d/m.yml": text])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(what): \(errors.map(\.description))")
    }

    @Test func timeFrameListsExpand() throws {
        let folder = try folder(metrics: ["m.yml": Self.metric("time_frame: 28d", with: "time_frame: [28d, 7d, all]")])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.metrics.map(\.keyPath) == ["counts.x", "counts.x_monthly", "counts.x_weekly"])
        #expect(catalog.metrics.map(\.timeFrame) == [.all, .twentyEightDays, .sevenDays])
        #expect(catalog.metrics.allSatisfy { $0.declaredKeyPath == "counts.x" })
    }

    @Test func duplicateKeyPathsNameBothFiles() throws {
        let folder = try folder(metrics: [
            "a.yml": DefinitionFolder.metric("counts.same"), "b.yml": DefinitionFolder.metric("counts.same"),
        ])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.field == "key_path")
        #expect(errors.first?.file.hasSuffix("metrics/b.yml") == true)
        #expect(errors.first?.message.contains("metrics/a.yml:2") == true)
    }

    @Test func expandedKeyPathsClashToo() throws {
        let folder = try folder(metrics: [
            "a.yml": DefinitionFolder.metric("counts.x", timeFrame: "[28d, 7d]"),
            "b.yml": DefinitionFolder.metric("counts.x_weekly", timeFrame: "7d"),
        ])
        #expect(loadDiagnostics(folder).contains { $0.severity == .error && $0.message.contains("counts.x_weekly") })
    }

    @Test func undefinedLegacyOptionEventsOnlyWarn() throws {
        let folder = try folder(metrics: [
            "m.yml": Self.legacyHLL + "instrumentation_class: RedisHLLMetric\noptions:\n  events: [legacy_one]\n"
        ])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.warnings.count == 1)
        #expect(catalog.warnings.first?.message.contains("legacy event \"legacy_one\"") == true)
    }

    @Test func undefinedEventsCanBeAllowed() throws {
        let folder = try folder(metrics: ["m.yml": Self.metric("- name: test_event", with: "- name: elsewhere")])
        let catalog = try DefinitionLoader(options: .init(allowsUndefinedEvents: true)).load(from: [folder.url])
        #expect(catalog.warnings.first?.field == "events[0].name")
    }
}
