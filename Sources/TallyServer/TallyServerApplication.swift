import Hiredis
import Hummingbird
import InternalEvents
import Logging
import ServiceLifecycle

/// How `tally serve` (or a test) runs the API on its own.
public struct TallyServerConfiguration: Sendable {
    /// Interface to bind: loopback unless told otherwise.
    public var host: String
    /// TCP port (0 picks a free one).
    public var port: Int
    /// Who may call.
    public var tokens: AccessTokens
    public var api: UsageDataAPI<BasicRequestContext>.Configuration
    /// A connection that sends or reads nothing for this long is closed (slow or stuck clients).
    public var idleTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 8080, tokens: AccessTokens,
        api: UsageDataAPI<BasicRequestContext>.Configuration = .init(), idleTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.api = api
        self.idleTimeout = idleTimeout
    }
}

/// What the standalone server serves.
public struct TallyServerDependencies: Sendable {
    public var tracker: Tracker
    public var legacyCounters: LegacyCounterWriter?
    public var servicePing: StoredServicePing?
    public var metricDefinitions: MetricDefinitionsDocument
    /// Services that run and stop with the server: the buffered counter sink, the event-record emitter.
    public var services: [any Service]

    public init(
        tracker: Tracker, legacyCounters: LegacyCounterWriter? = nil, servicePing: StoredServicePing? = nil,
        metricDefinitions: MetricDefinitionsDocument, services: [any Service] = []
    ) {
        self.tracker = tracker
        self.legacyCounters = legacyCounters
        self.servicePing = servicePing
        self.metricDefinitions = metricDefinitions
        self.services = services
    }
}

/// The router of the standalone server: the usage-data API behind bearer tokens.
public func buildTallyRouter(
    _ configuration: TallyServerConfiguration, dependencies: TallyServerDependencies,
    logger: Logger = Logger(label: "tally.server")
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let tokens = configuration.tokens
    let api = UsageDataAPI<BasicRequestContext>(
        tracker: dependencies.tracker, legacyCounters: dependencies.legacyCounters,
        servicePing: dependencies.servicePing, metricDefinitions: dependencies.metricDefinitions,
        configuration: configuration.api, logger: logger
    ) { request, _ in tokens.caller(for: request) }
    api.addRoutes(to: router)
    router.add(
        middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ("\($0.path)", $0.method) }))
    return router
}

/// The standalone server as one Hummingbird application, with its services: what `tally serve` runs and what the
/// tests drive (`app.test(.router)` or `.live`).
///
/// - Parameter onServerRunning: called with the bound port once the server listens (useful with port 0).
public func buildTallyServer(
    _ configuration: TallyServerConfiguration, dependencies: TallyServerDependencies,
    logger: Logger = Logger(label: "tally.server"), onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    return Application(
        router: buildTallyRouter(configuration, dependencies: dependencies, logger: logger),
        server: .http1(
            configuration: .init(
                idleTimeout: .nanoseconds(configuration.idleTimeout.inNanoseconds))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tally"),
        services: dependencies.services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}
