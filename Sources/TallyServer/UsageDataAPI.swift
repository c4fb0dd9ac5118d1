import Foundation
import HTTPTypes
import Hummingbird
import InternalEvents
import Logging

/// GitLab's `/api/v4/usage_data/*` endpoints over a `Tracker` (DESIGN.md §7, GITLAB-FACTS.md §9), mountable in
/// any Hummingbird 2 router.
///
/// The host app says who is calling through `authenticate` (its own session or token auth); `tally serve` uses
/// `AccessTokens`. Every POST needs a caller (401 otherwise); `metric_definitions` is public, as GitLab's;
/// `service_ping` needs an admin (401/403).
///
/// Bodies are JSON or, as GitLab's Grape API also takes, `application/x-www-form-urlencoded` forms with Rack's
/// nested-parameter rules (`additional_properties[label]=…`, `events[][event]=…`; see `FormBody`).
///
/// Requests are checked before anything is counted: a malformed body, a field of the wrong type, or a body past the
/// limit is a 400/413 naming the field, and nothing of that request reaches a counter. Unknown `track_event(s)`
/// events are 422 when `configuration.strictValidation` is on (development, tests) and a silent 200 in production,
/// as GitLab answers; unknown legacy `increment_*` names are logged and answered 200 in both modes, as GitLab's
/// are. Only defined events write counters, so no request can make Redis grow with new keys.
///
/// An admin's `GET service_ping` tracks GitLab's `request_service_ping_via_rest` when the catalog defines it.
///
/// `DNT: 1` and `Sec-GPC: 1` requests still update counters but never become event records.
///
/// `GET tally.js` serves the browser tracker (`TallyScript`), public like `metric_definitions`.
public struct UsageDataAPI<Context: RequestContext>: Sendable {
    /// Resolves the caller of a request; `nil` means unauthenticated.
    public typealias Authenticate = @Sendable (Request, Context) async throws -> TallyCaller?

    /// Limits of the API.
    public struct Configuration: Sendable, Hashable {
        /// Largest request body accepted (default 64 KB); larger bodies get 413.
        public var maximumBodyBytes: Int
        /// Development mode: unknown `track_event(s)` events, undeclared identifiers and wrong property types get
        /// 422 (a whole `track_events` batch is checked before any of it counts), events are tracked with
        /// `trackStrictly`, and a failed counter store is a 503. Off (production): GitLab's silent 200, and
        /// `track`, which never waits.
        public var strictValidation: Bool

        public init(maximumBodyBytes: Int = 64 * 1024, strictValidation: Bool = false) {
            self.maximumBodyBytes = maximumBodyBytes
            self.strictValidation = strictValidation
        }
    }

    /// GitLab's `MAXIMUM_TRACKED_EVENTS`.
    public static var maximumEventsPerRequest: Int { 50 }

    public let tracker: Tracker
    public let legacyCounters: LegacyCounterWriter?
    public let servicePing: StoredServicePing?
    public let metricDefinitions: MetricDefinitionsDocument
    public let configuration: Configuration
    private let authenticate: Authenticate
    private let logger: Logger

    /// - Parameters:
    ///   - tracker: where `track_event(s)` go.
    ///   - legacyCounters: the legacy `increment_*` writes; without it those endpoints answer 404 Not Found.
    ///   - servicePing: where `service_ping` reads the stored payload; without it the endpoint answers `{}`.
    public init(
        tracker: Tracker, legacyCounters: LegacyCounterWriter? = nil, servicePing: StoredServicePing? = nil,
        metricDefinitions: MetricDefinitionsDocument, configuration: Configuration = .init(),
        logger: Logger = Logger(label: "tally.server"), authenticate: @escaping Authenticate
    ) {
        self.tracker = tracker
        self.legacyCounters = legacyCounters
        self.servicePing = servicePing
        self.metricDefinitions = metricDefinitions
        self.configuration = configuration
        self.logger = logger
        self.authenticate = authenticate
    }

    /// GitLab's path prefix.
    public static var basePath: RouterPath { "/api/v4/usage_data" }

