import Foundation
import InternalEvents
import TallyTestSupport
import Testing

// The checkable expectations of GitLab's own specs (GitLab master, early 2026), in Tally's words and fixtures. Each
// test names the `describe`/`context`/`it` it comes from. Unique totals are in UniqueTotalsTests; the request spec
// of /api/v4/usage_data is in TallyServerTests.

/// `spec/lib/gitlab/usage/event_selection_rule_spec.rb`.
@Suite("GitLab spec: EventSelectionRule")
struct EventSelectionRuleSpecTests {
    let scheme = CounterKeyScheme()

    // describe '#redis_key_for_date' (date 2023-10-19, ISO week 2023-42)
    @Test func redisKeyForDate() {
        let week = ISOWeek(containing: TestEnvironment.day("2023-10-19"))
        func key(_ filter: [String: PropertyValue], unique: UniqueIdentifier? = nil, framed: Bool = false) -> String {
            scheme.key(
                for: EventSelectionRule(name: "example_event", isTimeFramed: framed, filter: filter, unique: unique),
                week: week)
        }
        // context 'without a filter' / it 'returns the key name'
        #expect(key([:]) == "{event_counters}_example_event")
        // context 'with a single property filter'
        #expect(key(["label": .string("npm")]) == "{event_counters}_example_event-filter:[label:npm]")
        // context 'with a multi property filter that is unordered'
        let unordered: [String: PropertyValue] = ["property": .string("deploy_token"), "label": .string("npm")]
        #expect(key(unordered) == "{event_counters}_example_event-filter:[label:npm,property:deploy_token]")
        // context 'with unique identifier': the key also matches Gitlab::Redis::HLL::KEY_REGEX
        let unique = key(unordered, unique: .userID)
        #expect(unique == "{hll_counters}_example_event-filter:[label:npm,property:deploy_token]-user")
        #expect(unique.range(of: #"^([\w\-:])*\{\w*\}([\w\-:\[,\]])*$"#, options: .regularExpression) != nil)
        // context "when time framed" / it 'adds the key prefix and suffix to the event name'
        #expect(
            scheme.key(for: EventSelectionRule(name: "my_event", isTimeFramed: true), week: week)
                == "{event_counters}_my_event-2023-42")
    }

    /// `redis_keys_for_time_frame` at 2024-06-01 (a Saturday in ISO week 2024-22): the keys a metric reads.
    func keys(_ rule: EventSelectionRule, _ frame: TimeFrame, scheme: CounterKeyScheme? = nil) -> [String] {
        let scheme = scheme ?? self.scheme
        let now = ISOWeek(containing: TestEnvironment.day("2024-06-01"))
        if frame == .all { return [scheme.key(for: rule, week: now)] }
        return now.completeWeeks(for: frame).map { scheme.key(for: rule, week: $0) }.sorted()
    }

    // describe '#redis_keys_for_time_frame' / context 'without a filter'
    @Test func redisKeysForTimeFrameWithoutAFilter() {
        #expect(keys(.init(name: "an_event", isTimeFramed: false), .all) == ["{event_counters}_an_event"])
        #expect(keys(.init(name: "an_event", isTimeFramed: true), .sevenDays) == ["{event_counters}_an_event-2024-21"])
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true), .twentyEightDays)
                == (18...21).map { "{event_counters}_an_event-2024-\($0)" })
    }

    // describe '#redis_keys_for_time_frame' / context 'with a filter'
    @Test func redisKeysForTimeFrameWithAFilter() {
        let foo: [String: PropertyValue] = ["label": .string("foo")]
        #expect(
            keys(.init(name: "an_event", isTimeFramed: false, filter: foo), .all)
                == ["{event_counters}_an_event-filter:[label:foo]"])
        // context 'when unique_identifier_name is nil'
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true, filter: foo), .sevenDays)
                == ["{event_counters}_an_event-filter:[label:foo]-2024-21"])
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true, filter: foo), .twentyEightDays)
                == (18...21).map { "{event_counters}_an_event-filter:[label:foo]-2024-\($0)" })
        // context 'when key is overridden' / it 'uses the legacy key'
        let overridden = CounterKeyScheme(aliases: .init(rulePaths: ["an_event-filter:[label:foo]": "a_legacy_key"]))
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true, filter: foo), .sevenDays, scheme: overridden)
                == ["{event_counters}_a_legacy_key-2024-21"])
        // context 'when unique_identifier_name is set'
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true, filter: foo, unique: .userID), .sevenDays)
                == ["{hll_counters}_an_event-filter:[label:foo]-user-2024-21"])
        #expect(
            keys(.init(name: "an_event", isTimeFramed: true, filter: foo, unique: .userID), .twentyEightDays)
                == (18...21).map { "{hll_counters}_an_event-filter:[label:foo]-user-2024-\($0)" })
    }

    // describe '#total_counter?'
    @Test func totalCounter() {
        #expect(EventSelectionRule(name: "an_event", isTimeFramed: true, unique: .userID).kind != .total)
        #expect(EventSelectionRule(name: "an_event", isTimeFramed: true).kind == .total)
    }

    // describe '.matches?'
    @Test func matches() {
        let unfiltered = EventSelectionRule(name: "an_event", isTimeFramed: true, unique: .userID)
        #expect(unfiltered.matches([:]))
        #expect(unfiltered.matches(["label": .string("label1")]))
        let filtered = EventSelectionRule(
            name: "an_event", isTimeFramed: true, filter: ["label": .string("label1")], unique: .userID)
        #expect(filtered.matches(["label": .string("label1"), "proeprty": .string("prop1")]))
        #expect(!filtered.matches(["proeprty": .string("prop1")]))
        #expect(!filtered.matches([:]))
    }

    // describe 'object equality - #eql'
    @Test func objectEquality() {
        func make(
            name: String = "an_event", framed: Bool = true,
            filter: [String: PropertyValue] = ["label": .string("a_value")],
            unique: UniqueIdentifier? = .userID
        ) -> EventSelectionRule {
            EventSelectionRule(name: name, isTimeFramed: framed, filter: filter, unique: unique)
        }
        #expect(make() == make() && make().hashValue == make().hashValue)
        for other in [
            make(name: "another_event"), make(framed: false), make(filter: [:]),
            make(filter: ["label": .string("another_value")]), make(filter: ["property": .string("a_property")]),
            make(unique: nil), make(unique: .namespaceID),
        ] {
            #expect(make() != other)
            #expect(make().hashValue != other.hashValue)
        }
        // Newer than the spec: the operator is part of a rule's identity too.
        #expect(
            make(unique: .label)
                != EventSelectionRule(
                    name: "an_event", isTimeFramed: true, filter: ["label": .string("a_value")], unique: .label,
                    aggregation: .total))
    }
}

