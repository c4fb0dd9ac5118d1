import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import NotesApp
import TallyTesting
import Testing

/// The app's tracking, tested as an app author would: a `TallyRecorder` instead of Redis.
@Suite("Notes app tracking")
struct NotesAppTests {
    static let definitions = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("definitions").path

    let recorder: TallyRecorder
    let app: Application<RouterResponder<BasicRequestContext>>

    init() throws {
        recorder = try TallyRecorder(definitions: [Self.definitions])
        app = Application(router: try buildRouter(tracker: recorder.tracker, catalog: recorder.catalog))
    }

    @Test func creatingANoteTracksCreateNoteForTheSignedInUser() async throws {
        try await app.test(.router) { client in
            try await expectEvents(
                [.event("create_note", user: 42, project: 7, additionalProperties: ["label": "api"])],
                exclusively: true, by: recorder
            ) {
                let response = try await client.execute(
                    uri: "/projects/7/notes", method: .post, headers: [signedInUserHeader: "42"])
                #expect(response.status == .created)
            }
        }
    }

    @Test func notesMoveTheirMetrics() async throws {
        try await app.test(.router) { client in
            try await expectMetrics(
                [
                    "counts.count_total_create_note": 3, "counts.count_distinct_user_id_from_create_note_weekly": 2,
                    "counts.count_distinct_user_id_from_create_note_monthly": 2,
                ], by: recorder
            ) {
                for user in ["1", "2", "1"] {
                    _ = try await client.execute(
                        uri: "/projects/7/notes", method: .post, headers: [signedInUserHeader: user])
                }
            }
        }
    }

    @Test func theMountedUsageDataRoutesUseTheAppsOwnSignIn() async throws {
        try await app.test(.router) { client in
            let body = ByteBuffer(string: #"{"event": "create_note", "project_id": 9}"#)
            try await expectEvents([.event("create_note", user: 5, project: 9)], exclusively: true, by: recorder) {
                let response = try await client.execute(
                    uri: "/api/v4/usage_data/track_event", method: .post,
                    headers: [signedInUserHeader: "5", .contentType: "application/json"], body: body)
                #expect(response.status == .ok)
            }
            try await expectNoEvents(by: recorder) {
                let anonymous = try await client.execute(
                    uri: "/api/v4/usage_data/track_event", method: .post, headers: [.contentType: "application/json"],
                    body: body)
                #expect(anonymous.status == .unauthorized)
            }
        }
    }

    @Test func anUntrackedRouteTracksNothing() async throws {
        try await app.test(.router) { client in
            try await expectNoEvents(by: recorder) {
                let response = try await client.execute(uri: "/projects/7/notes", method: .post)
                #expect(response.status == .unauthorized)
            }
        }
    }
}