    /// Adds the endpoints under `path` (GitLab's `/api/v4/usage_data` by default).
    public func addRoutes(to router: some RouterMethods<Context>, at path: RouterPath = Self.basePath) {
        let group = router.group(path)
        group.post("track_event") { request, context in try await trackEvent(request, context) }
        group.post("track_events") { request, context in try await trackEvents(request, context) }
        group.post("increment_counter") { request, context in try await incrementCounter(request, context) }
        group.post("increment_unique_users") { request, context in
            try await incrementUniqueUsers(request, context)
        }
        group.get("metric_definitions") { request, _ in try metricDefinitionsResponse(request) }
        group.get("service_ping") { request, context in try await servicePingResponse(request, context) }
        group.get("tally.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: TallyScript.contentType, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: TallyScript.source)))
        }
    }

    // MARK: Endpoints

    private func trackEvent(_ request: Request, _ context: Context) async throws -> Response {
        let caller = try await requireCaller(request, context)
        let body = try await RequestBody.read(request, limit: configuration.maximumBodyBytes)
        let event = try EventParameters(body.reader)
        let user = try user(of: event, caller: caller)
        try check([(event, user)], batch: false)
        try await track(event, user: user, recordAllowed: !Self.optsOut(request))
        return .json(.object([]))
    }

    private func trackEvents(_ request: Request, _ context: Context) async throws -> Response {
        let caller = try await requireCaller(request, context)
        let body = try await RequestBody.read(request, limit: configuration.maximumBodyBytes)
        let reader = body.reader
        guard let objects = try reader.optionalObjects("events") else { throw APIError.missing("events") }
        guard objects.count <= Self.maximumEventsPerRequest else {
            throw APIError(
                .badRequest, "Maximum \(Self.maximumEventsPerRequest) events allowed in one request.",
                field: "events")
        }
        var events: [(EventParameters, UserID?)] = []
        for (index, fields) in objects.enumerated() {
            let event = try EventParameters(reader.nested(fields, prefix: "events[\(index)]."))
            events.append((event, try user(of: event, caller: caller, field: "events[\(index)].user_id")))
        }
        try check(events, batch: true)
        let recordAllowed = !Self.optsOut(request)
        for (event, user) in events { try await track(event, user: user, recordAllowed: recordAllowed) }
        return .json(.object([]))
    }

    private func incrementCounter(_ request: Request, _ context: Context) async throws -> Response {
        _ = try await requireCaller(request, context)
        let body = try await RequestBody.read(request, limit: configuration.maximumBodyBytes)
        let name = try body.reader.requiredString("event")
        guard let legacyCounters else { throw APIError(.notFound, "legacy counters are not enabled") }
        do {
            try await legacyCounters.increment(name)
        } catch {
            try handleLegacy(error)
        }
        return .json(.object([]))
    }

    private func incrementUniqueUsers(_ request: Request, _ context: Context) async throws -> Response {
        let caller = try await requireCaller(request, context)
        let body = try await RequestBody.read(request, limit: configuration.maximumBodyBytes)
        let reader = body.reader
        let name = try reader.requiredString("event")
        let named = try reader.optionalID("user_id").map { UserID($0) }
        guard let user = try resolveUser(named: named, caller: caller, field: "user_id") else {
            throw APIError.missing("user_id")
        }
        guard let legacyCounters else { throw APIError(.notFound, "legacy counters are not enabled") }
        do {
            try await legacyCounters.addUniqueUser(name, user: user)
        } catch {
            try handleLegacy(error)
        }
        return .json(.object([]))
    }

    private func metricDefinitionsResponse(_ request: Request) throws(APIError) -> Response {
        let includePaths: Bool
        switch request.uri.queryParameters.getAll("include_paths").map({ String($0) }) as [String] {
        case []: includePaths = false
        case ["true"], ["1"]: includePaths = true
        case ["false"], ["0"]: includePaths = false
        case let values:
            throw APIError.invalid("include_paths", "expected true or false, found \(values.joined(separator: ", "))")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(
                byteBuffer: .init(string: includePaths ? metricDefinitions.yamlWithPaths : metricDefinitions.yaml)))
    }

    private func servicePingResponse(_ request: Request, _ context: Context) async throws -> Response {
        let caller = try await requireCaller(request, context)
        guard caller.isAdmin else { throw APIError.forbidden }
        trackServicePingRequest(by: caller, recordAllowed: !Self.optsOut(request))
        guard let servicePing else { return .json(.object([])) }
        do {
            return .json(text: try await servicePing.newestPayload() ?? "{}")
        } catch {
            logger.error("stored Service Ping unreadable", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "the stored Service Ping can't be read now")
        }
    }

