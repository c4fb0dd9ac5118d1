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

    @Test func recordsAnIssueForAMissingWrongOrUndefinedEvent() async {
        await withKnownIssue {
            await expectEvents([.event("create_note", user: 42)], by: recorder) {
                createNote(recorder.tracker, author: 43, project: 7)
            }
        }
        await withKnownIssue {
            await expectEvents([.event("create_note", times: 1)], by: recorder) {
                createNote(recorder.tracker, author: 1, project: 7)
                createNote(recorder.tracker, author: 1, project: 7)
            }
        }
        await withKnownIssue {
            await expectEvents([.event("no_such_event")], by: recorder) {}
        }
        await withKnownIssue {
            await expectNoEvents(by: recorder) { createNote(recorder.tracker, author: 1, project: 7) }
        }
        await withKnownIssue("the tracker rejected an undeclared identifier: the app would lose it") {
            await expectEvents([], by: recorder) {
                recorder.tracker.track("create_note", namespace: 3)
            }
        }
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
        await withKnownIssue {
            await expectMetrics(["counts.notes_from_editor": nil], by: recorder) {
                createNote(recorder.tracker, author: 1, project: 7, from: "api")
            }
        }
        await withKnownIssue {
            await expectMetrics(["counts.no_such_metric": 1], by: recorder) {}
        }
    }
}
