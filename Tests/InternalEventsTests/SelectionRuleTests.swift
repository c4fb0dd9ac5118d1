import InternalEvents
import TallyTestSupport
import Testing

@Suite("Event selection rules and legacy aliases")
struct SelectionRuleTests {
    @Test func canonicalFormSortsFilterKeys() {
        let rule = EventSelectionRule(
            name: "pull_package", isTimeFramed: true,
            filter: ["property": .string("deploy_token"), "label": .string("rubygems")],
            unique: .projectID)
        #expect(rule.canonicalFilter == "label:rubygems,property:deploy_token")
        #expect(rule.pathPart == "pull_package-filter:[label:rubygems,property:deploy_token]-project")
        #expect(rule.kind == .unique)
        let sum = EventSelectionRule(name: "my_event", isTimeFramed: false, aggregation: .sumOfValue)
        #expect(sum.pathPart == "my_event-operator:sum(value)")
        #expect(sum.kind == .sum)
        #expect(
            EventSelectionRule(name: "e", isTimeFramed: false, filter: ["value": .integer(5)]).pathPart
                == "e-filter:[value:5]")
    }

    @Test func filtersMatchExactly() {
        let rule = EventSelectionRule(
            name: "e", isTimeFramed: true, filter: ["label": .string("npm"), "value": .integer(5)])
        #expect(rule.matches(["label": .string("npm"), "value": .double(5)]))
        #expect(rule.matches(["label": .string("npm"), "value": .integer(5), "property": .string("extra")]))
        #expect(!rule.matches(["label": .string("NPM"), "value": .integer(5)]))
        #expect(!rule.matches(["label": .string("npm")]))
        #expect(!rule.matches(["label": .string("npm"), "value": .string("5")]))
    }

    @Test func catalogRulesPerEvent() throws {
        let folder = try folder(metrics: [
            "a.yml": DefinitionFolder.metric(
                "counts.a", timeFrame: "[28d, 7d]", events: "- name: test_event\n  unique: user.id"),
            "b.yml": DefinitionFolder.metric("counts.b", timeFrame: "all"),
            "c.yml": DefinitionFolder.metric(
                "counts.c", timeFrame: "7d", events: "- name: test_event\n  filter:\n    label: x"),
        ])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let rules = catalog.rules(forEvent: "test_event")
        // Implicit all-time and weekly totals; the unique rule once (both frames are weekly); the all-time total of
        // counts.b is the implicit one again; the filtered weekly total.
        #expect(
            rules == [
                EventSelectionRule(name: "test_event", isTimeFramed: false),
                EventSelectionRule(name: "test_event", isTimeFramed: true),
                EventSelectionRule(name: "test_event", isTimeFramed: true, unique: .userID),
                EventSelectionRule(name: "test_event", isTimeFramed: true, filter: ["label": .string("x")]),
            ])
        #expect(catalog.rules(forEvent: "unknown").isEmpty)
        #expect(catalog.metrics(readingEvent: "test_event").count == 4)
    }

    @Test func legacyAliasesLoadFromTheFolderOrAnOption() throws {
        let folder = try folder()
        try folder.write(
            "total_counter_redis_key_overrides.yml",
            "'{event_counters}_create_merge_request': USAGE_MERGE_REQUEST_CREATE\n")
        let extra = try DefinitionFolder()
        try extra.write("hll_redis_key_overrides.yml", "g_edit_by_web_ide-user: g_edit_by_web_ide\n")
        let catalog = try DefinitionLoader(options: .init(legacyAliasesDirectory: extra.url)).load(from: [folder.url])
        #expect(
            catalog.legacyAliases.totalCounters == [
                "{event_counters}_create_merge_request": "USAGE_MERGE_REQUEST_CREATE"
            ])
        #expect(catalog.legacyAliases.rulePaths == ["g_edit_by_web_ide-user": "g_edit_by_web_ide"])
    }

    @Test func badAliasFilesAreNamed() throws {
        let folder = try folder()
        try folder.write("hll_redis_key_overrides.yml", "a-user: [not, a, name]\n")
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.first?.file.hasSuffix("hll_redis_key_overrides.yml") == true)
        #expect(errors.first?.field == "a-user")
    }
}