/// `spec/lib/gitlab/tracking/event_validator_spec.rb`. GitLab's checks of `user`/`project`/`namespace` types are
/// Swift's types here (`UserID`, `ProjectID`, `NamespaceID`); booleans and lists can't be a `PropertyValue`, and the
/// HTTP API refuses them (TallyServerTests).
@Suite("GitLab spec: EventValidator")
struct EventValidatorSpecTests {
    let catalog: DefinitionCatalog
    let folder: DefinitionFolder

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/test_event.yml",
            DefinitionFolder.event("test_event", extra: "additional_properties:\n  lang:\n    description: Language"))
        try folder.write(
            "metrics/m.yml",
            GitLabLoadingRulesTests.redisHLLMetric("m.legacy", events: "[a_legacy_event]"))
        try folder.write("hll_redis_legacy_events.yml", "- a_legacy_event\n")
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func validate(_ properties: [String: PropertyValue], event: String = "test_event") throws(TrackingError) {
        _ = try Tracker(catalog: catalog, sinks: []).validate(
            event, user: 1, project: 2, namespace: nil, properties: properties)
    }

    // context 'when event exists and properties are valid' / it 'does not raise an error'
    @Test func validPropertiesPass() throws {
        try validate([
            "label": .string("test_label"), "property": .string("test_property"), "value": .integer(1),
            "lang": .string("eng"),
        ])
    }

    // context 'when event does not exist' / it 'raises an UnknownEventError'
    @Test func anUnknownEventIsRefused() {
        #expect { try validate([:], event: "no_such_event") } throws: { ($0 as? TrackingError)?.code == .unknownEvent }
    }

    // context 'when event is a legacy event' / context 'in dev or test' / it 'raises an error': a legacy event has
    // no definition, so strict tracking refuses it (`increment_unique_users` is how it is counted); production
    // `track` never raises either way.
    @Test func aLegacyEventIsRefusedInStrictTracking() async {
        let tracker = Tracker(catalog: catalog, sinks: [])
        await #expect { try await tracker.trackStrictly("a_legacy_event") } throws: {
            ($0 as? TrackingError)?.code == .unknownEvent
        }
        tracker.track("a_legacy_event")
        #expect(tracker.statistics.rejected == 2)
    }

    // context 'when an additional property is invalid' ({ label: 123 }, { value: 'test_value' })
    @Test func baseAdditionalPropertiesHaveTheirTypes() {
        for bad in [["label": PropertyValue.integer(123)], ["value": .string("test_value")], ["property": .double(1)]] {
            #expect { try validate(bad) } throws: { ($0 as? TrackingError)?.code == .invalidProperty }
        }
    }

    // context 'when custom additional properties are not defined in event definition'
    @Test func anUndeclaredCustomPropertyIsRefusedByName() {
        #expect {
            try validate(["custom_property": .string("value")])
        } throws: { error in
            guard let error = error as? TrackingError else { return false }
            return error.code == .undeclaredProperty && error.message.contains("custom_property")
        }
    }
}

