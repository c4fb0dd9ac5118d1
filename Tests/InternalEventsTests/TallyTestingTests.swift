import Foundation
import InternalEvents
import TallyTestSupport
import TallyTesting
import Testing

/// The helpers app authors use in their own tests (`TallyTesting`), modelled on GitLab's RSpec matchers.
@Suite("TallyTesting helpers")
struct TallyTestingTests {
    let recorder: TallyRecorder

    init() throws {
        let folder = try DefinitionFolder()
        try folder.write(
            "events/note.yml",
            DefinitionFolder.event(
                "create_note", identifiers: "[user, project]",
                extra: "additional_properties:\n  label:\n    description: where\n  value:\n    description: size"))
        try folder.write(
            "metrics/total.yml",
            DefinitionFolder.metric(
                "counts.count_total_create_note", timeFrame: "all", events: "- name: create_note"))
        try folder.write(
            "metrics/users.yml",
            DefinitionFolder.metric(
                "counts.users_creating_notes", timeFrame: "28d", events: "- name: create_note\n  unique: user.id"))
        try folder.write(
            "metrics/editor.yml",
            DefinitionFolder.metric(
                "counts.notes_from_editor", timeFrame: "all",
                events: "- name: create_note\n  filter:\n    label: editor"))
        recorder = try TallyRecorder(definitions: [folder.url.path])
    }

    /// What an app's code would do.
    func createNote(_ tracker: Tracker, author: Int64, project: Int64, from label: String = "editor") {
        tracker.track(
            "create_note", user: UserID(author), project: ProjectID(project),
            additionalProperties: ["label": .string(label)])
    }

    @Test func passesWhenTheBlockTracksWhatIsExpected() async {
        await expectEvents(
            [.event("create_note", user: 42, project: 7, additionalProperties: ["label": "editor"])],
            by: recorder
        ) {
            createNote(recorder.tracker, author: 42, project: 7)
        }
        await expectEvents([.event("create_note", times: 2)], exclusively: true, by: recorder) {
            createNote(recorder.tracker, author: 1, project: 7)
            createNote(recorder.tracker, author: 2, project: 7, from: "api")
        }
        await expectNoEvents(by: recorder) {}
    }

    /// What the helpers record as issues, checked word for word (the helpers record exactly these).
    @Test func namesAMissingWrongOrUndefinedEventAndRejectedOnes() {
        let tracker = recorder.tracker
        let before = recorder.events.count
        createNote(tracker, author: 43, project: 7)
        createNote(tracker, author: 43, project: 7)
        let tracked = Array(recorder.events.dropFirst(before))
        let note = "create_note, user: 43, project: 7, label: editor"
        #expect(
            recorder.eventMismatches([.event("create_note", user: 42)], tracked: tracked) == [
                "expected create_note, user: 42 to be tracked at least once, it was tracked 0 times; tracked: \(note); \(note)"
            ])
        #expect(
            recorder.eventMismatches([.event("create_note", times: 1)], tracked: tracked) == [
                "expected create_note, 1 time to be tracked exactly 1 time, it was tracked 2 times; tracked: \(note); \(note)"
            ])
        #expect(
            recorder.eventMismatches([.event("no_such_event")], tracked: []) == [
                "expected event no_such_event is not defined in any events/*.yml",
                "expected no_such_event to be tracked at least once, it was tracked 0 times; tracked: none",
            ])
        #expect(
            recorder.eventMismatches([], exclusively: true, tracked: Array(tracked.prefix(1))) == [
                "unexpected event tracked: \(note)"
            ])
        #expect(
            recorder.eventMismatches([], tracked: [], rejected: 1) == [
                "1 event was rejected by the tracker (see the log for why)"
            ])
        #expect(recorder.eventMismatches([.event("create_note", user: 43, times: 2)], tracked: tracked).isEmpty)
    }

    @Test func countsWhatTheTrackerRejectedDuringTheBlock() {
        let rejectedBefore = recorder.tracker.statistics.rejected
        recorder.tracker.track("create_note", namespace: 3)  // create_note doesn't declare namespace
        #expect(recorder.tracker.statistics.rejected - rejectedBefore == 1)
    }

    @Test func metricsMoveAsTheirRulesSay() async {
        await expectMetrics(
            [
                "counts.count_total_create_note": 3, "counts.users_creating_notes": 2,
                "counts.notes_from_editor": 2,
            ], by: recorder
        ) {
            createNote(recorder.tracker, author: 1, project: 7)
            createNote(recorder.tracker, author: 1, project: 7, from: "api")
            createNote(recorder.tracker, author: 2, project: 7)
        }
        let fromAPI = TrackedEvent(
            name: "create_note", user: 1, project: 7, properties: ["label": "api"], timestamp: .now,
            rules: recorder.catalog.rules(forEvent: "create_note"))
        #expect(
            recorder.metricMismatches(
                ["counts.notes_from_editor": nil, "counts.count_total_create_note": 2, "counts.no_such_metric": 1],
                tracked: [fromAPI]) == [
                    "expected counts.count_total_create_note to move by 2.0, it moved by 1.0",
                    "no internal-events metric has key_path counts.no_such_metric",
                    "expected counts.notes_from_editor to move, it did not",
                ])
    }
}
