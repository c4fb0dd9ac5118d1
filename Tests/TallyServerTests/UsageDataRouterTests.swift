import EventRecords
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import ServicePing
import TallyServer
import TallyTestSupport
import Testing

/// Every endpoint and every error of the usage-data API, through the router, with counters in a real Redis.
@Suite(
    "Usage-data API",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct UsageDataRouterTests {
    @Test("track_event counts a defined event with GitLab's keys")
    func trackEvent() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            let response = try await client.post(
                "track_event",
                #"{"event": "create_note", "user_id": 42, "project_id": "7", "namespace_id": 3, "additional_properties": {"label": "mr", "value": 12, "lang": "swift", "branch_name": "main"}}"#
            )
            #expect(response.status == .ok)
            #expect(response.text == "{}")
        }
        #expect(try await fixture.integer("{event_counters}_create_note") == 1)
        #expect(try await fixture.integer("{event_counters}_create_note-2025-07") == 1)
        #expect(try await fixture.uniqueCount("{hll_counters}_create_note-user-2025-07") == 1)
        let event = try #require(fixture.recorder.events.first)
        #expect(event.user == 42 && event.project == 7 && event.namespace == 3)
        #expect(event.properties == ["label": .string("mr"), "value": .integer(12), "lang": .string("swift")])
        #expect(!event.sendsEventRecord, "send_to_snowplow defaults to false, as GitLab's API")
    }

    @Test("POSTs without a valid token get 401 and count nothing")
    func authentication() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            for path in ["track_event", "track_events", "increment_counter", "increment_unique_users"] {
                let body =
                    path == "track_events" ? #"{"events": [{"event": "create_note"}]}"# : #"{"event": "create_note"}"#
                let anonymous = try await client.post(path, body, token: nil)
                #expect(anonymous.status == .unauthorized, "\(path)")
                #expect(anonymous.text == #"{"message":"401 Unauthorized"}"#)
                #expect(try await client.post(path, body, token: "wrong").status == .unauthorized, "\(path)")
                #expect(
                    try await client.post(path, body, token: ServerFixture.eventToken + "x").status == .unauthorized)
            }
            let privateToken = try await client.execute(
                uri: "/api/v4/usage_data/track_event", method: .post,
                headers: [HTTPField.Name("PRIVATE-TOKEN")!: ServerFixture.eventToken],
                body: .init(string: #"{"event": "view_page"}"#))
            #expect(privateToken.status == .ok, "GitLab's PRIVATE-TOKEN header works too")
        }
        #expect(try await fixture.keys().allSatisfy { $0.contains("view_page") })
    }

    @Test("service_ping: admin only, the newest stored payload or {}")
    func servicePing() async throws {
        let fixture = try await ServerFixture()
        let stored = StoredServicePing { #"{"recorded_at":"2025-02-12T12:00:00.000Z","counts":{"x":1}}"# }
        try await fixture.application(servicePing: stored).test(.router) { client async throws in
            #expect(try await client.get("service_ping").status == .unauthorized)
            let nonAdmin = try await client.get("service_ping", token: ServerFixture.eventToken)
            #expect(nonAdmin.status == .forbidden)
            #expect(nonAdmin.text == #"{"message":"403 Forbidden"}"#)
            let admin = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(admin.status == .ok)
            #expect(admin.headers[.contentType] == "application/json")
            #expect(admin.text == #"{"recorded_at":"2025-02-12T12:00:00.000Z","counts":{"x":1}}"#)
        }
        try await fixture.application(servicePing: StoredServicePing { nil }).test(.router) { client async throws in
            let response = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(response.text == "{}")
        }
        try await fixture.application(servicePing: StoredServicePing { throw CancellationError() }).test(.router) {
            client in
            let response = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(response.status == .serviceUnavailable)
        }
    }

    @Test("service_ping reads raw_usage_data: the newest of the last 7 days")
    func servicePingFromDatabase() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("tally-serve-db")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try DatabaseConfiguration(url: "sqlite://\(directory.path)/app.sqlite")
        let now = TestEnvironment.day("2025-02-12")
        try await AppDatabase.withDatabase(database) { database in
            let store = RawUsageDataStore(database)
            try await store.migrate()
            _ = try await store.insert(recordedAt: now.addingTimeInterval(-9 * 86_400), payload: #"{"old":true}"#)
            _ = try await store.insert(recordedAt: now.addingTimeInterval(-3 * 86_400), payload: #"{"new":true}"#)
        }
        let fixture = try await ServerFixture()
        let recent = StoredServicePing {
            try await RawUsageDataStore.newestPayload(in: database, clock: FixedWallClock(now))
        }
        try await fixture.application(servicePing: recent).test(.router) { client async throws in
            let response = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(response.text == #"{"new":true}"#)
        }
        let later = StoredServicePing {
            try await RawUsageDataStore.newestPayload(
                in: database, clock: FixedWallClock(now.addingTimeInterval(8 * 86_400)))
        }
        try await fixture.application(servicePing: later).test(.router) { client async throws in
            let response = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(response.text == "{}")
        }
    }

    @Test("metric_definitions: public YAML of every metric file, with paths on request")
    func metricDefinitions() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            let response = try await client.get("metric_definitions")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(response.text.hasPrefix("---\n- "), "GitLab's to_yaml starts the document with ---")
            #expect(response.text.contains("key_path: counts.source_code_pushes"))
            #expect(response.text.contains("key_path: redis_hll_counters.zoom_monthly"))
            #expect(!response.text.contains("file_path"))
            let withPaths = try await client.get("metric_definitions?include_paths=true")
            #expect(withPaths.text.hasPrefix("---\n- "))
            #expect(withPaths.text.contains("file_path: "))
            #expect(withPaths.text.contains("metrics/pushes.yml"))
        }
    }

    @Test(
        "malformed bodies and wrong types: 400 naming the field, nothing counted",
        arguments: [
            ("track_event", "", "event"),
            ("track_event", "{", "body"),
            ("track_event", "[1, 2]", "body"),
            ("track_event", "\u{FF}\u{FE}", "body"),
            ("track_event", #"{"event": 5}"#, "event"),
            ("track_event", #"{"event": ""}"#, "event"),
            ("track_event", #"{"event": "create_note", "project_id": "seven"}"#, "project_id"),
            ("track_event", #"{"event": "create_note", "project_id": -3}"#, "project_id"),
            ("track_event", #"{"event": "create_note", "namespace_id": 1.5}"#, "namespace_id"),
            ("track_event", #"{"event": "create_note", "user_id": true}"#, "user_id"),
            ("track_event", #"{"event": "create_note", "additional_properties": [1]}"#, "additional_properties"),
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"lang": {"a": 1}}}"#,
                "additional_properties.lang"
            ),
            ("track_event", #"{"event": "create_note", "send_to_snowplow": "yes"}"#, "send_to_snowplow"),
            // GitLab's EventValidator: label/property String, value Integer|Float, custom String|Integer|Float.
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"label": true}}"#,
                "additional_properties.label"
            ),
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"property": false}}"#,
                "additional_properties.property"
            ),
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"value": true}}"#,
                "additional_properties.value"
            ),
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"lang": false}}"#,
                "additional_properties.lang"
            ),
            (
                "track_event", #"{"event": "create_note", "additional_properties": {"label": ["mr"]}}"#,
                "additional_properties.label"
            ),
            (
                "track_events",
                #"{"events": [{"event": "create_note", "additional_properties": {"label": true}}]}"#,
                "events[0].additional_properties.label"
            ),
            (
                "track_events",
                #"{"events": [{"event": "view_page"}, {"event": "create_note", "additional_properties": {"lang": true}}]}"#,
                "events[1].additional_properties.lang"
            ),
            ("track_events", #"{}"#, "events"),
            ("track_events", #"{"events": {"event": "create_note"}}"#, "events"),
            ("track_events", #"{"events": [{"event": "create_note"}, 3]}"#, "events[1]"),
            (
                "track_events", #"{"events": [{"event": "create_note"}, {"event": "create_note", "project_id": "x"}]}"#,
                "events[1].project_id"
            ),
            ("increment_counter", #"{}"#, "event"),
            ("increment_counter", #"{"event": ["source_code_pushes"]}"#, "event"),
            ("increment_unique_users", #"{"event": "incident_zoom_meeting"}"#, "user_id"),
        ])
    func badRequests(path: String, body: String, field: String) async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            let response = try await client.post(path, body)
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(response.errorField == field, "\(response.text)")
        }
        #expect(try await fixture.keys() == [])
        #expect(fixture.recorder.events.isEmpty)
    }

    @Test("a boolean property is a 400 in development mode too; a null one is dropped, as GitLab's validator skips nil")
    func booleanAndNullProperties() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application(strict: true).test(.router) { client async throws in
            let boolean = try await client.post(
                "track_event", #"{"event": "create_note", "additional_properties": {"label": true}}"#)
            #expect(boolean.status == .badRequest)
            #expect(boolean.errorField == "additional_properties.label")
            #expect(boolean.text.contains("expected a string, found true"), "\(boolean.text)")
            let null = try await client.post(
                "track_event", #"{"event": "create_note", "additional_properties": {"label": null, "lang": "swift"}}"#)
            #expect(null.status == .ok, "\(null.text)")
        }
        #expect(fixture.recorder.events.map(\.properties) == [["lang": .string("swift")]])
        #expect(try await fixture.integer("{event_counters}_create_note") == 1)
    }

    @Test("form bodies, as Rails' post params: sends them: Rack's a[b] and a[][b], text coerced as Grape does")
    func formBodies() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            let one = try await client.postForm(
                "track_event",
                "event=create_note&user_id=42&project_id=7&namespace_id=3&additional_properties%5Blabel%5D=mr+list"
                    + "&additional_properties[value]=5&additional_properties[lang]=swift&send_to_snowplow=1")
            #expect(one.status == .ok, "\(one.text)")
            #expect(one.text == "{}")
            let batch = try await client.postForm(
                "track_events",
                "events[][event]=view_page&events[][user_id]=1&events[][project_id]=&events[][send_to_snowplow]=no"
                    + "&events[][event]=create_note&events[][user_id]=2&events[][additional_properties][label]=x"
                    + "&events[][additional_properties][value]=1.5&events[][additional_properties][lang]=7")
            #expect(batch.status == .ok, "\(batch.text)")
            #expect(try await client.postForm("increment_counter", "event=source_code_pushes").status == .ok)
            let unique = try await client.postForm("increment_unique_users", "event=incident_zoom_meeting&user_id=9")
            #expect(unique.status == .ok, "\(unique.text)")
            let charset = try await client.execute(
                uri: "/api/v4/usage_data/track_event", method: .post,
                headers: [
                    .contentType: "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
                    .authorization: "Bearer \(ServerFixture.eventToken)",
                ],
                body: .init(string: "event=view_page&user_id=5"))
            #expect(charset.status == .ok, "\(charset.text)")
        }
        let events = fixture.recorder.events
        #expect(events.map(\.name) == ["create_note", "view_page", "create_note", "view_page"])
        #expect(events[0].user == 42 && events[0].project == 7 && events[0].namespace == 3)
        #expect(events[0].properties == ["label": .string("mr list"), "value": .integer(5), "lang": .string("swift")])
        #expect(events[0].sendsEventRecord, "send_to_snowplow=1 is true, as Grape's Boolean reads it")
        #expect(events[1].user == 1 && events[1].project == nil, "an empty id is none, as Grape reads it")
        #expect(!events[1].sendsEventRecord)
        #expect(events[2].user == 2)
        #expect(
            events[2].properties == ["label": .string("x"), "value": .double(1.5), "lang": .string("7")],
            "value is read as a number; other properties stay text")
        #expect(try await fixture.integer("{event_counters}_create_note") == 2)
        #expect(try await fixture.integer("{event_counters}_view_page") == 2)
        #expect(try await fixture.integer("USAGE_SOURCE_CODE_PUSHES") == 1)
        #expect(try await fixture.uniqueCount("{hll_counters}_incident_zoom_meeting-2025-07") == 1)
    }

    @Test(
        "form bodies of unknown shapes or wrong types: 400 naming the parameter, nothing counted",
        arguments: [
            ("track_event", "", "event"),
            ("track_event", "event=create_note&additional_properties=x", "additional_properties"),
            ("track_event", "event=create_note&event[a]=1", "event"),
            ("track_event", "event[]=create_note", "event"),
            ("track_event", "event=create_note&project_id=seven", "project_id"),
            ("track_event", "event=create_note&namespace_id=1.5", "namespace_id"),
            ("track_event", "event=create_note&send_to_snowplow=maybe", "send_to_snowplow"),
            ("track_event", "event=create_note&additional_properties[label][x]=1", "additional_properties.label"),
            ("track_event", "event=create_note&additional_properties[label][]=1", "additional_properties.label"),
            (
                "track_event", "event=create_note&additional_properties[label]=a&additional_properties[label][x]=1",
                "additional_properties[label]"
            ),
            ("track_event", "event=create_%ZZnote", "body"),
            ("track_event", "event=%FF", "body"),
            ("track_events", "", "events"),
            ("track_events", "events=create_note", "events"),
            ("track_events", "events[event]=create_note", "events"),
            ("track_events", "events[]=create_note", "events[0]"),
            ("track_events", "events[][event]=create_note&events[x]=1", "events"),
            ("track_events", "events[][event]=create_note&events[][project_id]=x", "events[0].project_id"),
            ("increment_counter", "", "event"),
            ("increment_counter", "event[]=source_code_pushes", "event"),
            ("increment_unique_users", "event=incident_zoom_meeting", "user_id"),
        ])
    func formBadRequests(path: String, form: String, field: String) async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            let response = try await client.postForm(path, form)
            #expect(response.status == .badRequest, "\(response.text)")
            #expect(response.errorField == field, "\(response.text)")
        }
        #expect(try await fixture.keys() == [])
        #expect(fixture.recorder.events.isEmpty)
    }

    @Test("a form's text value that isn't a number stays text: 422 in development, as a JSON string value")
    func formValueNotANumber() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application(strict: true).test(.router) { client async throws in
            let response = try await client.postForm(
                "track_event", "event=create_note&additional_properties[value]=five")
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.text.contains("value must be a number"))
        }
        #expect(try await fixture.keys() == [])
    }

    @Test(
        "an admin's GET service_ping tracks request_service_ping_via_rest when the definitions have it; without it nothing is tracked and nothing fails"
    )
    func servicePingRequestIsTracked() async throws {
        let stored = StoredServicePing { #"{"counts":{"x":1}}"# }
        let defined = try await ServerFixture(extraFiles: [
            "events/request_service_ping_via_rest.yml": DefinitionFolder.event("request_service_ping_via_rest")
        ])
        try await defined.application(servicePing: stored).test(.router) { client async throws in
            #expect(try await client.get("service_ping").status == .unauthorized)
            #expect(try await client.get("service_ping", token: ServerFixture.eventToken).status == .forbidden)
            #expect(defined.recorder.events.isEmpty, "only an admin's read is tracked")
            let admin = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(admin.status == .ok && admin.text == #"{"counts":{"x":1}}"#)
            let dnt = try await client.get(
                "service_ping", token: ServerFixture.adminToken, headers: [HTTPField.Name("DNT")!: "1"])
            #expect(dnt.status == .ok)
        }
        try await defined.sessionApplication(servicePing: stored).test(.router) { client async throws in
            let admin = try await client.get("service_ping", headers: ServerFixture.session(7, admin: true))
            #expect(admin.status == .ok)
        }
        let events = defined.recorder.events
        #expect(events.map(\.name) == Array(repeating: "request_service_ping_via_rest", count: 3))
        #expect(events.map(\.user) == [nil, nil, 7], "the admin is the user; tally serve's admin tokens name none")
        #expect(events.map(\.sendsEventRecord) == [true, false, true], "DNT keeps it out of event records")
        #expect(try await defined.integer("{event_counters}_request_service_ping_via_rest") == 3)

        let undefined = try await ServerFixture()
        try await undefined.application(strict: true, servicePing: stored).test(.router) { client async throws in
            let admin = try await client.get("service_ping", token: ServerFixture.adminToken)
            #expect(admin.status == .ok && admin.text == #"{"counts":{"x":1}}"#)
        }
        #expect(undefined.recorder.events.isEmpty)
        #expect(try await undefined.keys() == [])
    }

    @Test("more than 50 events: GitLab's 400, nothing counted; 50 are fine")
    func eventLimit() async throws {
        let fixture = try await ServerFixture()
        let event = #"{"event": "view_page", "user_id": 1}"#
        try await fixture.application().test(.router) { client async throws in
            let tooMany = try await client.post(
                "track_events", #"{"events": ["# + Array(repeating: event, count: 51).joined(separator: ",") + "]}")
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.text.contains("Maximum 50 events allowed in one request."))
            #expect(try await fixture.keys() == [])
            let fifty = try await client.post(
                "track_events", #"{"events": ["# + Array(repeating: event, count: 50).joined(separator: ",") + "]}")
            #expect(fifty.status == .ok)
        }
        #expect(try await fixture.integer("{event_counters}_view_page") == 50)
    }

    @Test("an oversized body: 413 naming the body, nothing counted; the limit is configurable")
    func bodyLimit() async throws {
        let fixture = try await ServerFixture()
        let padding = String(repeating: "a", count: 70_000)
        let body = #"{"event": "view_page", "additional_properties": {"label": ""# + padding + #""}}"#
        try await fixture.application().test(.router) { client async throws in
            let response = try await client.post("track_event", body)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorField == "body")
            #expect(response.text.contains("65536"))
        }
        try await fixture.application(maximumBodyBytes: 2_048).test(.router) { client async throws in
            let response = try await client.post(
                "track_event", #"{"event": "view_page", "x": ""# + String(repeating: "b", count: 3_000) + #""}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try await client.post("track_event", #"{"event": "view_page"}"#).status == .ok)
        }
        #expect(try await fixture.integer("{event_counters}_view_page") == 1)
    }

    @Test(
        "unknown events: track_event is a silent 200 in production and 422 in development; the legacy increments log and answer 200 in both, as GitLab's; no key either way"
    )
    func unknownEvents() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            #expect(try await client.post("track_event", #"{"event": "no_such_event"}"#).status == .ok)
            #expect(try await client.post("increment_counter", #"{"event": "no_such_counter"}"#).status == .ok)
            #expect(
                try await client.post("increment_unique_users", #"{"event": "no_such", "user_id": 1}"#).status == .ok)
        }
        try await fixture.application(strict: true).test(.router) { client async throws in
            let response = try await client.post("track_event", #"{"event": "no_such_event"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorField == "event")
            #expect(response.text.contains("Unknown event: no_such_event"))
            // GitLab's helpers rescue the unknown-event error, log it and answer 200 in every environment.
            let counter = try await client.post("increment_counter", #"{"event": "no_such_counter"}"#)
            #expect(counter.status == .ok, "\(counter.text)")
            let unique = try await client.post("increment_unique_users", #"{"event": "no_such", "user_id": 1}"#)
            #expect(unique.status == .ok, "\(unique.text)")
        }
        #expect(try await fixture.keys() == [])
    }

    @Test("development mode checks a whole batch before counting any of it")
    func strictBatch() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application(strict: true).test(.router) { client async throws in
            let response = try await client.post(
                "track_events",
                #"{"events": [{"event": "view_page", "user_id": 1}, {"event": "view_page", "project_id": 4}]}"#)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorField == "events[1].project_id", "\(response.text)")
            let property = try await client.post(
                "track_event", #"{"event": "create_note", "additional_properties": {"undeclared": "x"}}"#)
            #expect(property.status == .unprocessableContent)
            #expect(property.errorField == "additional_properties")
        }
        #expect(try await fixture.keys() == [])
    }

    @Test("increment_counter and increment_unique_users write GitLab's legacy keys, for declared names only")
    func legacyCounters() async throws {
        let fixture = try await ServerFixture()
        try await fixture.application().test(.router) { client async throws in
            for _ in 0..<3 {
                #expect(try await client.post("increment_counter", #"{"event": "source_code_pushes"}"#).status == .ok)
            }
            for user in [5, 6, 5] {
                let response = try await client.post(
                    "increment_unique_users", #"{"event": "incident_zoom_meeting", "user_id": \#(user)}"#)
                #expect(response.status == .ok)
            }
        }
        #expect(try await fixture.integer("USAGE_SOURCE_CODE_PUSHES") == 3)
        #expect(try await fixture.uniqueCount("{hll_counters}_incident_zoom_meeting-2025-07") == 2)
        #expect(
            try await fixture.keys().map { String($0.dropFirst(fixture.prefix.count)) } == [
                "USAGE_SOURCE_CODE_PUSHES", "{hll_counters}_incident_zoom_meeting-2025-07",
            ])
    }

    @Test("a session caller is the user; it may not name another one")
    func hostAppCaller() async throws {
        let fixture = try await ServerFixture()
        let router = Router(context: BasicRequestContext.self)
        let api = UsageDataAPI<BasicRequestContext>(
            tracker: fixture.tracker(),
            metricDefinitions: try MetricDefinitionsDocument(catalog: fixture.catalog)
        ) { request, _ in
            // The host app's own auth: here a header its session middleware would have checked.
            request.headers[HTTPField.Name("X-Session-User")!].flatMap { Int64($0) }.map {
                TallyCaller(user: UserID($0))
            }
        }
        api.addRoutes(to: router.group("app"), at: "/api/v4/usage_data")
        try await Application(router: router).test(.router) { client async throws in
            let headers: HTTPFields = [HTTPField.Name("X-Session-User")!: "77", .contentType: "application/json"]
            let tracked = try await client.execute(
                uri: "/app/api/v4/usage_data/track_event", method: .post, headers: headers,
                body: .init(string: #"{"event": "view_page"}"#))
            #expect(tracked.status == .ok)
            let impersonating = try await client.execute(
                uri: "/app/api/v4/usage_data/track_event", method: .post, headers: headers,
                body: .init(string: #"{"event": "view_page", "user_id": 5}"#))
            #expect(impersonating.status == .badRequest)
            #expect(impersonating.errorField == "user_id")
            let legacy = try await client.execute(
                uri: "/app/api/v4/usage_data/increment_counter", method: .post, headers: headers,
                body: .init(string: #"{"event": "source_code_pushes"}"#))
            #expect(legacy.status == .notFound, "no legacy writer was given")
        }
        #expect(fixture.recorder.events.map(\.user) == [77])
    }
}