/// `spec/lib/gitlab/internal_events_spec.rb`: which keys one tracked event writes (the Redis calls themselves are
/// checked against a real Redis in RedisTrackingTests and UniqueTotalsTests).
@Suite("GitLab spec: InternalEvents.track_event")
struct InternalEventsSpecTests {
    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    /// 2025-02-12, ISO week 2025-07.
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/an_event.yml",
            DefinitionFolder.event(
                "an_event",
                extra: """
                    additional_properties:
                      label:
                        description: l
                      property:
                        description: p
                      value:
                        description: v
                      custom:
                        description: c
                    """))
        for (name, frame, events) in [
            ("label", "7d", "- name: an_event\n  filter:\n    label: label_name"),
            ("another", "7d", "- name: an_event\n  filter:\n    label: another_label_value"),
            ("label_value", "7d", "- name: an_event\n  filter:\n    label: label_name\n    value: 16.17"),
            ("custom", "7d", "- name: an_event\n  filter:\n    custom: custom_property"),
            ("label_all", "all", "- name: an_event\n  filter:\n    label: label_name"),
            ("label_value_all", "all", "- name: an_event\n  filter:\n    label: label_name\n    value: 16.17"),
            ("users", "7d", "- name: an_event\n  unique: user.id"),
            ("projects", "7d", "- name: an_event\n  unique: project.id"),
            ("labels", "7d", "- name: an_event\n  unique: label"),
            ("sum", "7d", "- name: an_event\n  operator: sum(value)"),
        ] {
            try folder.write(
                "metrics/\(name).yml", DefinitionFolder.metric("m.\(name)", timeFrame: frame, events: events))
        }
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func writes(
        scheme: CounterKeyScheme = .init(), user: UserID? = 1, project: ProjectID? = 3,
        _ properties: [String: PropertyValue]
    ) throws -> [CounterWrite] {
        let tracker = Tracker(catalog: catalog, sinks: [], clock: clock)
        let event = try tracker.validate(
            "an_event", user: user, project: project, namespace: nil, properties: properties)
        return CounterWritePlanner(catalog: catalog, scheme: scheme).writes(for: event)
    }

    let matching: [String: PropertyValue] = [
        "label": .string("label_name"), "property": .string("property_name"), "value": .double(16.17),
    ]

    // context 'when a filter is defined' / context 'when event selection rule is time framed'
    @Test func filteredWeeklyTotalsOfAMatchingEvent() throws {
        let keys = Set(try writes(matching).filter { if case .increment = $0 { true } else { false } }.map(\.key))
        #expect(keys.contains("{event_counters}_an_event-filter:[label:label_name]-2025-07"))
        #expect(keys.contains("{event_counters}_an_event-filter:[label:label_name,value:16.17]-2025-07"))
        #expect(keys.contains("{event_counters}_an_event-2025-07"))
        #expect(!keys.contains { $0.contains("another_label_value") || $0.contains("custom") })
    }

    // context 'when event selection rule has a filter on a custom property'
    @Test func aFilterOnACustomProperty() throws {
        let keys = Set(try writes(["custom": .string("custom_property")]).map(\.key))
        #expect(keys.contains("{event_counters}_an_event-filter:[custom:custom_property]-2025-07"))
        #expect(!keys.contains { $0.contains("label_name") })
    }

    // context 'when redis key is overridden in total_counter_redis_key_overrides.yml'
    @Test func overriddenAllTimeKeys() throws {
        let scheme = CounterKeyScheme(
            aliases: .init(totalCounters: [
                "{event_counters}_an_event-filter:[label:label_name]": "SOME_LEGACY_KEY",
                "{event_counters}_an_event-filter:[label:label_name,value:16.17]": "ANOTHER_LEGACY_KEY",
                "{event_counters}_an_event": "A_THIRD_LEGACY_KEY",
            ]))
        let keys = Set(try writes(scheme: scheme, matching).map(\.key))
        #expect(keys.isSuperset(of: ["SOME_LEGACY_KEY", "ANOTHER_LEGACY_KEY", "A_THIRD_LEGACY_KEY"]))
    }

    // context 'when event selection rule is not time framed' / context 'when a non-matching event is tracked'
    @Test func aNonMatchingEventCountsOnlyTheUnfilteredTotals() throws {
        let totals = try writes(["label": .string("unrelated_string")]).filter {
            if case .increment = $0 { true } else { false }
        }
        #expect(Set(totals.map(\.key)) == ["{event_counters}_an_event", "{event_counters}_an_event-2025-07"])
    }

    // it 'updates sums'
    @Test func sumsAddTheValue() throws {
        #expect(
            try writes(matching).contains(
                .incrementFloat(key: "{event_sums}_an_event-operator:sum(value)-2025-07", by: 16.17, weekly: true)))
    }

    // context 'when there are multiple unique keys' / it 'all of them are used when logging to RedisHLL'
    // context 'when unique key is an additional property'
    @Test func everyUniqueRuleGetsItsMember() throws {
        let writes = try writes(user: 1, project: 3, ["label": .string("label")])
        #expect(writes.contains(.addUnique(key: "{hll_counters}_an_event-user-2025-07", members: ["1"])))
        #expect(writes.contains(.addUnique(key: "{hll_counters}_an_event-project-2025-07", members: ["3"])))
        #expect(writes.contains(.addUnique(key: "{hll_counters}_an_event-label-2025-07", members: ["label"])))
    }

    // context 'when unique key is defined' / context 'when property is missing' / it 'updates Redis and snowplow
    // but not RedisHLL'
    @Test func aMissingIdentifierSkipsOnlyItsUniqueRule() throws {
        let writes = try writes(user: nil, project: nil, [:])
        #expect(!writes.contains { if case .addUnique = $0 { true } else { false } })
        #expect(writes.contains(.increment(key: "{event_counters}_an_event", by: 1, weekly: false)))
    }
}
