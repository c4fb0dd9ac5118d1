import EventRecords
import Foundation
import HTTPTypes
import Hiredis
import Hummingbird
import HummingbirdTesting
import InternalEvents
import Logging
import NIOCore
import ServiceLifecycle
import ServicePing
import TallyServer
import TallyTestSupport
import Testing

/// Definitions, a real Redis with a private key prefix, and a server built by `buildTallyServer`, as `tally serve`
/// builds it.
final class ServerFixture: Sendable {
    static let eventToken = "event-token-7f3a"
    static let adminToken = "admin-token-91bd"

    let folder: DefinitionFolder
    let catalog: DefinitionCatalog
    let pool: RedisConnectionPool
    let counters: DirectRedisCounterSink
    let prefix: String
    let recorder = RecordingEventSink()
    let scheme: CounterKeyScheme
    let clock = FixedWallClock(TestEnvironment.day("2025-02-12").addingTimeInterval(43_200))

    /// - Parameter extraFiles: more definition files (path → YAML), written before the catalog is loaded.
    init(label: String = "server", extraFiles: [String: String] = [:]) async throws {
        folder = try DefinitionFolder()
        for (path, text) in extraFiles { try folder.write(path, text) }
        try folder.write(
            "events/create_note.yml",
            DefinitionFolder.event(
                "create_note",
                extra: """
                    additional_properties:
                      label:
                        description: where
                      value:
                        description: length
                      lang:
                        description: language
                    """))
        try folder.write("events/view_page.yml", DefinitionFolder.event("view_page", identifiers: "[user]"))
        try folder.write(
            "metrics/notes.yml",
            DefinitionFolder.metric("counts.notes_users", events: "- name: create_note\n  unique: user.id"))
        try folder.write(
            "metrics/pushes.yml",
            """
            ---
            key_path: counts.source_code_pushes
            description: Pushes
            product_group: testing
            value_type: number
            status: active
            time_frame: all
            data_source: redis
            data_category: optional
            instrumentation_class: RedisMetric
            options:
              prefix: source_code
              event: pushes
            milestone: '1.0'
            introduced_by_url: https://example.com/mr/1
            tiers: [free]
            """)
        try folder.write(
            "metrics/zoom.yml",
            """
            ---
            key_path: redis_hll_counters.zoom_monthly
            description: Zoom meeting users
            product_group: testing
            value_type: number
            status: active
            time_frame: 28d
            data_source: redis_hll
            data_category: optional
            instrumentation_class: RedisHLLMetric
            options:
              events:
              - incident_zoom_meeting
            milestone: '1.0'
            introduced_by_url: https://example.com/mr/1
            tiers: [free]
            """)
        catalog = try DefinitionLoader().load(from: [folder.url])
        prefix = TestEnvironment.uniqueKeyPrefix(label)
        scheme = CounterKeyScheme(prefix: prefix)
        pool = RedisConnectionPool(redis: try await RedisServer.shared().configuration())
        counters = DirectRedisCounterSink(redis: pool, planner: CounterWritePlanner(catalog: catalog, scheme: scheme))
    }

    deinit { pool.close() }

    /// A tracker writing to Redis in direct mode, plus a recorder; `extraSinks` add an event-record emitter. The
    /// read helpers below send what it queued first, so a test reads counters as soon as the response is back.
    func tracker(extraSinks: [any EventSink] = []) -> Tracker {
        Tracker(catalog: catalog, sinks: [counters, recorder] + extraSinks, clock: clock)
    }

    /// The standalone server; `strict` is development mode (422s).
    func application(
        strict: Bool = false, extraSinks: [any EventSink] = [], servicePing: StoredServicePing? = nil,
        maximumBodyBytes: Int = 64 * 1024, port: Int = 0, services: [any Service] = [],
        logger: Logger = Logger(label: "tally.server")
    ) throws -> some ApplicationProtocol {
        let dependencies = TallyServerDependencies(
            tracker: tracker(extraSinks: extraSinks),
            legacyCounters: LegacyCounterWriter(catalog: catalog, scheme: scheme, redis: pool, clock: clock),
            servicePing: servicePing, metricDefinitions: try MetricDefinitionsDocument(catalog: catalog),
            services: services)
        let configuration = TallyServerConfiguration(
            port: port, tokens: AccessTokens(eventTokens: [Self.eventToken], adminTokens: [Self.adminToken]),
            api: .init(maximumBodyBytes: maximumBodyBytes, strictValidation: strict))
        return buildTallyServer(configuration, dependencies: dependencies, logger: logger)
    }

    /// The routes mounted in a host app whose own sign-in says who calls, as GitLab's session and token users:
    /// `X-Session-User: ID` is that user, `X-Session-Admin: 1` makes them an admin; no header, no caller (401).
    func sessionApplication(
        strict: Bool = false, servicePing: StoredServicePing? = nil, logger: Logger = Logger(label: "tally.server")
    ) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let api = UsageDataAPI<BasicRequestContext>(
            tracker: tracker(),
            legacyCounters: LegacyCounterWriter(catalog: catalog, scheme: scheme, redis: pool, clock: clock),
            servicePing: servicePing, metricDefinitions: try MetricDefinitionsDocument(catalog: catalog),
            configuration: .init(strictValidation: strict), logger: logger
        ) { request, _ in
            request.headers[Self.sessionUser].flatMap { Int64($0) }.map {
                TallyCaller(user: UserID($0), isAdmin: request.headers[Self.sessionAdmin] == "1")
            }
        }
        api.addRoutes(to: router)
        return Application(router: router)
    }

    static let sessionUser = HTTPField.Name("X-Session-User")!
    static let sessionAdmin = HTTPField.Name("X-Session-Admin")!

    /// The headers of user `id`'s session (an admin's with `admin`).
    static func session(_ id: Int64, admin: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [sessionUser: String(id)]
        if admin { fields[sessionAdmin] = "1" }
        return fields
    }

    /// Every key under this fixture's prefix, sorted.
    func keys() async throws -> [String] {
        await counters.flush()
        let reply = try await pool.send(RedisCommand("KEYS", arguments: ["\(prefix)*"]))
        return try reply.array().map { try $0.string() }.sorted()
    }

    func integer(_ key: String) async throws -> Int64? {
        await counters.flush()
        return try await pool.send(.get(prefix + key)).optionalIntegerString()
    }

    func uniqueCount(_ key: String) async throws -> Int64 {
        await counters.flush()
        return try await pool.send(.pfcount([prefix + key])).int()
    }
}

extension TestClientProtocol {
    /// POSTs `json` to an API path with the event token (or `token`), and extra headers.
    func post(
        _ path: String, _ json: String, token: String? = ServerFixture.eventToken, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await execute(
            uri: "/api/v4/usage_data/\(path)", method: .post, headers: fields, body: ByteBuffer(string: json))
    }

    /// POSTs an `application/x-www-form-urlencoded` body, as Rails' `post … params:` sends one.
    func postForm(
        _ path: String, _ form: String, token: String? = ServerFixture.eventToken, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/x-www-form-urlencoded"
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await execute(
            uri: "/api/v4/usage_data/\(path)", method: .post, headers: fields, body: ByteBuffer(string: form))
    }

    func get(_ path: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await execute(uri: "/api/v4/usage_data/\(path)", method: .get, headers: fields)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The JSON error's `field`.
    var errorField: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return nil
        }
        return object["field"] as? String
    }
}
