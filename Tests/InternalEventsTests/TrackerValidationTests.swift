import Foundation
import InternalEvents
import TallyTestSupport
import Testing

/// GitLab's validation of tracked events, against a recording sink.
@Suite("Tracker validation")
struct TrackerValidationTests {
    let catalog: DefinitionCatalog
    let folder: DefinitionFolder

    init() throws {
        folder = try DefinitionFolder()
        try folder.write(
            "events/note.yml",
            DefinitionFolder.event(
                "create_note", identifiers: "[user, project]",
                extra:
                    "additional_properties:\n  label:\n    description: l\n  value:\n    description: v\n  size:\n    description: custom"
            ))
        try folder.write("events/bare.yml", DefinitionFolder.event("bare", identifiers: "null"))
        catalog = try DefinitionLoader().load(from: [folder.url])
    }

    func tracker(sink: RecordingEventSink) -> Tracker {
        Tracker(catalog: catalog, sinks: [sink], clock: FixedWallClock(Date(timeIntervalSince1970: 1_739_361_600)))
    }

    static let bad: [(String, UserID?, ProjectID?, NamespaceID?, [String: PropertyValue], TrackingError.Code, String)] =
        [
            ("nope", 1, nil, nil, [:], .unknownEvent, "Unknown event: nope"),
            ("create_note", nil, nil, 5, [:], .invalidIdentifier, "namespace is not an identifier of create_note"),
            ("create_note", 0, nil, nil, [:], .invalidIdentifier, "user id must be positive"),
            ("create_note", 1, nil, nil, ["label": .integer(3)], .invalidProperty, "label must be a string"),
            ("create_note", 1, nil, nil, ["property": .double(1)], .invalidProperty, "property must be a string"),
            ("create_note", 1, nil, nil, ["value": .string("ten")], .invalidProperty, "value must be a number"),
            (
                "create_note", 1, nil, nil, ["secret": .string("x")], .undeclaredProperty,
                "custom property secret is not declared"
            ),
        ]

    @Test(arguments: bad)
    func trackStrictlyThrows(
        event: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?, properties: [String: PropertyValue],
        code: TrackingError.Code, message: String
    ) async {
        let sink = RecordingEventSink()
        let tracker = tracker(sink: sink)
        do {
            try await tracker.trackStrictly(
                event, user: user, project: project, namespace: namespace, additionalProperties: properties)
            Issue.record("accepted")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(sink.events.isEmpty)
        #expect(tracker.statistics.rejected == 1)
    }

    @Test(arguments: bad)
    func trackCountsAndGoesOn(
        event: String, user: UserID?, project: ProjectID?, namespace: NamespaceID?, properties: [String: PropertyValue],
        code: TrackingError.Code, message: String
    ) {
        let sink = RecordingEventSink()
        let tracker = tracker(sink: sink)
        tracker.track(
            event, user: user, project: project, namespace: namespace, additionalProperties: properties)
        #expect(sink.events.isEmpty)
        #expect(tracker.statistics == (accepted: 0, rejected: 1, sinkFailures: 0))
    }

    @Test func validEventsReachSinksWithDeclaredPropertiesOnly() async throws {
        let sink = RecordingEventSink()
        let tracker = tracker(sink: sink)
        try await tracker.trackStrictly(
            "create_note", user: 42, project: 7,
            additionalProperties: ["label": .string("x"), "size": .integer(3), "property": .string("undeclared base")])
        tracker.track("bare", user: 1, project: 2, namespace: 3)
        let events = sink.events
        #expect(events.count == 2)
        #expect(
            events[0].properties == ["label": .string("x"), "size": .integer(3)],
            "an undeclared base property is dropped")
        #expect(events[0].user == 42 && events[0].project == 7)
        #expect(events[0].timestamp == Date(timeIntervalSince1970: 1_739_361_600))
        #expect(events[0].rules == catalog.rules(forEvent: "create_note"))
        #expect(tracker.statistics.accepted == 2)
    }

    @Test func aFailingSinkThrowsOnlyFromTrackStrictlyAndTheOthersStillGetTheEvent() async throws {
        struct Broken: EventSink {
            func enqueue(_ event: TrackedEvent) {}
            func record(_ event: TrackedEvent) async throws { throw CancellationError() }
        }
        let sink = RecordingEventSink()
        let tracker = Tracker(catalog: catalog, sinks: [Broken(), sink])
        tracker.track("bare")
        #expect(tracker.statistics.sinkFailures == 0, "track hands over without waiting: nothing can fail there")
        await #expect(throws: TrackingError.self) { try await tracker.trackStrictly("bare") }
        #expect(tracker.statistics.sinkFailures == 1)
        #expect(sink.events.count == 2, "the sink after the broken one got both events")
    }
}