    // MARK: Helpers

    /// GitLab's event for an admin reading the Service Ping over REST.
    public static var servicePingRequestEvent: String { "request_service_ping_via_rest" }

    /// Counts an admin's `GET service_ping` as GitLab does (`request_service_ping_via_rest`, the admin as the user),
    /// when the catalog defines the event; without a definition nothing is tracked or logged. The read never waits
    /// for or fails because of the counters.
    private func trackServicePingRequest(by caller: TallyCaller, recordAllowed: Bool) {
        guard tracker.catalog.events[Self.servicePingRequestEvent] != nil else { return }
        tracker.track(Self.servicePingRequestEvent, user: caller.user, sendEventRecord: recordAllowed)
    }

    private func requireCaller(_ request: Request, _ context: Context) async throws -> TallyCaller {
        guard let caller = try await authenticate(request, context) else { throw APIError.unauthorized }
        return caller
    }

    /// The user of an event: the caller's own, or `user_id` when the caller acts for users.
    private func user(
        of event: EventParameters, caller: TallyCaller, field: String = "user_id"
    ) throws(APIError) -> UserID? {
        try resolveUser(named: event.user, caller: caller, field: field)
    }

    private func resolveUser(named: UserID?, caller: TallyCaller, field: String) throws(APIError) -> UserID? {
        guard let named else { return caller.user }
        guard caller.actsForUsers else {
            throw APIError(.badRequest, "\(field) may only be given by a service token", field: field)
        }
        return named
    }

    /// In strict mode every event of a request is validated before any is tracked, so a request that is refused
    /// counts nothing. In production, invalid events are skipped and counted by the tracker, as GitLab does.
    private func check(_ events: [(EventParameters, UserID?)], batch: Bool) throws(APIError) {
        guard configuration.strictValidation else { return }
        for (index, (event, user)) in events.enumerated() {
            do {
                _ = try tracker.validate(
                    event.event, user: user, project: event.project, namespace: event.namespace,
                    properties: event.additionalProperties)
            } catch {
                let prefix = batch ? "events[\(index)]." : ""
                throw APIError(.unprocessableContent, error.message, field: prefix + (error.field ?? "event"))
            }
        }
    }

    /// Tracks one checked event. In production `track` never throws or waits; in development `trackStrictly`
    /// throws only when a sink failed (validation passed in `check`), which is a 503.
    private func track(_ event: EventParameters, user: UserID?, recordAllowed: Bool) async throws(APIError) {
        guard configuration.strictValidation else {
            tracker.track(
                event.event, user: user, project: event.project, namespace: event.namespace,
                additionalProperties: event.additionalProperties,
                sendEventRecord: event.sendToSnowplow && recordAllowed)
            return
        }
        do {
            try await tracker.trackStrictly(
                event.event, user: user, project: event.project, namespace: event.namespace,
                additionalProperties: event.additionalProperties,
                sendEventRecord: event.sendToSnowplow && recordAllowed)
        } catch {
            throw APIError(.serviceUnavailable, "counter store unavailable: \(error.message)")
        }
    }

    /// GitLab's `increment_counter`/`increment_unique_users` rescue every error, log "Redis tracking event failed
    /// for event: …" and answer 200 in every environment, an unknown name included (unlike `track_event`, whose
    /// unknown events are 422 in development). Tally does the same, except that development mode reports a counter
    /// store that failed (503), as it does for `track_event`.
    private func handleLegacy(_ error: TrackingError) throws(APIError) {
        logger.warning("Redis tracking event failed", metadata: ["event": "\(error.event)", "error": "\(error)"])
        guard configuration.strictValidation, error.code != .unknownEvent else { return }
        throw APIError(.serviceUnavailable, "counter store unavailable: \(error.message)")
    }

    /// Whether the browser asked not to be tracked (`DNT: 1` or Global Privacy Control `Sec-GPC: 1`).
    static func optsOut(_ request: Request) -> Bool {
        optOutFields.contains { request.headers[$0]?.trimmingCharacters(in: .whitespaces) == "1" }
    }
}

/// The headers with which a browser opts out of tracking, made once.
private let optOutFields = ["DNT", "Sec-GPC"].compactMap { HTTPField.Name($0) }
