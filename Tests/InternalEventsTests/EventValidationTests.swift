import InternalEvents
import TallyTestSupport
import Testing

/// Every rule of GitLab's event schema: a file that follows it loads, one that breaks it names file, line and field.
@Suite("Event definition rules")
struct EventValidationTests {
    @Test func aValidEventLoads() throws {
        let folder = try folder(events: [
            "e.yml": DefinitionFolder.event(
                "create_thing",
                extra: """
                    additional_properties:
                      label:
                        description: where
                      property:
                        description: what
                      custom_one:
                        description: custom, allowed because label and property are declared
                    status: active
                    classification: duo
                    """)
        ])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let event = try #require(catalog.events["create_thing"])
        #expect(event.identifiers == [.user, .project, .namespace])
        #expect(event.customProperties == ["custom_one"])
        #expect(event.tiers == [.free, .premium, .ultimate])
        #expect(event.source.line == 2)
    }

    /// (what is broken, file text, expected line, expected field, expected fragment of the message)
    static let brokenEvents: [(String, String, Int, String, String)] = [
        (
            "missing description",
            DefinitionFolder.event("x").replacingOccurrences(of: "description: Test event x\n", with: ""),
            2, "description", "required field is missing"
        ),
        ("bad action", DefinitionFolder.event("Bad-Name"), 4, "action", "^[a-z0-9_]+$"),
        (
            "action not a string",
            DefinitionFolder.event("x").replacingOccurrences(of: "action: x", with: "action: [x]"), 4,
            "action", "expected a string, found a list"
        ),
        (
            "unknown identifier", DefinitionFolder.event("x", identifiers: "[user, group]"), 5, "identifiers",
            "one of project, user, namespace, feature_enabled_by_namespace_ids, found \"group\""
        ),
        (
            "milestone as a number",
            DefinitionFolder.event("x").replacingOccurrences(of: "milestone: '1.0'", with: "milestone: 16.9"),
            7, "milestone", "expected a string, found number 16.9"
        ),
        (
            "milestone pattern",
            DefinitionFolder.event("x").replacingOccurrences(of: "milestone: '1.0'", with: "milestone: 'v1'"),
            7, "milestone", "like \"16.9\""
        ),
        (
            "bad URL",
            DefinitionFolder.event("x").replacingOccurrences(of: "https://example.com/mr/1", with: "not a url"), 8,
            "introduced_by_url", "absolute URL"
        ),
        (
            "bad tier",
            DefinitionFolder.event("x").replacingOccurrences(of: "[free, premium, ultimate]", with: "[gold]"), 9,
            "tiers", "found \"gold\""
        ),
        (
            "internal_events false",
            DefinitionFolder.event("x").replacingOccurrences(
                of: "internal_events: true", with: "internal_events: false"),
            3, "internal_events", "expected true"
        ),
        (
            "property without description",
            DefinitionFolder.event("x", extra: "additional_properties:\n  label:\n    text: no"), 12,
            "additional_properties.label.description", "required field is missing"
        ),
        (
            "removed without its URLs", DefinitionFolder.event("x", extra: "status: removed"), 10, "removed_by_url",
            "required when status is removed"
        ),
        (
            "active with a removal milestone",
            DefinitionFolder.event("x", extra: "status: active\nmilestone_removed: '2.0'"), 11,
            "milestone_removed", "must be empty while status is active"
        ),
        (
            "bad status", DefinitionFolder.event("x", extra: "status: gone"), 10, "status",
            "expected one of active, removed"
        ),
        (
            "bad classification", DefinitionFolder.event("x", extra: "classification: ai"), 10, "classification",
            "expected duo"
        ),
        (
            "extra_properties not a mapping", DefinitionFolder.event("x", extra: "extra_properties: [a]"), 10,
            "extra_properties",
            "expected a mapping or null"
        ),
    ]

    @Test(arguments: brokenEvents)
    func brokenEventsAreNamed(what: String, text: String, line: Int, field: String, fragment: String) throws {
        let folder = try folder(events: ["x.yml": text])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        let match = errors.first { $0.field == field }
        #expect(match != nil, "\(what): no error for \(field) in \(errors)")
        #expect(match?.line == line, "\(what): \(String(describing: match))")
        #expect(match?.message.contains(fragment) == true, "\(what): \(String(describing: match?.message))")
        #expect(match?.file.hasSuffix("events/x.yml") == true)
        #expect(match.map { "\($0)".hasPrefix("\($0.file):\(line): \(field): ") } == true)
    }

    @Test func valueAloneAllowsCustomProperties() throws {
        let folder = try folder(events: [
            "x.yml": DefinitionFolder.event(
                "x", extra: "additional_properties:\n  value:\n    description: v\n  rows:\n    description: r")
        ])
        #expect(try DefinitionLoader().load(from: [folder.url]).events["x"]?.customProperties == ["rows"])
    }

    @Test func duplicateActionsNameBothFiles() throws {
        let folder = try folder(events: [
            "a.yml": DefinitionFolder.event("same"), "b.yml": DefinitionFolder.event("same"),
        ])
        let errors = loadDiagnostics(folder).filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.file.hasSuffix("events/b.yml") == true)
        #expect(errors.first?.message.contains("events/a.yml:2") == true, "\(errors)")
    }

    @Test func legacyEventsMayShareAnAction() throws {
        let legacy = """
            description: Legacy Snowplow event
            category: Projects
            action: show
            product_group: testing
            milestone: '1.0'
            introduced_by_url: https://example.com/mr/1
            tiers: [free]
            """
        let folder = try folder(events: [
            "a.yml": legacy, "b.yml": legacy, "t.yml": DefinitionFolder.event("test_event"),
        ])
        let catalog = try DefinitionLoader().load(from: [folder.url])
        #expect(catalog.legacyEvents.count == 2)
        #expect(catalog.events.keys.sorted() == ["test_event"])
    }

    @Test func unknownFieldsWarnOrFailWhenStrict() throws {
        let folder = try folder(events: ["x.yml": DefinitionFolder.event("x", extra: "colour: blue")])
        let relaxed = loadDiagnostics(folder)
        #expect(relaxed.count == 1)
        #expect(relaxed.first?.severity == .warning)
        #expect(relaxed.first?.field == "colour")
        #expect(relaxed.first?.line == 10)
        let strict = loadDiagnostics(folder, options: .init(strict: true))
        #expect(strict.first?.severity == .error)
    }

    @Test func configuredProductGroups() throws {
        let folder = try folder(events: ["x.yml": DefinitionFolder.event("x")])
        #expect(throws: Never.self) {
            try DefinitionLoader(options: .init(productGroups: ["testing"])).load(from: [folder.url])
        }
        let errors = loadDiagnostics(folder, options: .init(productGroups: ["billing"]))
        #expect(errors.first?.field == "product_group")
        #expect(errors.first?.message.contains("not in the configured list") == true)
    }

    @Test func configuredProductCategories() throws {
        let folder = try folder(events: [
            "x.yml": DefinitionFolder.event("x", extra: "product_categories: [notes, billing]")
        ])
        #expect(throws: Never.self) {
            try DefinitionLoader(options: .init(productCategories: ["notes", "billing"])).load(from: [folder.url])
        }
        let errors = loadDiagnostics(folder, options: .init(productCategories: ["notes"]))
        #expect(errors.first?.field == "product_categories")
        #expect(errors.first?.message.contains("\"billing\" is not in the configured list") == true)
    }
}
