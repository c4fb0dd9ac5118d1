import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InternalEvents
import TallyServer
import TallyTestSupport
import Testing
import Yams

/// The checkable expectations of GitLab's request spec `spec/requests/api/usage_data_spec.rb`
/// (`RSpec.describe API::UsageData`), in Tally's terms. Each test names the `describe`/`context`/`it` it comes
/// from. As in the spec, callers are signed-in users (a host app's session: `ServerFixture.sessionApplication`)
/// and bodies are forms, which is what Rails' `post api(…), params: {…}` sends. The spec's fixtures are its own
/// GitLab events and counters; here they are defined in `definitions`. Expectations Tally deliberately doesn't
/// meet (token scopes, CSRF of web sessions) are listed in the README instead.
@Suite(
    "GitLab's usage_data_spec.rb",
    .enabled(if: RedisServer.shouldRunSuites, "redis-server is not installed (CI=true makes this a failure)"))
struct GitLabUsageDataSpecTests {
    static let user: Int64 = 31
    static let admin: Int64 = 32

    /// The spec's events and counters: `diff_searches` (a `BaseCounter`), `g_compliance_dashboard` (an HLL
    /// event), `i_compliance_dashboard` and `web_ide_viewed` (internal events with label, property and the custom
    /// `lang`), and the service-ping request event.
    static let definitions: [String: String] = [
        "events/i_compliance_dashboard.yml": DefinitionFolder.event(
            "i_compliance_dashboard", extra: Self.labelPropertyLang),
        "events/web_ide_viewed.yml": DefinitionFolder.event("web_ide_viewed", extra: Self.labelPropertyLang),
        "events/request_service_ping_via_rest.yml": DefinitionFolder.event("request_service_ping_via_rest"),
        "metrics/diff_searches.yml": """
        ---
        key_path: counts.diff_searches
        description: Searches in diffs
        product_group: testing
        value_type: number
        status: active
        time_frame: all
        data_source: redis
        data_category: optional
        instrumentation_class: RedisMetric
        options:
          prefix: diff
          event: searches
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        tiers: [free]
        """,
        "metrics/compliance.yml": """
        ---
        key_path: redis_hll_counters.compliance.g_compliance_dashboard_monthly
        description: Compliance dashboard viewers
        product_group: testing
        value_type: number
        status: active
        time_frame: 28d
        data_source: redis_hll
        data_category: optional
        instrumentation_class: RedisHLLMetric
        options:
          events:
          - g_compliance_dashboard
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        tiers: [free]
        """,
    ]

    static let labelPropertyLang = """
        additional_properties:
          label:
            description: where
          property:
            description: who
          lang:
            description: language
        """

    /// The spec's `additional_properties` (`label: 'label3', property: 'admin', lang: 'ruby'`) as a form sends them:
    /// `&additional_properties[label]=label3…`, or inside the last element of the list `list` (`&events[][…][label]`).
    static func propertiesForm(inList list: String? = nil) -> String {
        let name = list.map { "\($0)[][additional_properties]" } ?? "additional_properties"
        return [("label", "label3"), ("property", "admin"), ("lang", "ruby")].map { "&\(name)[\($0.0)]=\($0.1)" }
            .joined()
    }

    static let properties: [String: PropertyValue] = [
        "label": .string("label3"), "property": .string("admin"), "lang": .string("ruby"),
    ]

    func fixture() async throws -> ServerFixture {
        try await ServerFixture(label: "spec", extraFiles: Self.definitions)
    }

    // MARK: describe 'GET /usage_data/service_ping'

    // context 'without authentication' / it 'returns 401 response'
    // context 'when authenticated as non-admin' / it 'returns 403'
    @Test("GET service_ping: 401 without authentication, 403 for a non-admin")
    func servicePingNeedsAnAdmin() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication(servicePing: StoredServicePing { "{}" }).test(.router) {
            client async throws in
            #expect(try await client.get("service_ping").status == .unauthorized)
            #expect(
                try await client.get("service_ping", headers: ServerFixture.session(Self.user)).status == .forbidden)
        }
        #expect(fixture.recorder.events.isEmpty)
    }

    // context 'when authenticated as an admin using read_service_ping access token'
    //   it 'returns 200' / it 'returns service ping payload' / it 'tracks an internal event'
    @Test("GET service_ping as an admin: 200, the stored payload, and request_service_ping_via_rest with the admin")
    func servicePingAsAdmin() async throws {
        let fixture = try await fixture()
        let stored = StoredServicePing { #"{"key":"value"}"# }
        try await fixture.sessionApplication(servicePing: stored).test(.router) { client async throws in
            let response = try await client.get("service_ping", headers: ServerFixture.session(Self.admin, admin: true))
            #expect(response.status == .ok)
            #expect(response.text == #"{"key":"value"}"#)
        }
        let event = try #require(fixture.recorder.events.first)
        #expect(fixture.recorder.events.count == 1)
        #expect(event.name == "request_service_ping_via_rest" && event.user == UserID(Self.admin))
        #expect(event.project == nil && event.namespace == nil && event.properties.isEmpty)
    }

    // MARK: describe 'POST /usage_data/increment_counter'

    // context 'without authentication' / it 'returns 401 response'
    // context 'with authentication' / context 'when event is missing from params' / it 'returns bad request'
    // context 'with correct params' / it 'returns status :ok' (BaseCounter.count("searches") of diff)
    @Test("increment_counter: 401 without authentication, 400 without event, a known counter is incremented")
    func incrementCounter() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            #expect(
                try await client.postForm("increment_counter", "event=diff_searches", token: nil).status
                    == .unauthorized)
            let missing = try await client.postForm(
                "increment_counter", "", token: nil, headers: ServerFixture.session(Self.user))
            #expect(missing.status == .badRequest && missing.errorField == "event")
            let known = try await client.postForm(
                "increment_counter", "event=diff_searches", token: nil, headers: ServerFixture.session(Self.user))
            #expect(known.status == .ok)
        }
        #expect(try await fixture.integer("USAGE_DIFF_SEARCHES") == 1)
    }

    // context 'with unknown event' / it 'returns status ok' (BaseCounter not called), in GitLab's test environment:
    // Tally's development mode, and production too.
    @Test(
        "increment_counter with an unknown event: 200 and nothing counted, in development and production",
        arguments: [true, false])
    func incrementCounterUnknown(strict: Bool) async throws {
        let fixture = try await fixture()
        let log = LogCapture()
        try await fixture.sessionApplication(strict: strict, logger: log.logger()).test(.router) {
            client async throws in
            let response = try await client.postForm(
                "increment_counter", "event=unknown", token: nil, headers: ServerFixture.session(Self.user))
            #expect(response.status == .ok, "\(response.text)")
        }
        #expect(try await fixture.keys() == [])
        #expect(log.text.contains("warning Redis tracking event failed"), "logged, as GitLab's helper does")
    }

    // MARK: describe 'POST /usage_data/increment_unique_users'

    // context 'without authentication' / it 'returns 401 response'
    // context 'with authentication' / context 'when event is missing from params' / it 'returns bad request'
    // context 'with correct params' / it 'returns status ok' (HLLRedisCounter.track of the event, current user)
    @Test("increment_unique_users: 401 without authentication, 400 without event, the signed-in user is counted")
    func incrementUniqueUsers() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let anonymous = try await client.postForm(
                "increment_unique_users", "event=g_compliance_dashboard", token: nil)
            #expect(anonymous.status == .unauthorized)
            let missing = try await client.postForm(
                "increment_unique_users", "", token: nil, headers: ServerFixture.session(Self.user))
            #expect(missing.status == .badRequest && missing.errorField == "event")
            for user in [Self.user, Self.user, Self.admin] {
                let known = try await client.postForm(
                    "increment_unique_users", "event=g_compliance_dashboard", token: nil,
                    headers: ServerFixture.session(user))
                #expect(known.status == .ok)
            }
        }
        #expect(try await fixture.uniqueCount("{hll_counters}_g_compliance_dashboard-2025-07") == 2)
    }

    // context 'with unknown event' / it 'returns status ok' (Gitlab::Redis::HLL.add not called)
    @Test(
        "increment_unique_users with an unknown event: 200 and nothing counted, in development and production",
        arguments: [true, false])
    func incrementUniqueUsersUnknown(strict: Bool) async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication(strict: strict).test(.router) { client async throws in
            let response = try await client.postForm(
                "increment_unique_users", "event=unknown", token: nil, headers: ServerFixture.session(Self.user))
            #expect(response.status == .ok, "\(response.text)")
        }
        #expect(try await fixture.keys() == [])
    }

    // MARK: describe 'POST /usage_data/track_event'

    // context 'without authentication' / it 'returns 401 response'
    @Test("track_event without authentication: 401, nothing tracked")
    func trackEventNeedsAUser() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let response = try await client.postForm(
                "track_event", "event=i_compliance_dashboard&namespace_id=123&project_id=123", token: nil)
            #expect(response.status == .unauthorized)
        }
        #expect(fixture.recorder.events.isEmpty)
        #expect(try await fixture.keys() == [])
    }

    // context 'with usage ping enabled' / context 'with correct params' / it 'returns status ok'
    //   (track_event with send_snowplow_event: false, user, namespace, project, additional_properties)
    // context 'with no additional_properties' / it 'returns status ok' (additional_properties: {})
    @Test("track_event with correct params: the user, namespace, project and properties; none when none are sent")
    func trackEvent() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let session = ServerFixture.session(Self.user)
            let full = try await client.postForm(
                "track_event", "event=i_compliance_dashboard&namespace_id=12&project_id=34" + Self.propertiesForm(),
                token: nil, headers: session)
            #expect(full.status == .ok, "\(full.text)")
            let bare = try await client.postForm(
                "track_event", "event=i_compliance_dashboard&namespace_id=12&project_id=34", token: nil,
                headers: session)
            #expect(bare.status == .ok, "\(bare.text)")
        }
        let events = fixture.recorder.events
        #expect(events.count == 2)
        for event in events {
            #expect(event.name == "i_compliance_dashboard" && event.user == UserID(Self.user))
            #expect(event.namespace == 12 && event.project == 34)
            #expect(!event.sendsEventRecord, "send_snowplow_event: false")
        }
        #expect(events.first?.properties == Self.properties)
        #expect(events.last?.properties == [:])
        #expect(try await fixture.integer("{event_counters}_i_compliance_dashboard") == 2)
    }

    // describe 'send_to_snowplow param'
    //   it 'does not send the event to snowplow when send_to_snowplow is false'
    //   it 'sends event to Snowplow when send_to_snowplow is true'
    //   it 'does not send event to Snowplow by default'
    @Test(
        "track_event's send_to_snowplow: false and absent send no event record, true does",
        arguments: [("&send_to_snowplow=false", false), ("&send_to_snowplow=true", true), ("", false)])
    func sendToSnowplow(parameter: String, sends: Bool) async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let response = try await client.postForm(
                "track_event",
                "event=i_compliance_dashboard&namespace_id=12&project_id=34" + Self.propertiesForm() + parameter,
                token: nil, headers: ServerFixture.session(Self.user))
            #expect(response.status == .ok, "\(response.text)")
        }
        let event = try #require(fixture.recorder.events.first)
        #expect(event.sendsEventRecord == sends)
        #expect(event.properties == Self.properties && event.user == UserID(Self.user))
    }

    // MARK: describe 'POST /usage_data/track_events'

    // context 'without authentication' / it 'returns 401 response'
    // context 'with the amount events greater than the limit' / it 'returns bad request' (track_event not called)
    @Test("track_events: 401 without authentication; 100 events are a 400 and none is tracked")
    func trackEventsLimits() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let anonymous = try await client.postForm("track_events", "events[][event]=web_ide_viewed", token: nil)
            #expect(anonymous.status == .unauthorized)
            let hundred = Array(repeating: "events[][event]=web_ide_viewed", count: 100).joined(separator: "&")
            let tooMany = try await client.postForm(
                "track_events", hundred, token: nil, headers: ServerFixture.session(Self.user))
            #expect(tooMany.status == .badRequest)
            #expect(tooMany.text.contains("Maximum 50 events allowed in one request."))
        }
        #expect(fixture.recorder.events.isEmpty)
        #expect(try await fixture.keys() == [])
    }

    // context 'with correct params' / it 'tracks the events' / it 'triggers internal events and returns status ok'
    @Test("track_events with correct params: each event with the user, namespace, project and properties; 200")
    func trackEvents() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let response = try await client.postForm(
                "track_events",
                "events[][event]=web_ide_viewed&events[][namespace_id]=12&events[][project_id]=34"
                    + Self.propertiesForm(inList: "events"),
                token: nil, headers: ServerFixture.session(Self.user))
            #expect(response.status == .ok, "\(response.text)")
        }
        let event = try #require(fixture.recorder.events.first)
        #expect(fixture.recorder.events.count == 1)
        #expect(event.name == "web_ide_viewed" && event.user == UserID(Self.user))
        #expect(event.namespace == 12 && event.project == 34)
        #expect(event.properties == Self.properties)
        #expect(!event.sendsEventRecord)
        #expect(try await fixture.integer("{event_counters}_web_ide_viewed") == 1)
    }

    // context 'with incorrect params' (events: [{event: 1}]) / it 'returns bad request' (no web_ide_viewed event)
    @Test("track_events with event 1: no web_ide_viewed tracked; a JSON number is a 400 naming it")
    func trackEventsIncorrectParams() async throws {
        let fixture = try await fixture()
        try await fixture.sessionApplication().test(.router) { client async throws in
            let session = ServerFixture.session(Self.user)
            // In a form 1 is the text "1": an unknown event, a silent 200 in production.
            let form = try await client.postForm("track_events", "events[][event]=1", token: nil, headers: session)
            #expect(form.status == .ok)
            var headers = session
            headers[.contentType] = "application/json"
            let json = try await client.execute(
                uri: "/api/v4/usage_data/track_events", method: .post, headers: headers,
                body: .init(string: #"{"events": [{"event": 1}]}"#))
            #expect(json.status == .badRequest)
            #expect(json.errorField == "events[0].event")
        }
        #expect(fixture.recorder.events.isEmpty)
        #expect(try await fixture.keys() == [])
    }

    // MARK: describe 'GET /usage_data/metric_definitions'

    /// The spec's two metrics (`counter.category.event`, `counter.category.event2`) as Tally metric files, and the
    /// YAML Ruby's `to_yaml` writes for them: a `---` line, then the list.
    static let metricFiles = [
        "metrics/test_metric1.yml": Self.metric("counter.category.event", "Metric description"),
        "metrics/test_metric2.yml": Self.metric("counter.category.event2", "Metric description2"),
    ]

    static func metric(_ keyPath: String, _ description: String) -> String {
        """
        ---
        key_path: \(keyPath)
        description: \(description)
        product_group: testing
        value_type: number
        status: active
        time_frame: all
        data_source: redis
        data_category: optional
        instrumentation_class: RedisMetric
        options:
          prefix: counter
          event: \(keyPath.split(separator: ".").last!)
        milestone: '1.0'
        introduced_by_url: https://example.com/mr/1
        tiers:
        - free
        """
    }

    static let metricYAML = """
        ---
        - key_path: counter.category.event
          description: Metric description
          product_group: testing
          value_type: number
          status: active
          time_frame: all
          data_source: redis
          data_category: optional
          instrumentation_class: RedisMetric
          options:
            prefix: counter
            event: event
          milestone: '1.0'
          introduced_by_url: https://example.com/mr/1
          tiers:
          - free
        - key_path: counter.category.event2
          description: Metric description2
          product_group: testing
          value_type: number
          status: active
          time_frame: all
          data_source: redis
          data_category: optional
          instrumentation_class: RedisMetric
          options:
            prefix: counter
            event: event2
          milestone: '1.0'
          introduced_by_url: https://example.com/mr/1
          tiers:
          - free

        """

    /// The routes over a catalog of only the spec's two metrics.
    func metricsApplication() throws -> some ApplicationProtocol {
        let folder = try DefinitionFolder()
        for (path, text) in Self.metricFiles { try folder.write(path, text) }
        let catalog = try DefinitionLoader().load(from: [folder.url])
        let router = Router(context: BasicRequestContext.self)
        UsageDataAPI<BasicRequestContext>(
            tracker: Tracker(catalog: catalog, sinks: []),
            metricDefinitions: try MetricDefinitionsDocument(catalog: catalog)
        ) { _, _ in nil }.addRoutes(to: router)
        return Application(router: router)
    }

    // context 'without authentication' / it 'returns a YAML file' (200, application/yaml, the YAML dump)
    // context "without include_paths passed" / it 'uses false include_paths by default'
    @Test("metric_definitions without authentication: 200, application/yaml, Ruby's YAML dump of the definitions")
    func metricDefinitions() async throws {
        let application = try metricsApplication()
        try await application.test(.router) { client async throws in
            for query in ["?include_paths=false", ""] {
                let response = try await client.get("metric_definitions" + query)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(response.text == Self.metricYAML)
            }
        }
    }

    // it 'returns tiers in the metric attributes'
    // context "with include_paths being true" / it 'passes include_paths value'
    @Test("metric_definitions: each metric's attributes with its tiers; file_path with include_paths=true")
    func metricDefinitionsAttributes() async throws {
        let application = try metricsApplication()
        try await application.test(.router) { client async throws in
            for query in ["", "?include_paths=true"] {
                let response = try await client.get("metric_definitions" + query)
                let payload = try #require(try Yams.load(yaml: response.text) as? [[String: Any]])
                #expect(payload.count == 2)
                #expect(
                    payload.map { $0["key_path"] as? String } == ["counter.category.event", "counter.category.event2"])
                #expect(payload.map { $0["description"] as? String } == ["Metric description", "Metric description2"])
                #expect(payload.allSatisfy { $0["tiers"] as? [String] == ["free"] })
                let paths = payload.map { $0["file_path"] as? String }
                if query.isEmpty {
                    #expect(paths == [nil, nil])
                } else {
                    #expect(paths[0]?.hasSuffix("metrics/test_metric1.yml") == true, "\(paths)")
                    #expect(paths[1]?.hasSuffix("metrics/test_metric2.yml") == true, "\(paths)")
                }
            }
        }
    }
}
